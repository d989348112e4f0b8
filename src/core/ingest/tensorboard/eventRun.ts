// Reads the event files of one run (one folder, or a folder and the sub-folders merged into it)
// into metric histories, hparams, text summaries and end signals. The TensorBoard adapter uses it,
// and so can any adapter whose run folders also hold event files (Lightning's TensorBoardLogger,
// Hugging Face `runs/`, Ultralytics).
//
// Incremental: the state remembers, per file, the offset after the last whole record. A file that
// only grew is read from there and its new points are appended; anything else (a file rewritten
// or removed, a file older than those read, a step written again, a restart) reads the run whole.
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { listDir, statOrUndefined } from '../readers';
import type { Diagnostic } from '../types';
import { isEventFileName, readEventFile, SESSION_START, sortEventFiles, type EventVisitor, type HParamValue } from './events';
import { SeriesBuilder, type LastPoints } from './seriesBuilder';

export interface EventFolder {
  /** Absolute folder holding event files. */
  dir: string;
  /** Put before its tags (`train/`), '' for none. */
  prefix: string;
  /** Name of the folder in the run's state: its path relative to the run folder ('.' for itself). */
  id: string;
}

/** [offset after the last whole record, size, mtimeMs] */
type FileMark = [number, number, number];

export interface EventRunState {
  /** Folder id → event file name → mark. */
  f: Record<string, Record<string, FileMark>>;
  /** Folder id → file name → its diagnostics, repeated while the file is not read again. */
  d?: Record<string, Record<string, Diagnostic[]>>;
  /** Last point of every metric. */
  l: LastPoints;
  /** First and last event wall times, ms. */
  t0: number | null;
  t1: number | null;
  /** Newest file mtime, ms. */
  w: number | null;
  /** HParams session end with a recorded end time: [status, ms]. */
  e?: [number, number];
  /** Last SessionLog: [status, wall ms]. */
  s?: [number, number];
  /** Some file cannot be read (corrupt, LFS pointer). */
  x?: boolean;
}

export interface EventRunRead {
  /** Nothing was read: the files are as the state describes. */
  unchanged: boolean;
  /** The whole histories (the run was read from the start). */
  metrics?: Map<string, Series>;
  /** Points appended to the stored histories (tails of growing files). */
  append?: Map<string, Series>;
  /** HParams of the run (whole reads only; undefined when none was written). */
  hparams?: Record<string, HParamValue>;
  /** Latest text summary per tag (whole reads only). */
  texts?: Record<string, string>;
  state: EventRunState;
  diagnostics: Diagnostic[];
}

export interface ReadEventRunOptions {
  /** Read everything again, ignoring the state. */
  full?: boolean;
  /** Keep text summaries (default true). */
  texts?: boolean;
}

const MAX_DIAGS_PER_FILE = 8;

interface Listing {
  folder: EventFolder;
  files: { name: string; size: number; mtimeMs: number }[];
}

function listFolders(folders: readonly EventFolder[], diags: Diagnostic[]): Listing[] {
  return folders.map((folder) => {
    const entries = listDir(folder.dir, diags);
    const names = sortEventFiles((entries?.files ?? []).filter(isEventFileName));
    const files: Listing['files'] = [];
    for (const name of names) {
      const st = statOrUndefined(path.join(folder.dir, name));
      if (st) files.push({ name, size: st.size, mtimeMs: st.mtimeMs });
    }
    return { folder, files };
  });
}

/** Whether the run's files are exactly those of the state, or only grew (tail), or else. */
function compare(listings: Listing[], previous: EventRunState): 'same' | 'tail' | 'whole' {
  if (Object.keys(previous.f).length !== listings.length) return 'whole';
  let same = true;
  for (const { folder, files } of listings) {
    const marks = previous.f[folder.id];
    if (!marks) return 'whole';
    const known = Object.keys(marks);
    let seenNew = false;
    let knownSeen = 0;
    for (const f of files) {
      const m = marks[f.name];
      if (!m) {
        seenNew = true;
        same = false;
        continue;
      }
      if (seenNew) return 'whole'; // a new file ordered before a known one: order matters
      knownSeen++;
      if (f.size < m[0]) return 'whole'; // rewritten shorter
      if (f.size !== m[1] || f.mtimeMs !== m[2]) same = false;
    }
    if (knownSeen !== known.length) return 'whole'; // a file went away
  }
  return same ? 'same' : 'tail';
}

/**
 * Reads (or re-reads) the event files of a run. `previous` is the state returned last time;
 * without it, or with `full`, every file is read from its start.
 */
export function readEventRun(folders: readonly EventFolder[], previous: EventRunState | undefined, options: ReadEventRunOptions = {}): EventRunRead {
  const listDiags: Diagnostic[] = [];
  const listings = listFolders(folders, listDiags);
  if (previous && !options.full) {
    const how = compare(listings, previous);
    if (how === 'same') return { unchanged: true, state: previous, diagnostics: [...listDiags, ...storedDiagnostics(previous)] };
    if (how === 'tail') {
      const r = read(listings, previous, options, listDiags);
      if (r) return r;
    }
  }
  return read(listings, undefined, options, listDiags)!;
}

function storedDiagnostics(state: EventRunState): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const files of Object.values(state.d ?? {})) for (const list of Object.values(files)) out.push(...list);
  return out;
}

