// Lightning's metrics.csv (CSVLogger, FORMATS.md §4.1) and TestTube's (Lightning 0.x): a header
// that is the sorted union of the keys logged so far, sparse rows (empty cells), `step` (global
// step) and `epoch` columns; TestTube has no step but a `created_at` time. Rows are flushed in
// batches, so the file grows; when a new key appears Lightning REWRITES the file with a wider
// header. A grown file with the same header is read from its last offset; a changed header or a
// shorter file is read again from the start.
import * as fs from 'node:fs';
import type { Series } from '../../store/seriesCodec';
import { parseInteger, parsePythonFloat } from '../../util/numbers';
import { MAX_LINE_LENGTH, readGrowingText, splitCsvLine } from '../readers';
import type { Diagnostic } from '../types';
import { SeriesBuilder, type LastPoints } from '../tensorboard/seriesBuilder';

export interface CsvState {
  /** Offset after the last complete line. */
  o: number;
  /** Size and mtime at the last read. */
  s: number;
  m: number;
  /** Header line. */
  h: string;
  /** Lines consumed (header included), for line numbers in later diagnostics. */
  n: number;
  /** Step of the last row (rows without a step column count from 0). */
  st: number;
  /** Last point of each key. */
  l: LastPoints;
  /** Diagnostics of the lines read so far, repeated while the file only grows. */
  d?: Diagnostic[];
  /** Newest created_at time (TestTube), ms. */
  t?: number;
}

export interface CsvRead {
  unchanged: boolean;
  metrics?: Map<string, Series>;
  append?: Map<string, Series>;
  /** The tail cannot be appended (a step written again with another value): read the run whole. */
  conflict?: boolean;
  state: CsvState | undefined;
  diagnostics: Diagnostic[];
}

const MAX_ROW_DIAGS = 10;
/** Columns that are axes or times, not metrics. */
const STEP = 'step';
const CREATED_AT = 'created_at';

/** TestTube's `created_at`: `2020-02-03 14:08:30.980366`, the writer's local time. */
function parseCreatedAt(text: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms).getTime();
  return Number.isNaN(t) ? undefined : t;
}

