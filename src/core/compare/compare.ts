// Comparing runs: the params that differ, each metric's last/min/max with the best run, the
// direction of "better" inferred from the metric's name, CSV, and histories downsampled for
// drawing without losing their extremes. Used by the Compare Runs panel and `mlcycle compare`.
import type { Series } from '../store/seriesCodec';
import type { MetricSummary } from '../store/queries';
import type { Direction, MetricCell, MetricRow, ParamRow } from '../../shared/compareProtocol';

// Words meaning "lower is better" win over "higher" ones: `val_loss_acc` is still a loss.
const LOWER = /(loss|err|error|mse|mae|rmse|mape|perplexity|ppl|wer|cer|nll|cost|latency|time|duration|distance|fpr|fnr|regret|bpc|bpd)/i;
const HIGHER = /(acc|accuracy|f1|auc|auroc|map|precision|recall|iou|dice|r2|bleu|rouge|meteor|score|reward|return|fitness|ndcg|mrr|hit|top\d|sharpe|ap\b|ap50|sensitivity|specificity|kappa|mcc|correlation|spearman|pearson)/i;

/** Lower is better for losses and errors; higher for accuracy, F1, AUC, mAP and the like. */
export function inferDirection(metric: string): Direction {
  const name = metric.split('/').pop() ?? metric;
  if (LOWER.test(name)) return 'min';
  if (HIGHER.test(name)) return 'max';
  return LOWER.test(metric) ? 'min' : HIGHER.test(metric) ? 'max' : 'min';
}

export interface ComparedRun {
  params: Record<string, string>;
  metrics: Record<string, MetricSummary>;
}

function cell(m: MetricSummary | undefined): MetricCell | null {
  if (!m) return null;
  const last = m.last;
  const c: MetricCell = {
    last: Number.isFinite(last) ? last : null,
    min: m.min !== null && Number.isFinite(m.min) ? m.min : null,
    max: m.max !== null && Number.isFinite(m.max) ? m.max : null,
    lastStep: m.lastStep,
    count: m.count,
  };
  if (!Number.isFinite(last)) c.lastNonFinite = Number.isNaN(last) ? 'NaN' : last > 0 ? 'Infinity' : '-Infinity';
  return c;
}

/** Param and metric tables over the runs (in the given order). */
export function buildTables(runs: readonly ComparedRun[], overrides: Readonly<Record<string, Direction>> = {}): { params: ParamRow[]; metrics: MetricRow[] } {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const params: ParamRow[] = paramKeys.map((key) => {
    const values = runs.map((r) => r.params[key] ?? null);
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const metrics: MetricRow[] = metricKeys.map((key) => {
    const override = overrides[key];
    const direction = override ?? inferDirection(key);
    const cells = runs.map((r) => cell(r.metrics[key]));
    let best: number | null = null;
    cells.forEach((c, i) => {
      if (c?.last === null || c?.last === undefined) return;
      const b = best === null ? undefined : cells[best]!.last!;
      if (b === undefined || (direction === 'min' ? c.last < b : c.last > b)) best = i;
    });
    return { key, direction, directionSource: override ? 'user' : 'inferred', cells, best };
  });
  return { params, metrics };
}

/**
 * Downsamples a history to at most ~4 points per bucket (M4: the first, last, smallest and largest
 * point of each bucket of steps, in order). Shapes, spikes and the extremes survive; a series
 * already small enough is returned as it is. Non-finite values are kept (drawn as gaps).
 */
export function downsample(series: Series, buckets: number): Series {
  const n = series.values.length;
  if (n <= buckets * 4) return series;
  const { steps, times, values } = series;
  const first = steps[0]!;
  const span = steps[n - 1]! - first || 1;
  const keep: number[] = [];
  let bucket = -1;
  let start = 0;
  const flush = (end: number): void => {
    if (end <= start) return;
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        keep.push(i); // a NaN or an infinity is news: never smooth it away
        continue;
      }
      if (lo === -1 || v < values[lo]!) lo = i;
      if (hi === -1 || v > values[hi]!) hi = i;
    }
    for (const i of [start, lo, hi, end - 1]) if (i >= 0) keep.push(i);
  };
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, Math.floor(((steps[i]! - first) / span) * buckets));
    if (b !== bucket) {
      flush(i);
      bucket = b;
      start = i;
    }
  }
  flush(n);
  const idx = [...new Set(keep)].sort((a, b) => a - b);
  return {
    steps: idx.map((i) => steps[i]!),
    times: times ? idx.map((i) => times[i]!) : null,
    values: idx.map((i) => values[i]!),
  };
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(v: number | null | undefined, nonFinite?: string): string {
  if (nonFinite) return nonFinite;
  return v === null || v === undefined ? '' : String(v);
}

/** The comparison as CSV: one row per param and per metric statistic, one column per run. */
export function comparisonCsv(labels: readonly string[], params: readonly ParamRow[], metrics: readonly MetricRow[]): string {
  const rows: string[][] = [['kind', 'key', ...labels]];
  for (const p of params) rows.push(['param', p.key, ...p.values.map((v) => v ?? '')]);
  for (const m of metrics) {
    rows.push(['metric.last', m.key, ...m.cells.map((c) => csvNumber(c?.last, c?.lastNonFinite))]);
    rows.push(['metric.min', m.key, ...m.cells.map((c) => csvNumber(c?.min))]);
    rows.push(['metric.max', m.key, ...m.cells.map((c) => csvNumber(c?.max))]);
    rows.push(['metric.best', m.key, ...m.cells.map((_, i) => (m.best === i ? m.direction : ''))]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
