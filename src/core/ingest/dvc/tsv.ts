// DVCLive metric histories: one TSV per metric (FORMATS.md §2.2), header written once, a row
// appended per log_metric(). Columns: `timestamp` (optional, ms; always there in 0.x), `step`, and
// the value column named after the metric. A file that only grew is read from where the last read
// stopped; one that shrank, was replaced (DVCLive deletes its files when Live() starts) or whose
// header changed is read whole again.
import * as fs from 'node:fs';
import type { Series } from '../../store/seriesCodec';
import { parseInteger, parsePythonFloat } from '../../util/numbers';
import { MAX_LINE_LENGTH, readGrowingText } from '../readers';
import type { Diagnostic } from '../types';

/** What the last read of one TSV left, kept in the run's state. */
export interface TsvState {
  /** Bytes consumed: complete lines read. */
  c: number;
  /** Size, mtime and inode when last read. */
  s: number;
  m: number;
  i: number;
  /** Lines consumed (header included), for the line numbers of later rows. */
  n: number;
  /** The header line ('' until one was read). */
  h: string;
  /** The bytes just before `c` (base64): a rewritten file rarely has the same ones at that offset. */
  w: string;
  /** First and last timestamp read, when the file has a timestamp column. */
  t: [number, number] | null;
  /** Diagnostics of the lines consumed so far (at most MAX_LISTED) and how many more there were. */
  d: Diagnostic[];
  k: number;
  /** Diagnostics about the unconsumed tail, replaced on every read. */
  x: Diagnostic[];
}

export interface TsvRead {
  state: TsvState;
  /** The whole history, when the file was read from its start. */
  whole?: Series;
  /** The points after the previous read (maybe none), when the file was read from an offset. */
  append?: Series;
}

const MAX_LISTED = 20;
const WINDOW = 32;

export function emptySeries(withTimes: boolean): Series {
  return { steps: [], times: withTimes ? [] : null, values: [] };
}

/** The diagnostics to show for one TSV. */
export function tsvDiagnostics(file: string, s: TsvState): Diagnostic[] {
  const out = [...s.d];
  if (s.k > 0) out.push({ severity: 'error', file, message: `${s.k} more malformed rows (not listed)` });
  return out.concat(s.x);
}

