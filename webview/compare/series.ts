// The x values of a curve (step, wall time, time since the run started) and the read-out of each
// run's value under the cursor. DOM-free (tested in Node).

export type XAxis = 'step' | 'time' | 'relative';

export interface XYSeries {
  steps: Float64Array;
  times: Float64Array | null;
  values: Float64Array;
}

/**
 * x values for the chosen axis, in uPlot's units: steps as they are, wall time in seconds since the
 * epoch, relative time in seconds since `runStart` (ms). Null when the format recorded no times.
 */
export function xValues(s: XYSeries, axis: XAxis, runStart: number | null): Float64Array | null {
  if (axis === 'step') return s.steps;
  if (!s.times) return null;
  const out = new Float64Array(s.times.length);
  const origin = axis === 'relative' ? (runStart ?? s.times[0] ?? 0) : 0;
  for (let i = 0; i < out.length; i++) out[i] = (s.times[i]! - origin) / 1000;
  return out;
}

/** x in increasing order with y alongside (uPlot's paths and the read-out need sorted x). */
export function sortedByX(x: Float64Array, y: (number | null)[]): { x: Float64Array; y: (number | null)[] } {
  let sorted = true;
  for (let i = 1; i < x.length; i++) {
    if (x[i]! < x[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return { x, y };
  const order = Array.from(x.keys()).sort((a, b) => x[a]! - x[b]!);
  return { x: Float64Array.from(order, (i) => x[i]!), y: order.map((i) => y[i]!) };
}

/** y values for a chart: non-finite values become null (a gap); on a log scale, so do values ≤ 0. */
export function chartValues(values: ArrayLike<number | null>, logScale: boolean): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined || !Number.isFinite(v) || (logScale && v <= 0) ? null : v;
  }
  return out;
}

/**
 * The value of a series at `x`: the last point at or before x (a run's value "at step x" is what it
 * logged last by then). Undefined before its first point or past its last one by more than the
 * sampling gap, null on a gap.
 */
export function valueAt(xs: ArrayLike<number>, ys: ArrayLike<number | null>, x: number): number | null | undefined {
  const n = xs.length;
  if (n === 0 || x < xs[0]!) return undefined;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  if (lo === n - 1 && n > 1 && x - xs[n - 1]! > xs[n - 1]! - xs[n - 2]!) return undefined;
  return ys[lo] ?? null;
}

/** "1h 02m", "3m 05s", "12.5s": relative times on the x axis and in the read-out. */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number(s.toFixed(s < 10 ? 1 : 0))}s`;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return h > 0 ? `${sign}${h}h ${String(m).padStart(2, '0')}m` : `${sign}${m}m ${String(rest).padStart(2, '0')}s`;
}