/** One pass over the files; in tail mode returns undefined when the run must be read whole. */
function read(listings: Listing[], previous: EventRunState | undefined, options: ReadEventRunOptions, listDiags: Diagnostic[]): EventRunRead | undefined {
  const tail = previous !== undefined;
  const builder = new SeriesBuilder(true, previous?.l);
  const state: EventRunState = {
    f: {},
    l: {},
    t0: previous?.t0 ?? null,
    t1: previous?.t1 ?? null,
    w: previous?.w ?? null,
  };
  if (previous?.e) state.e = previous.e;
  if (previous?.s) state.s = previous.s;
  const fileDiags: Record<string, Record<string, Diagnostic[]>> = {};
  const hparamsByFolder: Record<string, HParamValue>[] = [];
  const texts: Record<string, string> = {};
  let needWhole = false;
  let corrupt = tail ? (previous.x ?? false) : false;
  const keepTexts = options.texts !== false;

  for (const { folder, files } of listings) {
    const marks: Record<string, FileMark> = {};
    state.f[folder.id] = marks;
    const diagsOf: Record<string, Diagnostic[]> = {};
    const hparams: Record<string, HParamValue> = {};
    let hasHparams = false;
    const visitor: EventVisitor = {
      event(wallTime) {
        if (wallTime > 0) {
          const ms = Math.round(wallTime * 1000);
          if (state.t0 === null || ms < state.t0) state.t0 = ms;
          if (state.t1 === null || ms > state.t1) state.t1 = ms;
        }
      },
      scalar(tag, step, wallTime, value) {
        builder.add(folder.prefix + tag, step, Math.round(wallTime * 1000), value, folder.id);
      },
      text(tag, _step, _wallTime, text) {
        if (tail) needWhole = true; // texts are replaced as a whole set
        else if (keepTexts) texts[folder.prefix + tag] = text;
      },
      sessionStart(h) {
        if (tail) needWhole = true; // params are replaced as a whole set
        Object.assign(hparams, h);
        hasHparams = true;
      },
      sessionEnd(status, endTimeSecs) {
        // PyTorch's add_hparams and Lightning write SUCCESS at the start without an end time:
        // only a recorded end time makes it an end signal.
        if (endTimeSecs && endTimeSecs > 0) state.e = [status, Math.round(endTimeSecs * 1000)];
      },
      sessionLog(status, step, wallTime) {
        state.s = [status, Math.round(wallTime * 1000)];
        if (status === SESSION_START) builder.purgeFrom(step, folder.id);
      },
    };
    const previousMarks = previous?.f[folder.id] ?? {};
    const previousDiags = previous?.d?.[folder.id] ?? {};
    for (const f of files) {
      const file = path.join(folder.dir, f.name);
      const mark = previousMarks[f.name];
      if (mark && mark[1] === f.size && mark[2] === f.mtimeMs) {
        marks[f.name] = mark;
        if (previousDiags[f.name]) diagsOf[f.name] = previousDiags[f.name]!;
        continue;
      }
      const from = mark ? mark[0] : 0;
      const diags: Diagnostic[] = mark ? [...(previousDiags[f.name] ?? [])] : [];
      const r = readEventFile(file, from, visitor, diags);
      if (r) {
        marks[f.name] = [r.consumed, r.size, r.mtimeMs];
        if (r.corrupt) corrupt = true;
        if (state.w === null || r.mtimeMs > state.w) state.w = r.mtimeMs;
      }
      if (diags.length > 0) diagsOf[f.name] = diags.slice(0, MAX_DIAGS_PER_FILE);
      if (needWhole || builder.conflict) return undefined;
    }
    if (Object.keys(diagsOf).length > 0) fileDiags[folder.id] = diagsOf;
    if (hasHparams) hparamsByFolder.push(hparams);
  }
  if (tail && (needWhole || builder.conflict)) return undefined;
  if (Object.keys(fileDiags).length > 0) state.d = fileDiags;
  if (corrupt) state.x = true;
  state.l = builder.lastPoints();
  // Newest file mtime over every file, including unchanged ones.
  for (const { files } of listings) for (const f of files) if (state.w === null || f.mtimeMs > state.w) state.w = f.mtimeMs;
  const result: EventRunRead = { unchanged: false, state, diagnostics: [...listDiags, ...storedDiagnostics(state)] };
  const series = builder.result();
  if (tail) result.append = series;
  else {
    result.metrics = series;
    if (hparamsByFolder.length > 0) {
      // The run folder's own hparams win over those of a merged child (listed first).
      result.hparams = Object.assign({}, ...hparamsByFolder.slice(1).reverse(), hparamsByFolder[0]) as Record<string, HParamValue>;
    }
    if (keepTexts) result.texts = texts;
  }
  return result;
}

/** An hparam value as a param string. */
export function formatHParam(v: HParamValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `[${v.map(formatHParam).join(', ')}]`;
}

/** One folder's event files as metric histories, read whole (for adapters that need no state). */
export function readEventFolder(dir: string, prefix = ''): EventRunRead {
  return readEventRun([{ dir, prefix, id: '.' }], undefined);
}

/**
 * How long after its last write a run without an end marker still counts as running. Writers
 * flush every 2 minutes at most (TensorBoard/PyTorch `flush_secs=120`; Lightning's CSVLogger every
 * 100 steps): five flush periods without a write means the process is gone or done.
 */
export const LIVE_WINDOW_MS = 10 * 60 * 1000;

/**
 * RUNNING while both the newest file write and the newest event wall time (when known) are
 * recent. The wall time is the writer's own clock, so logs copied or checked out today, which
 * have fresh mtimes, are not taken for live runs.
 */
export function runningByRecency(lastWriteMs: number | null, lastEventMs: number | null, now = Date.now()): boolean {
  if (lastWriteMs === null || now - lastWriteMs >= LIVE_WINDOW_MS) return false;
  return lastEventMs === null || now - lastEventMs < LIVE_WINDOW_MS;
}
