// Collects metric points into per-key histories with TensorBoard's rule for a step written twice:
// the newest value wins. Used on whole files and on the tails of growing ones; on a tail, a point
// that would have to replace or precede what is already stored cannot be appended, and the
// builder says so (`conflict`): the caller then reads the run from the start.
import type { Series } from '../../store/seriesCodec';

/** The last point of each key: [step, value]; non-finite values as text (JSON has no NaN). */
export type LastPoints = Record<string, [number, number | string]>;

function encodeValue(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function decodeValue(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

interface Acc {
  steps: number[];
  times: number[] | null;
  values: number[];
  /** Largest step so far (stored or collected). */
  maxStep: number;
  /** The stored last point (tail mode), while nothing newer was collected. */
  storedStep: number | undefined;
  storedValue: number;
  sorted: boolean;
  /** Who wrote the key (a folder id), for restart purges limited to one writer. */
  origin: string;
}

export class SeriesBuilder {
  private readonly accs = new Map<string, Acc>();
  /** Why the collected points cannot be appended to the stored ones (tail mode only). */
  conflict: string | undefined;

  /**
   * @param withTimes whether points carry wall times
   * @param previous the stored last points: set when reading the tail of a growing file
   */
  constructor(
    private readonly withTimes: boolean,
    private readonly previous?: LastPoints,
  ) {}

  get tail(): boolean {
    return this.previous !== undefined;
  }

  private acc(key: string, origin: string): Acc {
    let a = this.accs.get(key);
    if (!a) {
      const prev = this.previous?.[key];
      a = {
        steps: [],
        times: this.withTimes ? [] : null,
        values: [],
        maxStep: prev ? prev[0] : -Infinity,
        storedStep: prev ? prev[0] : undefined,
        storedValue: prev ? decodeValue(prev[1]) : NaN,
        sorted: true,
        origin,
      };
      this.accs.set(key, a);
    }
    return a;
  }

  add(key: string, step: number, time: number | null, value: number, origin = ''): void {
    const a = this.acc(key, origin);
    const n = a.values.length;
    if (step > a.maxStep) {
      a.steps.push(step);
      a.times?.push(time ?? 0);
      a.values.push(value);
      a.maxStep = step;
      return;
    }
    if (n > 0 && a.steps[n - 1] === step) {
      a.values[n - 1] = value; // the newest value of a step wins
      if (a.times) a.times[n - 1] = time ?? 0;
      return;
    }
    if (n === 0 && a.storedStep === step) {
      // The tail repeats the stored last step: harmless when the value is the same (Lightning
      // logs `epoch` in every row, across flushes); anything else needs a whole read.
      if (!sameValue(value, a.storedValue)) this.conflict ??= `${key}: step ${step} written again`;
      return;
    }
    if (this.tail) {
      this.conflict ??= `${key}: step ${step} after step ${a.maxStep}`;
      return;
    }
    a.steps.push(step);
    a.times?.push(time ?? 0);
    a.values.push(value);
    a.sorted = false;
  }

  /**
   * A restart (SessionLog START at `step`): TensorBoard drops the points at or after that step
   * written before it (`_Purge`, event_accumulator.py), for the keys of that writer.
   */
  purgeFrom(step: number, origin: string): void {
    if (this.previous) {
      for (const [key, [last]] of Object.entries(this.previous)) {
        if (last >= step && (this.accs.get(key)?.origin ?? origin) === origin) {
          this.conflict ??= `${key}: restarted at step ${step}`;
        }
      }
    }
    for (const a of this.accs.values()) {
      if (a.origin !== origin || a.values.length === 0) continue;
      let w = 0;
      for (let i = 0; i < a.values.length; i++) {
        if (a.steps[i]! >= step) continue;
        a.steps[w] = a.steps[i]!;
        if (a.times) a.times[w] = a.times[i]!;
        a.values[w] = a.values[i]!;
        w++;
      }
      a.steps.length = w;
      if (a.times) a.times.length = w;
      a.values.length = w;
      let max = a.storedStep ?? -Infinity;
      for (let i = 0; i < w; i++) if (a.steps[i]! > max) max = a.steps[i]!;
      a.maxStep = max;
    }
  }

  keys(): string[] {
    return [...this.accs.keys()];
  }

  /** The collected histories, ordered by step, one point per step. */
  result(): Map<string, Series> {
    const out = new Map<string, Series>();
    for (const [key, a] of this.accs) {
      if (a.values.length === 0) continue;
      if (!a.sorted) this.sortAndDedupe(a);
      out.set(key, { steps: a.steps, times: a.times, values: a.values });
    }
    return out;
  }

  /** The last points after this read, for the next tail. */
  lastPoints(): LastPoints {
    const out: LastPoints = { ...this.previous };
    for (const [key, a] of this.accs) {
      const n = a.values.length;
      if (n === 0) continue;
      if (!a.sorted) this.sortAndDedupe(a);
      out[key] = [a.steps[n - 1]!, encodeValue(a.values[a.values.length - 1]!)];
    }
    return out;
  }

  private sortAndDedupe(a: Acc): void {
    const order = a.steps.map((_, i) => i);
    order.sort((i, j) => a.steps[i]! - a.steps[j]! || i - j);
    const steps: number[] = [];
    const times: number[] | null = a.times ? [] : null;
    const values: number[] = [];
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const next = order[k + 1];
      if (next !== undefined && a.steps[next] === a.steps[i]) continue; // a later write of the step follows
      steps.push(a.steps[i]!);
      times?.push(a.times![i]!);
      values.push(a.values[i]!);
    }
    a.steps = steps;
    a.times = times;
    a.values = values;
    a.sorted = true;
  }
}
