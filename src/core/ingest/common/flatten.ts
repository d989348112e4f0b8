// Turning nested JSON/YAML documents into flat params and metrics. Shared by the plain convention,
// the Hugging Face and the Ultralytics adapters (they could move to ../readers.ts later).
import { parsePythonFloat } from '../../util/numbers';

/** How a param value reads in the UI: scalars as Python tools would print them, the rest as JSON. */
export function paramText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Flattens nested mappings into `a.b.c` keys. Lists of scalars stay one value (JSON text): they
 * are usually one hyperparameter (`architectures`, `target_modules`, `betas`).
 */
export function flattenParams(
  value: Record<string, unknown>,
  out: Record<string, string> = {},
  prefix = '',
  /** Top-level scalars exactly as written in the file (`3.0` stays `3.0`). */
  raw?: ReadonlyMap<string, string>,
  maxDepth = 8,
): Record<string, string> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix + k;
    if (isPlainObject(v) && Object.keys(v).length > 0 && maxDepth > 0) flattenParams(v, out, `${key}.`, undefined, maxDepth - 1);
    else if (prefix === '' && raw?.has(k) && (typeof v !== 'object' || v === null)) out[key] = raw.get(k)!;
    else out[key] = paramText(v);
  }
  return out;
}

/**
 * Flattens a metrics document into `a/b` keys with numeric values. Numbers (NaN and ±Infinity
 * included) and numeric strings become points; lists are indexed (`per_class/0`); other values
 * (text, booleans, null) are not metrics and are left out.
 */
export function flattenMetrics(value: unknown, out: Map<string, number> = new Map(), prefix = '', maxDepth = 8): Map<string, number> {
  if (typeof value === 'number') {
    if (prefix !== '') out.set(prefix, value);
  } else if (typeof value === 'string') {
    const n = parsePythonFloat(value);
    if (n !== undefined && prefix !== '') out.set(prefix, n);
  } else if (maxDepth > 0 && Array.isArray(value)) {
    value.forEach((v, i) => flattenMetrics(v, out, prefix === '' ? String(i) : `${prefix}/${i}`, maxDepth - 1));
  } else if (maxDepth > 0 && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) flattenMetrics(v, out, prefix === '' ? k : `${prefix}/${k}`, maxDepth - 1);
  }
  return out;
}

const TOP_LEVEL_SCALAR = /^([A-Za-z_][\w.-]*): (.+)$/;

/**
 * The unquoted top-level scalars of a YAML mapping as written: YAML parsers turn `3.0` into 3 and
 * `null` into null, while MLflow-style params show what the tool wrote.
 */
export function rawYamlScalars(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const m = TOP_LEVEL_SCALAR.exec(line);
    if (!m) continue;
    const v = m[2]!.trim();
    // Quoted, flow or tagged values are left to the YAML parser.
    if (v === '' || /^['"[{&*!|>]/.test(v) || / #/.test(v)) continue;
    out.set(m[1]!, v);
  }
  return out;
}
