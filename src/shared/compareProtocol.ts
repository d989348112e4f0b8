// The one message protocol of the Compare Runs panel, imported by the extension host
// (src/extension/compare/) and the webview (webview/compare/). The host owns the data; the
// webview keeps only UI state (getState/setState) and asks the host for everything else.
//
// Every string in these messages may come from files the user did not write (run names, param
// values, metric names): the webview renders them as text, never as HTML.

/** A run in the panel, identified across reloads by folder + source + run id. */
export interface CompareRunKey {
  /** Workspace folder URI. */
  folder: string;
  /** Source path relative to the folder. */
  source: string;
  /** Native run id. */
  id: string;
}

export function runKeyString(k: CompareRunKey): string {
  return `${k.folder}\u0000${k.source}\u0000${k.id}`;
}

export type Direction = 'min' | 'max';

export interface CompareRunInfo {
  key: CompareRunKey;
  /** Display name (name, or a short id). */
  label: string;
  name: string | null;
  status: string;
  experiment: string | null;
  sourceKind: string;
  startTime: number | null;
  endTime: number | null;
  /** A palette index, stable for the run while the panel lives. */
  color: number;
}

export interface ParamRow {
  key: string;
  /** One cell per run, in `runs` order; null when the run has no such param. */
  values: (string | null)[];
  /** Not all runs have the same value. */
  differs: boolean;
}

export interface MetricCell {
  last: number | null;
  min: number | null;
  max: number | null;
  lastStep: number | null;
  count: number;
  /** The last value is NaN / +Infinity / -Infinity (numbers in JSON cannot say so). */
  lastNonFinite?: 'NaN' | 'Infinity' | '-Infinity';
}

export interface MetricRow {
  key: string;
  direction: Direction;
  /** Whether the direction was inferred from the name or set by the user. */
  directionSource: 'inferred' | 'user';
  cells: (MetricCell | null)[];
  /** Index into runs of the best run by last value, or null (no finite values). */
  best: number | null;
}

/**
 * One downsampled history: x values (step, or wall time in ms) and y values as parallel arrays.
 * Non-finite y values are sent as null (uPlot draws a gap); `extremes` keeps min and max of the
 * full series so that nothing is lost to downsampling.
 */
export interface SeriesData {
  run: number;
  metric: string;
  steps: number[];
  /** Wall times in ms, or null when the format has none. */
  times: number[] | null;
  values: (number | null)[];
  /** Points in the full history (before downsampling). */
  count: number;
}

export interface CompareData {
  runs: CompareRunInfo[];
  params: ParamRow[];
  metrics: MetricRow[];
  series: SeriesData[];
  /** Runs asked for but gone (deleted, or their files removed), by label. */
  missing: string[];
}

export type HostMessage =
  | { type: 'data'; data: CompareData; reason: 'open' | 'change' | 'runs' }
  | { type: 'saved'; path: string }
  | { type: 'error'; message: string };

export type WebviewMessage =
  | { type: 'ready' }
  /** The first render of new data finished (for the first-paint benchmark). */
  | { type: 'painted'; ms: number; points: number }
  | { type: 'addRuns' }
  | { type: 'removeRun'; key: CompareRunKey }
  | { type: 'setDirection'; metric: string; direction: Direction | 'auto' }
  | { type: 'exportCsv'; name: string; csv: string }
  | { type: 'exportPng'; name: string; dataUrl: string }
  | { type: 'showRun'; key: CompareRunKey };

/** What the webview keeps across reloads (getState/setState) and the serializer restores. */
export interface CompareViewState {
  runs: CompareRunKey[];
  onlyDifferences: boolean;
  xAxis: 'step' | 'time' | 'relative';
  smoothing: number;
  logScale: boolean;
  /** Metric chosen for the parallel-coordinates plot and the scatter's y axis. */
  targetMetric: string | null;
  /** Scatter x: a param (`param:<key>`) or a metric (`metric:<key>`). */
  scatterX: string | null;
  /** Metrics whose curves are hidden. */
  hiddenMetrics: string[];
}

export const DEFAULT_VIEW_STATE: Omit<CompareViewState, 'runs'> = {
  onlyDifferences: true,
  xAxis: 'step',
  smoothing: 0,
  logScale: false,
  targetMetric: null,
  scatterX: null,
  hiddenMetrics: [],
};

export function isWebviewMessage(m: unknown): m is WebviewMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