function headerMatches(file: string, header: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const want = Buffer.from(header, 'utf8');
    const buf = Buffer.alloc(want.length + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return n === buf.length && buf.subarray(0, want.length).equals(want) && (buf[want.length] === 13 || buf[want.length] === 10);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Reads metrics.csv whole, or its tail when `previous` describes the same file grown. `live`:
 * the run is being written, so a last line without its line break is waited for silently.
 */
export function readMetricsCsv(file: string, previous: CsvState | undefined, live: boolean): CsvRead {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    return { unchanged: false, state: undefined, diagnostics: [{ severity: 'error', file, message: `cannot read the file: ${(err as Error).message}` }] };
  }
  if (previous && st.size === previous.s && st.mtimeMs === previous.m) return { unchanged: true, state: previous, diagnostics: previous.d ?? [] };
  const tail = previous !== undefined && st.size >= previous.o && previous.h !== '' && headerMatches(file, previous.h);
  const diags: Diagnostic[] = tail ? [...(previous.d ?? [])] : [];
  const text = readGrowingText(file, tail ? previous.o : 0, diags);
  if (!text) {
    // Binary data, an LFS pointer: reported, and read again only when the file changes.
    return { unchanged: false, metrics: new Map(), state: { o: 0, s: st.size, m: st.mtimeMs, h: '', n: 0, st: -1, l: {}, d: diags }, diagnostics: diags };
  }
  const lines = text.lines;
  let lineNo = tail ? previous.n : 0; // number of the last line handled
  // A file without a usable header is read again only when it changes.
  const headerless = (): CsvRead => ({
    unchanged: false,
    metrics: new Map(),
    state: { o: 0, s: text.size, m: text.mtimeMs, h: '', n: 0, st: -1, l: {}, ...(diags.length > 0 ? { d: diags } : {}) },
    diagnostics: diags,
  });
  let header: string;
  if (tail) header = previous.h;
  else {
    if (lines.length === 0) {
      // An empty file, or one line still being written.
      if (text.partial.length > MAX_LINE_LENGTH) {
        diags.push({ severity: 'error', file, line: 1, message: `line 1 is longer than ${MAX_LINE_LENGTH / 1048576} MB and has no line break: not a metrics file` });
      } else if (!live && st.size > 0) {
        diags.push({ severity: 'warning', file, line: 1, message: 'the header line has no line break (the file was cut short?): no metrics read' });
      } else if (!live) {
        diags.push({ severity: 'warning', file, message: 'the file is empty: no metrics read' });
      }
      return headerless();
    }
    header = lines.shift()!;
    lineNo = 1;
    if (header.length > MAX_LINE_LENGTH) {
      diags.push({ severity: 'error', file, line: 1, message: `the header line is longer than ${MAX_LINE_LENGTH / 1048576} MB: not a metrics file` });
      return headerless();
    }
    if (header.trim() === '') {
      diags.push({ severity: 'warning', file, line: 1, message: `the file has no header (${st.size} byte${st.size === 1 ? '' : 's'}): no metrics read` });
      return headerless();
    }
  }
  const columns = splitCsvLine(header).map((c) => c.trim());
  const stepCol = columns.indexOf(STEP);
  const timeCol = columns.indexOf(CREATED_AT);
  const metricCols = columns.map((c, i) => (i === stepCol || i === timeCol || c === '' ? -1 : i)).filter((i) => i >= 0);
  const builder = new SeriesBuilder(timeCol >= 0, tail ? previous.l : undefined);
  let step = tail ? previous.st : -1;
  let lastTime = tail ? previous.t : undefined;
  let rowDiags = diags.length;
  const report = (d: Diagnostic): void => {
    if (rowDiags++ < MAX_ROW_DIAGS) diags.push(d);
  };
  for (const line of lines) {
    lineNo++;
    if (line.length > MAX_LINE_LENGTH) {
      report({ severity: 'error', file, line: lineNo, message: `line ${lineNo} is longer than ${MAX_LINE_LENGTH / 1048576} MB: skipped` });
      continue;
    }
    if (line === '') continue;
    const cells = splitCsvLine(line);
    if (cells.length !== columns.length) {
      report({ severity: 'error', file, line: lineNo, message: `line ${lineNo} has ${cells.length} cells, the header has ${columns.length}: skipped` });
      continue;
    }
    if (stepCol >= 0) {
      const s = parseInteger(cells[stepCol]!);
      // A row without a step (LearningRateMonitor rows may lack one) belongs to the last step.
      if (s !== undefined) step = s;
      else if (step < 0) step = 0;
    } else step++; // TestTube: one row per logging call
    let time: number | null = null;
    if (timeCol >= 0) {
      const t = parseCreatedAt(cells[timeCol]!);
      time = t ?? lastTime ?? 0;
      if (t !== undefined) lastTime = t;
    }
    for (const i of metricCols) {
      const cell = cells[i]!;
      if (cell === '') continue; // sparse: not logged in this row
      const v = parsePythonFloat(cell);
      if (v === undefined) {
        report({ severity: 'warning', file, line: lineNo, message: `line ${lineNo}: "${cell.slice(0, 40)}" in column ${columns[i]} is not a number: skipped` });
        continue;
      }
      builder.add(columns[i]!, step, time, v);
    }
  }
  if (rowDiags > MAX_ROW_DIAGS) diags.push({ severity: 'error', file, message: `${rowDiags - MAX_ROW_DIAGS} more problems in this file` });
  if (tail && builder.conflict) return { unchanged: false, conflict: true, state: undefined, diagnostics: [] };
  const state: CsvState = { o: text.consumed, s: text.size, m: text.mtimeMs, h: header, n: lineNo, st: step, l: builder.lastPoints() };
  if (diags.length > 0) state.d = diags.slice(0, MAX_ROW_DIAGS + 1);
  if (lastTime !== undefined) state.t = lastTime;
  // The unfinished last line is about the file as it is now, not kept for later reads.
  const all = [...diags];
  if (text.partial !== '') {
    if (text.partial.length > MAX_LINE_LENGTH) {
      all.push({ severity: 'error', file, line: lineNo + 1, message: `line ${lineNo + 1} is longer than ${MAX_LINE_LENGTH / 1048576} MB and has no line break: not read` });
    } else if (!live) {
      all.push({ severity: 'warning', file, line: lineNo + 1, message: 'the last line has no line break (the file was cut short?): not read' });
    }
  }
  const series = builder.result();
  return tail
    ? { unchanged: false, append: series, state, diagnostics: all }
    : { unchanged: false, metrics: series, state, diagnostics: all };
}
