// Keras CSVLogger files (FORMATS.md §4.2): one row per epoch, header `epoch` + sorted log keys,
// 0-based epoch, `NA` for missing values, excel dialect (\r\n). The source is the file itself, so
// a folder may also hold other formats (a plain-convention run, TensorBoard logs).
//
// `CSVLogger(append=True)` concatenates trainings in one file: the epoch falls back (0..49, 0..49).
// Each such segment is a run of its own, `<file>`, `<file>#2`, … : they are separate trainings, a
// single run would have its steps go backwards, and keeping only the last one would drop data.
// A growing file is read from its offset: new rows extend the last segment, or start a new one.
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { parseInteger } from '../../util/numbers';
import { encodeMetrics, notTextReason, statOrUndefined } from '../readers';
import type { Detection, DetectedRoot, Diagnostic, DirectoryView, KnownRun, ReadContext, RunRecord, SourceAdapter, SourceReadResult } from '../types';
import { firstLine, parseCell, readCsvLog, type CsvPosition, type CsvRow } from '../common/csvLog';

const KIND = 'keras';

/**
 * CSVLogger writes at each epoch end, with no end marker: a file written to within this window is
 * taken as a training in progress, an older one as finished.
 */
export const kerasTiming = { liveWindowMs: 10 * 60_000 };

const EXTENSION = /\.(csv|log)$/i;
/** Names worth opening during discovery: CSVLogger's default and what people call their logs. */
const NAME_HINT = /log|hist|train|epoch|keras/i;
/** Names that say "training log" strongly enough to report an empty or unreadable file. */
const LOG_NAME = /log|hist/i;
/** Other tools' CSV files that start with an `epoch` column (Lightning, Ultralytics). */
const OTHER_TOOLS = new Set(['metrics.csv', 'results.csv']);
const HEADER = /^epoch\s*[,;\t]/;
const LIGHTNING_HEADER = /^epoch[,;\t]step([,;\t]|$)/;

/** Whether a file is a Keras CSV log, judging by its name and at most its first 512 bytes. */
export function looksLikeKerasLog(file: string): boolean {
  const name = path.basename(file);
  if (!EXTENSION.test(name) || OTHER_TOOLS.has(name.toLowerCase())) return false;
  const stem = name.replace(EXTENSION, '');
  if (!NAME_HINT.test(stem)) return false;
  const first = firstLine(file);
  if (!first) return false;
  const logName = name === 'training.log' || LOG_NAME.test(stem);
  // An empty file, binary data or an LFS pointer under a log's name is reported, not ignored.
  if (first.head.toString('utf8').trim() === '' || notTextReason(first.head)) return logName;
  return HEADER.test(first.text) && !LIGHTNING_HEADER.test(first.text);
}

function detect(dir: DirectoryView): Detection | undefined {
  const roots = dir.files.filter((f) => looksLikeKerasLog(path.join(dir.path, f))).map((f) => ({ kind: KIND, path: path.join(dir.path, f) }));
  return roots.length > 0 ? { roots } : undefined;
}

/** State of one segment (run). The last segment also knows where the next read starts. */
interface SegmentState {
  /** 1-based segment number in the file. */
  k: number;
  /** Last epoch read. */
  e: number;
  pos?: CsvPosition;
}

interface SourceState {
  size: number;
  mtimeMs: number;
  runs: string[];
  /** Diagnostics of the file, kept while it only grows. */
  diag: Diagnostic[];
}

function segmentId(file: string, k: number): string {
  const base = path.basename(file);
  return k === 1 ? base : `${base}#${k}`;
}

interface Segment {
  k: number;
  lastEpoch: number;
  series: Map<string, Series>;
}

function addRow(seg: Segment, columns: string[], row: CsvRow, epoch: number, file: string, diags: Diagnostic[]): void {
  seg.lastEpoch = epoch;
  const push = (key: string, value: number): void => {
    let s = seg.series.get(key);
    if (!s) seg.series.set(key, (s = { steps: [], times: null, values: [] }));
    s.steps.push(epoch);
    s.values.push(value);
  };
  for (let c = 1; c < columns.length; c++) {
    const key = columns[c]!;
    const cell = parseCell(row.cells[c]!);
    if (cell.kind === 'number') push(key, cell.value);
    else if (cell.kind === 'list') cell.values.forEach((v, i) => push(`${key}/${i}`, v));
    else if (cell.kind === 'text') diags.push({ severity: 'warning', file, line: row.line, message: `"${row.cells[c]}" in column ${key} is not a number: left out` });
  }
}

