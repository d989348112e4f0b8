// Curve smoothing for the Compare Runs panel, DOM-free so mocha tests it in Node.

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled toward
 * zero). `weight` is in [0, 1): 0 leaves the values as they are. Non-finite values are gaps: they
 * are returned as null and do not enter the average, as TensorBoard treats them.
 */
export function ema(values: ArrayLike<number>, weight: number): (number | null)[] {
  const n = values.length;
  const out: (number | null)[] = new Array<number | null>(n);
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    if (w === 0) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    k++;
    out[i] = last / (1 - Math.pow(w, k));
  }
  return out;
}
