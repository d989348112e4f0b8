// Reading YAML written by Python tools. MLflow's meta.yaml files are flat PyYAML `safe_dump`
// mappings; a general YAML parser takes ~110 µs each, which is a second per 10,000 runs, so the
// flat subset is read directly and anything else falls back to the `yaml` package.
import { parseDocument } from 'yaml';

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

const LINE = /^([A-Za-z_][\w.-]*):(?: (.*))?$/;
const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/;

function plainScalar(text: string): YamlValue | undefined {
  if (text === '' || text === 'null' || text === '~' || text === 'Null' || text === 'NULL') return null;
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  if (text === '[]') return [];
  if (text === '{}') return {};
  if (INT.test(text)) {
    const n = Number(text);
    // Large ids (experiment ids are 18 digits) must not lose digits; keep them as text.
    return Number.isSafeInteger(n) ? n : text;
  }
  if (FLOAT.test(text)) return Number(text);
  if (text === '.nan' || text === '.NaN') return NaN;
  if (text === '.inf' || text === '+.inf') return Infinity;
  if (text === '-.inf') return -Infinity;
  // Anything with YAML syntax meaning goes to the real parser.
  if (/^[[{&*!|>'"%@`#]/.test(text) || / #|: /.test(text) || text.endsWith(':')) return undefined;
  return text;
}

/** Parses a flat `key: scalar` mapping, or returns undefined when the text needs a full parser. */
export function parseFlatMapping(text: string): Record<string, YamlValue> | undefined {
  const out: Record<string, YamlValue> = {};
  const lines = text.split('\n');
  for (let raw of lines) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw === '' ) continue;
    const m = LINE.exec(raw);
    if (!m) return undefined;
    const value = m[2] ?? '';
    let parsed: YamlValue | undefined;
    if (value.startsWith("'")) {
      if (!value.endsWith("'") || value.length < 2) return undefined;
      const inner = value.slice(1, -1);
      if (/(^|[^'])'([^']|$)/.test(inner)) return undefined;
      parsed = inner.replace(/''/g, "'");
    } else {
      parsed = plainScalar(value);
    }
    if (parsed === undefined) return undefined;
    out[m[1]!] = parsed;
  }
  return out;
}

export interface YamlResult {
  value: YamlValue | undefined;
  error?: { message: string; line?: number };
}

/**
 * Parses YAML text leniently: Python tags (`!!python/tuple`) are kept as plain values rather than
 * failing, as Lightning's hparams.yaml needs.
 */
export function parseYamlText(text: string): YamlResult {
  const flat = parseFlatMapping(text);
  if (flat) return { value: flat };
  try {
    // parseDocument keeps errors and warnings apart: unknown tags (!!python/tuple) are warnings
    // and the value is kept; a syntax error is reported with its line.
    const doc = parseDocument(text, { uniqueKeys: false });
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0]?.line;
      return { value: undefined, error: { message: first.message.split('\n')[0] ?? first.message, ...(line ? { line } : {}) } };
    }
    return { value: doc.toJS({ maxAliasCount: 1000 }) as YamlValue | undefined };
  } catch (err) {
    return { value: undefined, error: { message: (err as Error).message } };
  }
}

export function isMapping(v: YamlValue | undefined): v is { [key: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
