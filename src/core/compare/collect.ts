// What the Compare Runs panel needs of each run, read by the engine worker so that the extension
// host never decodes a series: the run's summary and every history downsampled (M4) to a few points
// per bucket, as Float64Arrays (cloned, not serialised, between threads and into the webview).
import type { Database } from 'sql.js';
import { listRuns, readHistories, runUidsByKey, type RunSummary } from '../store/queries';
import type { SeriesFiles } from '../store/seriesFiles';
import { downsample } from './compare';

export interface CompareSeries {
  metric: string;
  steps: Float64Array;
  times: Float64Array | null;
  values: Float64Array;
  /** Points before downsampling. */
  count: number;
}

export interface ComparedRunData {
  summary: RunSummary;
  series: CompareSeries[];
  /** The series file was missing or damaged (the tables still have the summaries). */
  historiesMissing: boolean;
}

/**
 * Downsampled histories by run, while the run's summaries say nothing changed: reopening a panel, a
 * direction override or a live update of one run of fifty then decodes only what changed (decoding
 * is most of the cost: ≈ 1.3 s of CPU for 5,000,000 points here).
 */
export class ComparisonCache {
  private readonly entries = new Map<string, { signature: string; series: CompareSeries[]; historiesMissing: boolean }>();
  constructor(private readonly maxRuns = 200) {}

  get(key: string, signature: string): { series: CompareSeries[]; historiesMissing: boolean } | undefined {
    const e = this.entries.get(key);
    if (!e || e.signature !== signature) return undefined;
    // Most recently used last: the first entry is the one to drop.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  set(key: string, signature: string, value: { series: CompareSeries[]; historiesMissing: boolean }): void {
    this.entries.delete(key);
    this.entries.set(key, { signature, ...value });
    while (this.entries.size > this.maxRuns) this.entries.delete(this.entries.keys().next().value!);
  }
}

function historiesOf(series: SeriesFiles, summary: RunSummary, buckets: number): { series: CompareSeries[]; historiesMissing: boolean } {
  const histories = readHistories(series, summary);
  const out: CompareSeries[] = [];
  for (const [metric, full] of Object.entries(histories ?? {})) {
    const s = downsample(full, buckets);
    out.push({
      metric,
      steps: Float64Array.from(s.steps),
      times: s.times ? Float64Array.from(s.times) : null,
      values: Float64Array.from(s.values),
      count: full.values.length,
    });
  }
  return { series: out, historiesMissing: histories === undefined };
}

/**
 * Runs by (source path, native id), in the order asked; null for a run the store no longer has.
 * With `buckets` 0 only the summaries are read (the panel's tables, in milliseconds).
 */
export function collectComparison(
  db: Database,
  series: SeriesFiles,
  refs: readonly { source: string; id: string }[],
  buckets: number,
  cache?: ComparisonCache,
): (ComparedRunData | null)[] {
  const uids = runUidsByKey(db, refs);
  const found = listRuns(db, { uids: uids.filter((u): u is number => u !== null), includeDeleted: true });
  const byUid = new Map(found.map((r) => [r.uid, r]));
  return uids.map((uid) => {
    const summary = uid === null ? undefined : byUid.get(uid);
    if (!summary) return null;
    if (buckets <= 0) return { summary, series: [], historiesMissing: false };
    const key = `${summary.source.path}\u0000${summary.id}\u0000${buckets}`;
    // The summaries change whenever a history does (count, last step, last value, extremes).
    const signature = JSON.stringify(summary.metrics);
    let h = cache?.get(key, signature);
    if (!h) {
      h = historiesOf(series, summary, buckets);
      cache?.set(key, signature, h);
    }
    return { summary, ...h };
  });
}
