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
  /** Workspace folder name (runs may come from several folders). */
  folderName: string;
  /** Marked deleted by its tool (MLflow's lifecycle_stage), still on disk. */
  deleted: boolean;
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
 * One downsampled history (M4, src/core/compare/compare.ts): steps, wall times and values as parallel
 * Float64Arrays. Typed arrays cross both hops without JSON: worker_threads clone them, and VS Code's
 * webview.postMessage transfers them as binary buffers (engines ≥ 1.57), which matters for 50 runs ×
 * 10 metrics. Non-finite values stay NaN / ±Infinity here; the webview draws them as gaps.
 */
export interface SeriesData {
  run: number;
  metric: string;
  steps: Float64Array;
  /** Wall times in ms, or null when the format has none. */
  times: Float64Array | null;
  values: Float64Array;
  /** Points in the full history (before downsampling). */
  count: number;
}

export interface CompareData {
  /** Every run the panel holds, in the user's order (found or missing): the webview saves them. */
  keys: CompareRunKey[];
  runs: CompareRunInfo[];
  params: ParamRow[];
  metrics: MetricRow[];
  series: SeriesData[];
  /**
   * 'included': `series` is complete. 'pending': the tables come first (read from the store's
   * summaries in milliseconds) and a `series` message follows once the worker has decoded and
   * downsampled the histories. 'unchanged': same runs as before (a direction override), keep yours.
   */
  seriesState: 'included' | 'pending' | 'unchanged';
  /** Runs asked for but gone (their files removed, or their folder closed), by last known label. */
  missing: { key: CompareRunKey; label: string }[];
}

export type HostMessage =
  | { type: 'data'; data: CompareData; reason: 'open' | 'change' | 'runs' | 'direction' }
  /** The histories of the runs of the last `data` (whose seriesState was 'pending'). */
  | { type: 'series'; series: SeriesData[] }
  /** The host has started fetching (adds, live changes): the webview may show progress. */
  | { type: 'loading' }
  | { type: 'saved'; path: string }
  | { type: 'error'; message: string };

export type WebviewMessage =
  /** Sent once the script runs; the host holds every message back until then (handshake). */
  | {
      type: 'ready';
      state: CompareViewState | null;
      /** The page's own clock (ms since its document started) when it said ready, and when compare.js had arrived. */
      boot?: { readyAt: number; scriptFetchedAt: number | null };
    }
  /** The first render of new data finished (for the first-paint benchmark). */
  | { type: 'painted'; ms: number; points: number; charts: number; reason: string }
  | { type: 'addRuns' }
  | { type: 'removeRun'; key: CompareRunKey }
  | { type: 'setDirection'; metric: string; direction: Direction | 'auto' }
  /** The host builds the CSV (it owns the data) and asks where to save it. */
  | { type: 'exportCsv'; onlyDifferences: boolean }
  | { type: 'exportPng'; name: string; dataUrl: string }
  | { type: 'showRun'; key: CompareRunKey }
  /** Errors and CSP violations in the webview, for the log (and the UI tests). */
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

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
  /** The user's "better" direction per metric (the host applies them; kept here to survive a reload). */
  directions: Record<string, Direction>;
}

export const DEFAULT_VIEW_STATE: Omit<CompareViewState, 'runs'> = {
  onlyDifferences: true,
  xAxis: 'step',
  smoothing: 0,
  logScale: false,
  targetMetric: null,
  scatterX: null,
  hiddenMetrics: [],
  directions: {},
};

const WEBVIEW_TYPES: ReadonlySet<string> = new Set<WebviewMessage['type']>([
  'ready',
  'painted',
  'addRuns',
  'removeRun',
  'setDirection',
  'exportCsv',
  'exportPng',
  'showRun',
  'log',
]);

/** Messages come from a page that renders files' contents: check the shape before trusting it. */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const type = (m as { type?: unknown }).type;
  return typeof type === 'string' && WEBVIEW_TYPES.has(type);
}

export function isRunKey(k: unknown): k is CompareRunKey {
  if (typeof k !== 'object' || k === null) return false;
  const r = k as Record<string, unknown>;
  return typeof r['folder'] === 'string' && typeof r['source'] === 'string' && typeof r['id'] === 'string';
}

/** The view type of the panel: the serializer and the `onWebviewPanel:` activation event name it. */
export const COMPARE_VIEW_TYPE = 'mlcycle.compare';

/**
 * Buckets per series the worker keeps (M4: ≤ 4 points each, so ≤ 1,200 points). A chart is 400–900
 * px wide: about a bucket per pixel column, where M4 draws the same picture as the full series.
 */
export const COMPARE_BUCKETS = 300;
