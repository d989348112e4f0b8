// CSV logs that grow one row per epoch (Keras CSVLogger, Ultralytics results.csv): a header once,
// then rows. A re-read continues from the byte offset where the previous one stopped; a file whose
// header changed or that shrank was rewritten and is read again from its start. Ultralytics uses
// this too (it could move to ../readers.ts).
import * as fs from 'node:fs';
import { parsePythonFloat } from '../../util/numbers';
import { MAX_LINE_LENGTH, notTextReason, readGrowingText, splitCsvLine } from '../readers';
import type { Diagnostic } from '../types';

/** Where a CSV log was left, kept in a run's state between reads. */
export interface CsvPosition {
  /** The header line as written; a different one on the next read means the file was rewritten. */
  header: string;
  separator: string;
  /** Byte offset after the last row read. */
  offset: number;
  /** 1-based number of the next line to read. */
  line: number;
  size: number;
  mtimeMs: number;
  /** The bytes just before `offset` (base64): a file rewritten to the same length differs there. */
  before?: string;
}

export interface CsvRow {
  line: number;
  cells: string[];
}

export interface CsvRead {
  /** Column names, trimmed (Ultralytics pads them); empty when the file has no header yet. */
  columns: string[];
  rows: CsvRow[];
  /** Read from the start: earlier rows are replaced, not appended to. */
  whole: boolean;
  position: CsvPosition;
}

const SEPARATORS = [',', '\t', ';'];

function cleanLine(line: string): string {
  // Python's csv writes \r\n; a file opened in text mode on Windows turns that into \r\r\n.
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 13) end--;
  return end === line.length ? line : line.slice(0, end);
}