/** Splits rows into segments where the epoch does not increase (another training appended). */
function segmentRows(
  rows: CsvRow[],
  columns: string[],
  file: string,
  diags: Diagnostic[],
  current: Segment | undefined,
): { current: Segment | undefined; added: Segment[] } {
  const added: Segment[] = [];
  let seg = current;
  let nextK = (current?.k ?? 0) + 1;
  for (const row of rows) {
    const epoch = parseInteger(row.cells[0]!);
    if (epoch === undefined) {
      diags.push({ severity: 'error', file, line: row.line, message: `the epoch "${row.cells[0]}" is not a whole number: row skipped` });
      continue;
    }
    if (!seg || epoch <= seg.lastEpoch) {
      seg = { k: nextK++, lastEpoch: epoch, series: new Map() };
      added.push(seg);
    }
    addRow(seg, columns, row, epoch, file, diags);
  }
  return { current, added };
}

function record(file: string, k: number, status: RunRecord['status'], endTime: number | null, startTime: number | null): RunRecord {
  const id = segmentId(file, k);
  return {
    nativeId: id,
    experimentNativeId: null,
    name: id,
    status,
    startTime,
    endTime,
    deleted: false,
    parentId: null,
    user: null,
    path: path.dirname(file),
    artifactUri: null,
  };
}

/**
 * The file's creation time is when CSVLogger opened it, at the start of the first training; the
 * later segments have no recorded start. Filesystems without a birth time give none.
 */
function firstStart(birth: number, mtime: number): number | null {
  return birth > 0 && birth <= mtime ? Math.round(birth) : null;
}

