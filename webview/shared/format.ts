// Numbers as the tables and read-outs show them: the same 6 significant digits as the Runs view and
// the CLI (src/core/util/numbers.ts, pure, bundled in), a dash for "no value". DOM-free.
import { formatNumber } from '../../src/core/util/numbers';

export function formatValue(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : formatNumber(v);
}

/** Canvas text has no ellipsis of its own: cut to `max` characters. */
export function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, Math.max(1, max - 1)) + '…' : text;
}