function readHead(file: string, bytes: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The first line of a file (at most `bytes` read), without its line break; undefined if unreadable. */
export function firstLine(file: string, bytes = 512): { text: string; head: Buffer } | undefined {
  const head = readHead(file, bytes);
  if (!head) return undefined;
  const nl = head.indexOf(10);
  const text = cleanLine(head.toString('utf8', 0, nl === -1 ? head.length : nl)).replace(/^\uFEFF/, '');
  return { text, head };
}

const BEFORE_BYTES = 64;

function bytesBefore(file: string, offset: number): string | undefined {
  if (offset === 0) return undefined;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const n = Math.min(BEFORE_BYTES, offset);
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, offset - n);
    return buf.subarray(0, got).toString('base64');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function sameHeader(file: string, previous: CsvPosition): boolean {
  const expected = Buffer.from(previous.header, 'utf8');
  const head = readHead(file, expected.length + 2);
  if (!head || head.length < expected.length + 1) return false;
  if (!head.subarray(0, expected.length).equals(expected)) return false;
  const next = head[expected.length];
  return next === 10 || next === 13;
}

function splitHeader(header: string): { columns: string[]; separator: string } {
  const bare = header.replace(/^\uFEFF/, '');
  const separator = SEPARATORS.find((s) => bare.includes(s)) ?? ',';
  const columns = splitCsvLine(bare, separator).map((c) => c.trim());
  // Ultralytics 8.0–8.2 wrote "%23s," per column: a trailing separator leaves an empty last name.
  if (columns.length > 1 && columns[columns.length - 1] === '') columns.pop();
  return { columns, separator };
}

export interface CsvReadOptions {
  /** The writer is done with the file: a last line without a line break is read too. */
  readPartial: boolean;
}

/**
 * Reads a CSV log, from `previous` when the file only grew since. Rows whose cell count differs
 * from the header's become diagnostics naming the line, and are skipped.
 */
export function readCsvLog(file: string, previous: CsvPosition | undefined, opts: CsvReadOptions, diags: Diagnostic[]): CsvRead | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    diags.push({ severity: 'error', file, message: `cannot read the file: ${(err as Error).message}` });
    return undefined;
  }
  const tail =
    previous !== undefined &&
    st.size >= previous.offset &&
    sameHeader(file, previous) &&
    (previous.before === undefined || bytesBefore(file, previous.offset) === previous.before);
  let columns: string[];
  let separator: string;
  let header: string;
  let from: number;
  let lineNo: number;
  if (tail) {
    ({ columns, separator } = splitHeader(previous.header));
    header = previous.header;
    from = previous.offset;
    lineNo = previous.line;
  } else {
    // Look at the first line before reading the file whole: a 50 MB file on one line is refused
    // without loading it.
    const head = readHead(file, Math.min(st.size, MAX_LINE_LENGTH + 1));
    if (!head) {
      diags.push({ severity: 'error', file, message: 'cannot read the file' });
      return undefined;
    }
    const why = notTextReason(head);
    if (why) {
      diags.push({ severity: 'error', file, message: why });
      return undefined;
    }
    if (head.indexOf(10) === -1 && st.size > MAX_LINE_LENGTH) {
      diags.push({ severity: 'error', file, line: 1, message: `the first line is longer than ${MAX_LINE_LENGTH / 1048576} MB: not a CSV log` });
      return undefined;
    }
    columns = [];
    separator = ',';
    header = '';
    from = 0;
    lineNo = 1;
  }
  const grown = readGrowingText(file, from, diags);
  if (!grown) return undefined;
  const lines = grown.lines;
  let consumed = grown.consumed;
  let lastLine: string | undefined;
  if (grown.partial !== '' && opts.readPartial) {
    lastLine = grown.partial;
    consumed = grown.size;
  }
  const rows: CsvRow[] = [];
  const take = (raw: string, n: number, unterminated: boolean): void => {
    if (raw.length > MAX_LINE_LENGTH) {
      diags.push({ severity: 'error', file, line: n, message: `the line is longer than ${MAX_LINE_LENGTH / 1048576} MB: skipped` });
      return;
    }
    const line = cleanLine(raw);
    if (line.trim() === '') return;
    if (header === '') {
      header = line;
      ({ columns, separator } = splitHeader(line));
      return;
    }
    const cells = splitCsvLine(line, separator).map((c) => c.trim());
    if (cells.length === columns.length + 1 && cells[cells.length - 1] === '') cells.pop();
    if (cells.length !== columns.length) {
      diags.push({ severity: 'error', file, line: n, message: `the row has ${cells.length} cells, the header has ${columns.length}: skipped` });
      return;
    }
    if (unterminated) diags.push({ severity: 'warning', file, line: n, message: 'the last line has no line break: the file may have been cut short (its row was read)' });
    rows.push({ line: n, cells });
  };
  lines.forEach((l, i) => take(l, lineNo + i, false));
  lineNo += lines.length;
  if (lastLine !== undefined) {
    take(lastLine, lineNo, true);
    lineNo++;
  } else if (grown.partial.length > MAX_LINE_LENGTH) {
    diags.push({ severity: 'error', file, line: lineNo, message: `the line is longer than ${MAX_LINE_LENGTH / 1048576} MB and has no line break: not read` });
  }
  // Until the header is complete nothing is consumed: the next read starts again from 0.
  const offset = header === '' ? 0 : consumed;
  const before = bytesBefore(file, offset);
  return {
    columns,
    rows,
    whole: !tail,
    position: { header, separator, offset, line: header === '' ? 1 : lineNo, size: grown.size, mtimeMs: grown.mtimeMs, ...(before ? { before } : {}) },
  };
}

export type Cell = { kind: 'missing' } | { kind: 'number'; value: number } | { kind: 'list'; values: number[] } | { kind: 'text' };

/**
 * One metric cell: `NA` and empty cells are missing (Keras writes NA for a metric an epoch did
 * not log), `nan`/`inf` are values, `"[a, b]"` is a list (Keras writes list-valued logs so).
 */
export function parseCell(text: string): Cell {
  const t = text.trim();
  if (t === '' || t === 'NA' || t === 'None') return { kind: 'missing' };
  const n = parsePythonFloat(t);
  if (n !== undefined) return { kind: 'number', value: n };
  if (t.startsWith('[') && t.endsWith(']')) {
    const parts = t.slice(1, -1).split(/[\s,]+/).filter((p) => p !== '');
    const values = parts.map((p) => parsePythonFloat(p));
    if (values.every((v) => v !== undefined)) return { kind: 'list', values: values as number[] };
  }
  return { kind: 'text' };
}
