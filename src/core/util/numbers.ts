// Numbers as Python writes them. `str(float)` gives `nan`, `inf`, `-inf`; `json.dump` gives bare
// `NaN`, `Infinity`, `-Infinity`; Ultralytics and Keras pad cells with spaces. JavaScript's
// parseFloat('inf') is NaN, so non-finite spellings are mapped before Number().

const NON_FINITE = /^([+-]?)(?:(inf|infinity)|(nan))$/i;
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses one numeric cell; returns undefined when the text is not a number. */
export function parsePythonFloat(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (NUMERIC.test(t)) return Number(t);
  const m = NON_FINITE.exec(t);
  if (!m) return undefined;
  if (m[3] !== undefined) return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** Parses an integer field (steps, timestamps). Accepts "3", "-1", "3.0"; rejects fractions. */
export function parseInteger(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(?:\.0*)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(Math.trunc(n)) ? Math.trunc(n) : undefined;
}

/** JSON-safe form of a metric value: finite numbers stay numbers, the rest become strings. */
export function jsonNumber(value: number | null | undefined): number | string | null {
  if (value === null || value === undefined) return null;
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/** Compact human form for tables: up to 6 significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}
