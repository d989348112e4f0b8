// Small-file reading for the DVC adapter: YAML and JSON files DVC and DVCLive write, with every
// problem a diagnostic naming the file and line. Values are flattened the way DVC shows them.
import * as path from 'node:path';
import { parseYamlText, type YamlValue } from '../../util/yamlFlat';
import { readJsonFile, readTextFile, statOrUndefined } from '../readers';
import type { Diagnostic } from '../types';

/**
 * params.yaml, metrics.json, dvc.yaml, dvc.lock are a few KB; one of many MB is a broken writer
 * (or a 50 MB single line), refused before it is parsed.
 */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;

export type Fingerprint = [number, number] | null;

export function fingerprintFile(file: string): Fingerprint {
  const st = statOrUndefined(file);
  return st?.isFile() ? [st.size, st.mtimeMs] : null;
}

export function sameFingerprints(a: Record<string, Fingerprint> | undefined, b: Record<string, Fingerprint>): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k];
    const y = b[k];
    if (x === undefined || y === undefined) return false;
    if (x === null || y === null) {
      if (x !== y) return false;
    } else if (x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

/**
 * Reads a YAML file, refusing LFS pointers, binary data and oversized files. An empty file is no
 * content (DVC reads an empty params.yaml as no params), not an error.
 */
export function readYamlFile(file: string, diags: Diagnostic[]): YamlValue | undefined {
  const text = readTextFile(file, diags, SMALL_FILE_BYTES);
  if (text === undefined || text.trim() === '') return undefined;
  const { value, error } = parseYamlText(text);
  if (error) {
    diags.push({ severity: 'error', file, ...(error.line ? { line: error.line } : {}), message: `invalid YAML: ${error.message}` });
    return undefined;
  }
  return value;
}

/** Reads a YAML or JSON file that must hold a mapping. */
export function readMappingFile(file: string, diags: Diagnostic[]): Record<string, unknown> | undefined {
  const ext = path.extname(file).toLowerCase();
  const value: unknown = ext === '.json' ? readJsonFile(file, diags, SMALL_FILE_BYTES) : readYamlFile(file, diags);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    diags.push({ severity: 'error', file, message: 'expected a mapping of keys to values' });
    return undefined;
  }
  return value as Record<string, unknown>;
}

/** A param value as text: strings stay as written (Python reprs included), lists and dicts as JSON. */
export function paramText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Flattens nested params with dotted keys (`train.lr`), as `dvc params diff` shows them. */
export function flattenParams(value: Record<string, unknown>, out: Record<string, string>, prefix = ''): Record<string, string> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) flattenParams(v, out, key);
    else out[key] = paramText(v);
  }
  return out;
}

/**
 * Flattens a metrics file with '/' (DVCLive's own separator: `train/loss` is the TSV
 * plots/metrics/train/loss.tsv). Only numbers are metrics; NaN and ±Infinity are numbers.
 */
export function flattenMetrics(value: Record<string, unknown>, out: Map<string, number>, skipTopLevel: ReadonlySet<string>, prefix = ''): void {
  for (const [k, v] of Object.entries(value)) {
    if (prefix === '' && skipTopLevel.has(k)) continue;
    const key = prefix ? `${prefix}/${k}` : k;
    if (typeof v === 'number') out.set(key, v);
    else if (isPlainObject(v)) flattenMetrics(v, out, skipTopLevel, key);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