function knownSegments(known: ReadonlyMap<string, KnownRun>): { run: KnownRun; state: SegmentState }[] | undefined {
  const out: { run: KnownRun; state: SegmentState }[] = [];
  for (const run of known.values()) {
    const state = run.state as SegmentState | null | undefined;
    if (!state || typeof state.k !== 'number') return undefined;
    out.push({ run, state });
  }
  out.sort((a, b) => a.state.k - b.state.k);
  // The stored segments must be exactly 1..n, the last one knowing its offset.
  if (out.some((s, i) => s.state.k !== i + 1) || (out.length > 0 && !out[out.length - 1]!.state.pos)) return undefined;
  return out;
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const file = root.path;
  const st = statOrUndefined(file);
  if (!st?.isFile()) {
    return { presentExperimentIds: [], presentRunIds: [], diagnostics: [{ severity: 'error', file, message: 'the file is gone or is not a file' }], state: undefined };
  }
  const live = Date.now() - st.mtimeMs < kerasTiming.liveWindowMs;
  const previous = ctx.sourceState as SourceState | undefined;
  const segments = ctx.full ? undefined : knownSegments(ctx.known);
  const last = segments?.[segments.length - 1];
  const start = firstStart(st.birthtimeMs, st.mtimeMs);

  // Nothing written since the last read: at most the last segment stopped being live.
  if (previous && segments && previous.size === st.size && previous.mtimeMs === st.mtimeMs && previous.runs.length === segments.length) {
    if (last && last.run.status === 'RUNNING' && !live) {
      ctx.sink.run({ run: record(file, last.state.k, 'FINISHED', Math.round(st.mtimeMs), last.state.k === 1 ? start : null), state: last.state, diagnostics: [] });
    }
    return { presentExperimentIds: [], presentRunIds: previous.runs, diagnostics: previous.diag, state: previous };
  }

  const diags: Diagnostic[] = [];
  const csv = readCsvLog(file, last?.state.pos, { readPartial: !live }, diags);
  if (!csv) {
    // Unreadable (binary, an LFS pointer, a giant line): said once, not re-read until it changes.
    const state: SourceState = { size: st.size, mtimeMs: st.mtimeMs, runs: [], diag: diags };
    return { presentExperimentIds: [], presentRunIds: [], diagnostics: diags, state };
  }
  const endOf = (isLast: boolean): { status: RunRecord['status']; end: number | null } =>
    isLast && live ? { status: 'RUNNING', end: null } : { status: 'FINISHED', end: isLast ? Math.round(st.mtimeMs) : null };

  if (csv.columns.length === 0 || csv.columns[0] !== 'epoch') {
    // A file with no header: CSVLogger writes it only at the end of the first epoch; it may
    // also be a file cut down to nothing (the 1-byte files seen in the wild).
    const message =
      csv.columns.length === 0
        ? `no header line (${st.size} byte${st.size === 1 ? '' : 's'}): nothing to read${live ? ' yet' : ''}`
        : `the first column is "${csv.columns[0]}", not "epoch": not a Keras CSVLogger file`;
    diags.push({ severity: 'warning', file, line: 1, message });
    const state: SourceState = { size: st.size, mtimeMs: st.mtimeMs, runs: [], diag: diags };
    return { presentExperimentIds: [], presentRunIds: [], diagnostics: diags, state };
  }

  const runs: string[] = [];
  let allDiags: Diagnostic[];
  if (!csv.whole && segments && last) {
    // The file grew: rows go to the last segment until the epoch falls back.
    const current: Segment = { k: last.state.k, lastEpoch: last.state.e, series: new Map() };
    const { added } = segmentRows(csv.rows, csv.columns, file, diags, current);
    for (const s of segments) runs.push(s.run.nativeId);
    const stillLast = added.length === 0;
    const { status, end } = endOf(stillLast);
    const state: SegmentState = { k: current.k, e: current.lastEpoch, ...(stillLast ? { pos: csv.position } : {}) };
    const appended = [...current.series].map(([key, series]) => ({ key, series }));
    if (appended.length > 0 || status !== last.run.status || !stillLast || csv.position.offset !== last.state.pos?.offset) {
      ctx.sink.run({
        run: record(file, current.k, status, end, current.k === 1 ? start : null),
        appendMetrics: appended,
        state,
        diagnostics: [],
      });
    }
    added.forEach((seg, i) => {
      const isLast = i === added.length - 1;
      const e = endOf(isLast);
      runs.push(segmentId(file, seg.k));
      ctx.sink.run({
        run: record(file, seg.k, e.status, e.end, null),
        params: {},
        tags: {},
        metrics: encodeMetrics(seg.series),
        metricsComplete: true,
        artifacts: [],
        state: { k: seg.k, e: seg.lastEpoch, ...(isLast ? { pos: csv.position } : {}) } satisfies SegmentState,
        diagnostics: [],
      });
    });
    allDiags = [...(previous?.diag ?? []), ...diags];
  } else {
    const { added } = segmentRows(csv.rows, csv.columns, file, diags, undefined);
    if (added.length === 0) {
      // A header and no rows yet: the training has not finished its first epoch.
      added.push({ k: 1, lastEpoch: -1, series: new Map() });
    }
    added.forEach((seg, i) => {
      const isLast = i === added.length - 1;
      const e = endOf(isLast);
      runs.push(segmentId(file, seg.k));
      ctx.sink.run({
        run: record(file, seg.k, e.status, e.end, seg.k === 1 ? start : null),
        params: {},
        tags: {},
        metrics: encodeMetrics(seg.series),
        metricsComplete: true,
        artifacts: [],
        state: { k: seg.k, e: seg.lastEpoch, ...(isLast ? { pos: csv.position } : {}) } satisfies SegmentState,
        diagnostics: [],
      });
    });
    allDiags = diags;
  }
  const state: SourceState = { size: csv.position.size, mtimeMs: csv.position.mtimeMs, runs, diag: allDiags };
  return { presentExperimentIds: [], presentRunIds: runs, diagnostics: allDiags, state };
}

export const kerasAdapter: SourceAdapter = {
  kind: KIND,
  label: 'Keras CSVLogger file',
  detect,
  read,
};