function readSlice(fd: number, start: number, length: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, length));
  let got = 0;
  while (got < buf.length) {
    const n = fs.readSync(fd, buf, got, buf.length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

function windowBefore(file: string, offset: number): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const start = Math.max(0, offset - WINDOW);
    return readSlice(fd, start, offset - start).toString('base64');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** True when the file still starts with the header and has the same bytes before the offset. */
function sameFileGrown(file: string, prev: TsvState): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const header = Buffer.from(prev.h, 'utf8');
    if (!readSlice(fd, 0, header.length).equals(header)) return false;
    const start = Math.max(0, prev.c - WINDOW);
    return readSlice(fd, start, prev.c - start).toString('base64') === prev.w;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

interface Columns {
  count: number;
  step: number;
  timestamp: number;
  value: number;
}

function parseHeader(header: string): Columns | string {
  if (header.length > MAX_LINE_LENGTH) return `the header line is longer than ${MAX_LINE_LENGTH} characters`;
  const cols = header.split('\t');
  const step = cols.indexOf('step');
  const timestamp = cols.indexOf('timestamp');
  let value = -1;
  for (let i = cols.length - 1; i >= 0; i--) {
    if (i !== step && i !== timestamp) {
      value = i;
      break;
    }
  }
  const shown = header.length > 80 ? `${header.slice(0, 80)}…` : header;
  if (step < 0) return `not a DVCLive metric history: the header "${shown}" has no step column`;
  if (value < 0) return `not a DVCLive metric history: the header "${shown}" has no value column`;
  return { count: cols.length, step, timestamp, value };
}

class RowParser {
  readonly series: Series;
  t: [number, number] | null;

  constructor(
    private readonly file: string,
    private readonly cols: Columns,
    private readonly state: TsvState,
    t: [number, number] | null,
  ) {
    this.series = emptySeries(cols.timestamp >= 0);
    this.t = t;
  }

  private problem(line: number, message: string, severity: Diagnostic['severity'] = 'error'): void {
    if (this.state.d.length < MAX_LISTED) this.state.d.push({ severity, file: this.file, line, message });
    else this.state.k++;
  }

  /** Parses one row; returns false when it was skipped. */
  row(text: string, line: number): boolean {
    if (text.trim() === '') return false;
    if (text.length > MAX_LINE_LENGTH) {
      this.problem(line, `the line is longer than ${MAX_LINE_LENGTH} characters; skipped`);
      return false;
    }
    const cells = text.split('\t');
    if (cells.length !== this.cols.count) {
      this.problem(line, `the row has ${cells.length} cells, the header has ${this.cols.count}; skipped`);
      return false;
    }
    const step = parseInteger(cells[this.cols.step]!);
    if (step === undefined) {
      this.problem(line, `the step "${cells[this.cols.step]}" is not an integer; row skipped`);
      return false;
    }
    const value = parsePythonFloat(cells[this.cols.value]!);
    if (value === undefined) {
      this.problem(line, `the value "${cells[this.cols.value]}" is not a number; row skipped`);
      return false;
    }
    let time: number | undefined;
    if (this.cols.timestamp >= 0) {
      time = parseInteger(cells[this.cols.timestamp]!);
      if (time === undefined) {
        this.problem(line, `the timestamp "${cells[this.cols.timestamp]}" is not an integer (ms); row skipped`);
        return false;
      }
      this.t = this.t ? [Math.min(this.t[0], time), Math.max(this.t[1], time)] : [time, time];
      this.series.times!.push(time);
    }
    this.series.steps.push(step);
    this.series.values.push(value);
    return true;
  }
}

function freshState(st: fs.Stats): TsvState {
  return { c: 0, s: st.size, m: st.mtimeMs, i: st.ino, n: 0, h: '', w: '', t: null, d: [], k: 0, x: [] };
}

/**
 * Reads one TSV: unchanged (nothing read), grown (the new rows), or whole. `live` runs may be in
 * the middle of a line, which is left for the next read; a finished run's unterminated last line
 * is read, with a warning.
 */
export function readTsv(file: string, st: fs.Stats, prev: TsvState | undefined, live: boolean): TsvRead {
  const pendingTail = prev !== undefined && prev.h !== '' && prev.c < prev.s && !live;
  if (prev && !pendingTail && st.size === prev.s && st.mtimeMs === prev.m && st.ino === prev.i) {
    return { state: prev, append: emptySeries(false) };
  }
  const tail = prev !== undefined && prev.h !== '' && prev.c > 0 && st.ino === prev.i && st.size >= prev.c && sameFileGrown(file, prev);
  const from = tail ? prev.c : 0;
  const diags: Diagnostic[] = [];
  const g = readGrowingText(file, from, diags);
  const state: TsvState = tail ? { ...prev, d: [...prev.d], x: [] } : freshState(st);
  if (!g) {
    // Unreadable, binary, an LFS pointer: reported once per version of the file.
    state.d = diags;
    return { state };
  }
  state.s = g.size;
  state.m = g.mtimeMs;
  let lines = g.lines;
  let lineNo = state.n + 1;
  let consumed = g.consumed;
  let partial = g.partial;
  if (partial.length > MAX_LINE_LENGTH) {
    state.x.push({ severity: 'error', file, line: lineNo + lines.length, message: `the line is longer than ${MAX_LINE_LENGTH} characters (no line break in ${Math.round(partial.length / 1024)} KB); not read` });
    partial = '';
    if (!live) consumed = g.size;
  }
  if (!tail) {
    let header = lines[0];
    if (header === undefined && partial !== '' && !live) {
      header = partial; // a file cut short after (or inside) its header
      partial = '';
      consumed = g.size;
      state.x.push({ severity: 'warning', file, line: 1, message: 'the file ends inside its header line: it may have been cut short' });
    }
    if (header === undefined) {
      if (!live && g.size === 0) state.x.push({ severity: 'warning', file, message: 'the metric file is empty' });
      state.c = 0;
      state.n = 0;
      return { state, whole: emptySeries(false) };
    }
    const cols = parseHeader(header);
    if (typeof cols === 'string') {
      state.d = [{ severity: 'error', file, line: 1, message: cols }];
      return { state };
    }
    state.h = header;
    lines = lines.slice(1);
    lineNo = 2;
    const parser = new RowParser(file, cols, state, null);
    lines.forEach((text, i) => parser.row(text, lineNo + i));
    finishPartial(parser, file, partial, live, lineNo + lines.length, state);
    if (partial !== '' && !live) consumed = g.size;
    state.t = parser.t;
    state.c = consumed;
    state.n = lineNo - 1 + lines.length + (partial !== '' && !live ? 1 : 0);
    state.w = windowBefore(file, state.c);
    return { state, whole: parser.series };
  }
  const cols = parseHeader(prev.h) as Columns;
  const parser = new RowParser(file, cols, state, prev.t);
  lines.forEach((text, i) => parser.row(text, lineNo + i));
  finishPartial(parser, file, partial, live, lineNo + lines.length, state);
  if (partial !== '' && !live) consumed = g.size;
  state.t = parser.t;
  state.c = consumed;
  state.n = prev.n + lines.length + (partial !== '' && !live ? 1 : 0);
  state.w = windowBefore(file, state.c);
  return { state, append: parser.series };
}

/** A finished run's last line without a line break: read it, and say the file may be cut short. */
function finishPartial(parser: RowParser, file: string, partial: string, live: boolean, line: number, state: TsvState): void {
  if (partial === '' || live) return;
  if (parser.row(partial, line)) {
    state.x.push({ severity: 'warning', file, line, message: 'the last line has no line break: the file may have been cut short (its row was read)' });
  }
}
