// Small file-reading helpers shared by adapters: every failure becomes a diagnostic naming the
// file, never an exception that would stop the scan.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRunSeries, summarize, type Series } from '../store/seriesCodec';
import { parsePythonJson } from '../util/pyjson';
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
export function readYamlMapping(file: string, diags: Diagnostic[], maxBytes?: number): Record<string, YamlValue> | undefined {
  return readYamlDocument(file, diags, maxBytes)?.map;
}

/** A YAML mapping with its text (for readers that keep the written form of scalars). */
export function readYamlDocument(file: string, diags: Diagnostic[], maxBytes?: number): { text: string; map: Record<string, YamlValue> } | undefined {
  const text = readTextFile(file, diags, maxBytes);
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
  return { text, map: value };
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

/** A line longer than this in a line-based format (CSV, TSV, metric lines) is refused. */
export const MAX_LINE_LENGTH = 1024 * 1024;

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1';

/**
 * Why the bytes of a known file cannot be its content, or undefined: a Git LFS pointer (the data
 * was never pulled) or binary garbage under a text name.
 */
export function notTextReason(head: Uint8Array): string | undefined {
  const start = Buffer.from(head.subarray(0, 64)).toString('latin1');
  if (start.startsWith(LFS_POINTER)) return 'this is a Git LFS pointer, not the data (run `git lfs pull` to fetch it)';
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) if (head[i] === 0) return 'this is binary data, not text';
  return undefined;
}

/** Reads a whole text file, refusing pointers, binary data and files over maxBytes. */
export function readTextFile(file: string, diags: Diagnostic[], maxBytes = 64 * 1024 * 1024): string | undefined {
  let buf: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > maxBytes) {
      diags.push({ severity: 'error', file, message: `the file is ${Math.round(size / 1048576)} MB, more than MLCycle reads for this kind of file (${Math.round(maxBytes / 1048576)} MB)` });
      return undefined;
    }
    buf = fs.readFileSync(file);
  } catch (err) {
    diags.push({ severity: 'error', file, message: `cannot read the file: ${describeError(err)}` });
    return undefined;
  }
  const why = notTextReason(buf);
  if (why) {
    diags.push({ severity: 'error', file, message: why });
    return undefined;
  }
  return buf.toString('utf8');
}

/** Reads and parses a JSON file as Python writes it (NaN, Infinity); problems become diagnostics. */
export function readJsonFile(file: string, diags: Diagnostic[], maxBytes?: number): unknown {
  const text = readTextFile(file, diags, maxBytes);
  if (text === undefined) return undefined;
  if (text.trim() === '') {
    diags.push({ severity: 'error', file, message: 'the file is empty (a write may have been interrupted)' });
    return undefined;
  }
  const { value, error } = parsePythonJson(text);
  if (error) {
    diags.push({ severity: 'error', file, ...(error.line ? { line: error.line } : {}), message: `invalid JSON: ${error.message}` });
    return undefined;
  }
  return value;
}

export interface GrowingText {
  /** Complete lines read (each without its line break). */
  lines: string[];
  /** 1-based number of the first line in `lines`, when reading from the start (else undefined). */
  firstLine: number | undefined;
  /** Byte offset after the last complete line: where the next read starts. */
  consumed: number;
  /** Text after the last newline (a line still being written), if any. */
  partial: string;
  size: number;
  mtimeMs: number;
}

/**
 * Reads the lines appended to a file since `fromByte`. A last line without a newline is not
 * consumed: the writer may be in the middle of it.
 */
export function readGrowingText(file: string, fromByte: number, diags: Diagnostic[]): GrowingText | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    diags.push({ severity: 'error', file, message: `cannot read the file: ${describeError(err)}` });
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    const start = st.size < fromByte ? 0 : fromByte; // shrank: rewritten, read again from the start
    const length = st.size - start;
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    if (start === 0) {
      const why = notTextReason(buf.subarray(0, got));
      if (why) {
        diags.push({ severity: 'error', file, message: why });
        return undefined;
      }
    }
    const lastNl = buf.lastIndexOf(10, got - 1);
    const complete = lastNl === -1 ? 0 : lastNl + 1;
    const text = buf.toString('utf8', 0, complete);
    const lines = text === '' ? [] : text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
    return {
      lines,
      firstLine: start === 0 ? 1 : undefined,
      consumed: start + complete,
      partial: buf.toString('utf8', complete, got),
      size: st.size,
      mtimeMs: st.mtimeMs,
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** Splits one CSV line (RFC 4180 quoting: "a, b" is one cell, "" is a quote). */
export function splitCsvLine(line: string, separator = ','): string[] {
  if (!line.includes('"')) return line.split(separator);
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** Names never worth walking into (dependencies, version control, caches). */
const NOT_WALKED = new Set(['node_modules', '.git', '.hg', '.svn', '.mlcycle', '__pycache__', '.venv', 'venv', '.tox', '.cache', '.dvc']);

/** A folder and the folders below it (breadth first, at most `limit`), for watching. */
export function foldersBelow(dir: string, limit: number): string[] {
  const out: string[] = [];
  const queue = [dir];
  while (queue.length > 0 && out.length < limit) {
    const current = queue.shift()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    out.push(current);
    for (const e of entries) if (e.isDirectory() && !NOT_WALKED.has(e.name)) queue.push(path.join(current, e.name));
  }
  return out;
}
