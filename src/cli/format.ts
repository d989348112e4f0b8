// Plain-text rendering for the terminal: aligned tables, times, durations.
import { formatNumber } from '../core/util/numbers';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Cut longer cells to this many characters. */
  max?: number;
}

function cut(text: string, max: number | undefined): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  if (max === undefined || oneLine.length <= max) return oneLine;
  return oneLine.slice(0, Math.max(1, max - 1)) + '…';
}

export function table(columns: Column[], rows: string[][]): string {
  const cells = rows.map((r) => r.map((c, i) => cut(c, columns[i]?.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (columns[i]?.align === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function shortTime(ms: number | null): string {
  if (ms === null) return '';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

export function duration(startMs: number | null, endMs: number | null): string {
  if (startMs === null || endMs === null) return '';
  let s = Math.max(0, Math.round((endMs - startMs) / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export { formatNumber };
