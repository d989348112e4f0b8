// The Compare Runs panel's data, merged on the host from what each folder's engine returned
// (collect.ts): runs in the order the user chose, the tables of compare.ts, the downsampled series.
// Pure, so it is tested in Node; the host only adds folder names and colours.
import type { CompareData, CompareRunInfo, CompareRunKey, Direction, SeriesData } from '../../shared/compareProtocol';
import type { ComparedRunData } from './collect';
import { buildTables, comparisonCsv } from './compare';

export interface PanelRunInput {
  key: CompareRunKey;
  folderName: string;
  color: number;
  /** What the engine returned; null when the run is gone (or its folder left the workspace). */
  data: ComparedRunData | null;
  /** Label to show in `missing` when the run is gone (its last known name). */
  lastLabel?: string;
}

export function runLabel(name: string | null, id: string): string {
  return name && name.trim() ? name : id.slice(0, 12);
}

export function buildCompareData(
  inputs: readonly PanelRunInput[],
  overrides: Readonly<Record<string, Direction>>,
  seriesState: CompareData['seriesState'] = 'included',
): CompareData {
  const present = inputs.filter((r): r is PanelRunInput & { data: ComparedRunData } => r.data !== null);
  const runs: CompareRunInfo[] = present.map(({ key, folderName, color, data: { summary } }) => ({
    key,
    label: runLabel(summary.name, summary.id),
    name: summary.name,
    status: summary.status,
    experiment: summary.experiment,
    sourceKind: summary.source.kind,
    startTime: summary.startTime,
    endTime: summary.endTime,
    color,
    folderName,
    deleted: summary.deleted,
  }));
  const { params, metrics } = buildTables(
    present.map((r) => ({ params: r.data.summary.params, metrics: r.data.summary.metrics })),
    overrides,
  );
  const series: SeriesData[] = present.flatMap((r, run) =>
    r.data.series.map((s) => ({ run, metric: s.metric, steps: s.steps, times: s.times, values: s.values, count: s.count })),
  );
  const missing = inputs.filter((r) => r.data === null).map((r) => ({ key: r.key, label: r.lastLabel ?? r.key.id.slice(0, 12) }));
  return { keys: inputs.map((r) => r.key), runs, params, metrics, series, seriesState, missing };
}

/** The tables as CSV, with the params the panel shows (only those that differ, when it says so). */
export function compareDataCsv(data: CompareData, onlyDifferences: boolean): string {
  const params = onlyDifferences ? data.params.filter((p) => p.differs) : data.params;
  return comparisonCsv(
    data.runs.map((r) => r.label),
    params,
    data.metrics,
  );
}

/** Points sent for drawing, for the log and the benchmark. */
export function seriesPoints(data: CompareData): number {
  return data.series.reduce((n, s) => n + s.values.length, 0);
}
