// Axes of the panel's own charts (parallel coordinates, scatter): numeric params and metrics on a
// linear scale with round ticks, other params as ordered categories. DOM-free (tested in Node).

export type Axis =
  | { kind: 'numeric'; min: number; max: number; ticks: number[]; position(v: string | number | null): number | null }
  | { kind: 'categorical'; categories: string[]; position(v: string | number | null): number | null };

/** A param value as a number when all of it is one ("0.1", "1e-5", "3"); booleans and words are not. */
export function numericValue(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const t = v.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** About `count` round tick values covering [min, max] (1, 2, 2.5 or 5 × a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Category order: numbers by value first, then text in natural order ("lr2" before "lr10"). */
export function orderCategories(values: readonly string[]): string[] {
  const unique = [...new Set(values)];
  return unique.sort((a, b) => {
    const na = numericValue(a);
    const nb = numericValue(b);
    if (na !== null && nb !== null) return na - nb;
    if (na !== null) return -1;
    if (nb !== null) return 1;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
  });
}

/**
 * The axis for a column of values (one per run; null when a run lacks it). Positions are in [0, 1]
 * (0 = bottom/left) and null for a missing value. Numeric when every present value is a number.
 */
export function axisFor(values: readonly (string | number | null)[]): Axis {
  const present = values.filter((v): v is string | number => v !== null);
  const nums = present.map(numericValue);
  if (present.length > 0 && nums.every((n) => n !== null)) {
    const ns = nums as number[];
    let min = Math.min(...ns);
    let max = Math.max(...ns);
    if (min === max) {
      // One value: centre it rather than divide by zero.
      const pad = Math.abs(min) * 0.1 || 1;
      min -= pad;
      max += pad;
    }
    const span = max - min;
    return {
      kind: 'numeric',
      min,
      max,
      ticks: niceTicks(min, max),
      position: (v) => {
        const n = numericValue(v);
        return n === null ? null : (n - min) / span;
      },
    };
  }
  const categories = orderCategories(present.map(String));
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    kind: 'categorical',
    categories,
    position: (v) => {
      if (v === null) return null;
      const i = index.get(String(v));
      if (i === undefined) return null;
      return categories.length === 1 ? 0.5 : i / (categories.length - 1);
    },
  };
}
