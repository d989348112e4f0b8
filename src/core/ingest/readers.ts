// Small file-reading helpers shared by adapters: every failure becomes a diagnostic naming the
// file, never an exception that would stop the scan.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRunSeries, summarize, type Series } from '../store/seriesCodec';
import { isMapping, parseYamlText, type YamlValue } from '../util/yamlFlat';
import type { Diagnostic, EncodedMetric } from './types';

export type Stat = fs.Stats;

export function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'not found';
    case 'EISDIR':
      return 'is a folder, expected a file';
    case 'ENOTDIR':
      return 'is a file, expected a folder';
    case 'ELOOP':
      return 'symbolic link loop';
    default:
      return e.message ?? String(err);
  }
}

export function readText(file: string, diags: Diagnostic[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    diags.push({ severity: 'error', file, message: `cannot read the file: ${describeError(err)}` });
    return undefined;
  }
}

export interface DirEntries {
  dirs: string[];
  files: string[];
}

/** Lists a folder; symbolic links are classified by their target. */
export function listDir(dir: string, diags: Diagnostic[] | undefined): DirEntries | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    diags?.push({ severity: 'error', file: dir, message: `cannot read the folder: ${describeError(err)}` });
    return undefined;
  }
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) dirs.push(e.name);
    else if (e.isFile()) files.push(e.name);
    else if (e.isSymbolicLink()) {
      const st = statOrUndefined(path.join(dir, e.name));
      if (st?.isDirectory()) dirs.push(e.name);
      else if (st?.isFile()) files.push(e.name);
    }
  }
  return { dirs, files };
}

/** Reads a YAML mapping; an empty, truncated or malformed file yields a diagnostic. */
export function readYamlMapping(file: string, diags: Diagnostic[]): Record<string, YamlValue> | undefined {
  const text = readText(file, diags);
  if (text === undefined) return undefined;
  if (text.trim() === '') {
    diags.push({ severity: 'error', file, message: 'the file is empty (a write may have been interrupted)' });
    return undefined;
  }
  const { value, error } = parseYamlText(text);
  if (error) {
    diags.push({ severity: 'error', file, ...(error.line ? { line: error.line } : {}), message: `invalid YAML: ${error.message}` });
    return undefined;
  }
  if (!isMapping(value)) {
    diags.push({ severity: 'error', file, message: 'expected a YAML mapping of keys to values' });
    return undefined;
  }
  return value;
}

/**
 * Reads every file under dir as key → text, keys being relative paths with '/' (MLflow stores a
 * key "a/b" as the nested file a/b). Dot-files (editor and OS litter) are ignored.
 */
export function readKeyValueTree(dir: string, diags: Diagnostic[], maxDepth = 16): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string, prefix: string, depth: number): void => {
    const entries = listDir(current, diags);
    if (!entries) return;
    for (const name of entries.files) {
      if (name.startsWith('.')) continue;
      const text = readText(path.join(current, name), diags);
      if (text !== undefined) out[prefix + name] = text;
    }
    if (depth >= maxDepth) return;
    for (const name of entries.dirs) {
      if (name.startsWith('.')) continue;
      walk(path.join(current, name), `${prefix}${name}/`, depth + 1);
    }
  };
  walk(dir, '', 0);
  return out;
}

/** Lists the files under dir as relative keys (for metric files read one by one). */
export function listFilesRecursive(dir: string, diags: Diagnostic[], maxDepth = 16): string[] {
  const out: string[] = [];
  const walk = (current: string, prefix: string, depth: number): void => {
    const entries = listDir(current, diags);
    if (!entries) return;
    for (const name of entries.files) if (!name.startsWith('.')) out.push(prefix + name);
    if (depth >= maxDepth) return;
    for (const name of entries.dirs) if (!name.startsWith('.')) walk(path.join(current, name), `${prefix}${name}/`, depth + 1);
  };
  walk(dir, '', 0);
  return out;
}

/** Summarizes and encodes every metric history of one run (empty histories are dropped). */
export function encodeMetrics(series: ReadonlyMap<string, Series>): EncodedMetric[] {
  const kept = new Map([...series].filter(([, s]) => s.values.length > 0));
  const blobs = encodeRunSeries(kept);
  return [...kept].map(([key, s]) => ({ key, summary: summarize(s)!, blob: blobs.get(key)! }));
}

export function asString(v: YamlValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function asNumber(v: YamlValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}
