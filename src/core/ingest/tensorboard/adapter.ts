// TensorBoard log folders (FORMATS.md §5): a run is a folder holding `events.out.tfevents.*`
// files; several files in one folder are one run, read in the order of the time in their names.
//
// Source root. Discovery shows an adapter one folder at a time, top-down, with only the names of
// its children. The root is the topmost folder of a tree of event folders: a folder that holds
// event files itself, or whose Keras `train`/`validation` sub-folders do. It owns the child
// folders that hold event files (and everything below those); discovery does not enter them, so
// a nested event folder is never read twice. Claiming the parent of sibling run folders instead
// (`runs/` above `runs/<date>_<host>/`) would need a look inside every folder of the workspace,
// and would take run folders that other adapters own (an Ultralytics run folder also holds event
// files): sibling runs are separate sources, with the same experiment name (their parent folder).
//
// Runs merged into their parent folder's run:
// - Keras' `train/` and `validation/` sub-folders (only event files and `plugins/` inside), as
//   metrics `train/<tag>` and `validation/<tag>`: the HParams plugin treats them as one session
//   (metric groups of the run), and a Keras fit() is one run.
// - The single sub-folder named like `str(time.time())` holding PyTorch's `add_hparams` output,
//   when the folder itself holds event files: its hparams are the run's params (FORMATS §5.4).
//   Several such sub-folders are separate sessions, so separate runs.
//
// Status: an HParams session_end_info with an end time (TF writes one; PyTorch and Lightning
// write SUCCESS at the start, without), else a SessionLog STOP, else recency (LIVE_WINDOW_MS):
// RUNNING while the files and the events' own wall times are recent, FINISHED after.
import * as path from 'node:path';
import { DEFAULT_EXCLUDED_NAMES } from '../discovery';
import { encodeMetrics, listDir } from '../readers';
import type { Detection, DetectedRoot, Diagnostic, DirectoryView, ReadContext, RunRecord, RunStatus, RunUpdate, SourceAdapter, SourceReadResult } from '../types';
import { formatHParam, readEventRun, runningByRecency, type EventFolder, type EventRunState } from './eventRun';
import { HPARAMS_STATUS, isEventFileName, SESSION_STOP } from './events';

export const KERAS_SPLITS: readonly string[] = ['train', 'validation'];
/** `str(time.time())`: the sub-folder PyTorch's add_hparams writes. */
const TIMESTAMP_DIR = /^\d{9,11}\.\d+$/;
const NOT_WALKED = new Set([...DEFAULT_EXCLUDED_NAMES, 'plugins']);
const MAX_DEPTH = 8;
const MAX_TEXT = 5000;

function holdsEventFiles(files: readonly string[]): boolean {
  return files.some(isEventFileName);
}

function folderHoldsEventFiles(dir: string): boolean {
  const entries = listDir(dir, undefined);
  return entries !== undefined && holdsEventFiles(entries.files);
}

/** A Keras TensorBoard callback's `train`/`validation` folder: event files and a `plugins/` folder only. */
export function isKerasSplit(dir: string): boolean {
  if (!KERAS_SPLITS.includes(path.basename(dir))) return false;
  const entries = listDir(dir, undefined);
  if (!entries || entries.files.length === 0) return false;
  return entries.files.every(isEventFileName) && entries.dirs.every((d) => d === 'plugins');
}

/**
 * The children of a folder that a TensorBoard source rooted there owns, or undefined when the
 * folder is not such a root.
 */
function ownedChildren(dir: string, entries: { dirs: readonly string[]; files: readonly string[] }): string[] | undefined {
  if (holdsEventFiles(entries.files)) {
    return entries.dirs.filter((d) => !NOT_WALKED.has(d) && folderHoldsEventFiles(path.join(dir, d)));
  }
  const splits = entries.dirs.filter((d) => KERAS_SPLITS.includes(d) && isKerasSplit(path.join(dir, d)));
  return splits.length > 0 ? splits : undefined;
}

function detect(dir: DirectoryView): Detection | undefined {
  const owned = ownedChildren(dir.path, dir);
  if (!owned) return undefined;
  return { roots: [{ kind: 'tensorboard', path: dir.path }], skip: owned, exclusive: true };
}

export interface TensorBoardRunLayout {
  /** Native id: the folder relative to the source root, '.' for the root. */
  id: string;
  dir: string;
  folders: EventFolder[];
}

/** The runs of a TensorBoard source and the folders each one reads. */
export function layoutRuns(root: string, diags: Diagnostic[]): TensorBoardRunLayout[] {
  const runs: TensorBoardRunLayout[] = [];
  const rootEntries = listDir(root, diags);
  if (!rootEntries) return runs;
  const visit = (dir: string, id: string, entries: { dirs: string[]; files: string[] }, only: readonly string[] | undefined, depth: number): void => {
    const own = holdsEventFiles(entries.files);
    const splits = entries.dirs.filter((d) => KERAS_SPLITS.includes(d) && isKerasSplit(path.join(dir, d)));
    const stamps = own ? entries.dirs.filter((d) => TIMESTAMP_DIR.test(d) && folderHoldsEventFiles(path.join(dir, d))) : [];
    const stamp = stamps.length === 1 ? stamps[0] : undefined;
    if (own || splits.length > 0) {
      const folders: EventFolder[] = [];
      if (own) folders.push({ dir, prefix: '', id: '.' });
      for (const s of splits) folders.push({ dir: path.join(dir, s), prefix: `${s}/`, id: s });
      if (stamp) folders.push({ dir: path.join(dir, stamp), prefix: '', id: stamp });
      runs.push({ id, dir, folders });
    }
    if (depth >= MAX_DEPTH) return;
    const merged = new Set<string>([...splits, ...(stamp ? [stamp] : [])]);
    for (const child of entries.dirs.slice().sort()) {
      if (merged.has(child) || NOT_WALKED.has(child) || child.startsWith('.')) continue;
      if (only && !only.includes(child)) continue;
      const childDir = path.join(dir, child);
      const childEntries = listDir(childDir, diags);
      if (childEntries) visit(childDir, id === '.' ? child : `${id}/${child}`, childEntries, undefined, depth + 1);
    }
  };
  visit(root, '.', rootEntries, ownedChildren(root, rootEntries) ?? [], 0);
  return runs;
}

interface RunState {
  ev: EventRunState;
}

interface SourceState {
  /** The experiment as last written: [native id, name]. */
  e: [string, string];
}

/** Status and end time of a run from what its event files said (see the header). */
export function eventRunStatus(s: EventRunState, now = Date.now()): { status: RunStatus; endTime: number | null } {
  if (s.e && s.e[0] === HPARAMS_STATUS.SUCCESS) return { status: 'FINISHED', endTime: s.e[1] };
  if (s.e && s.e[0] === HPARAMS_STATUS.FAILURE) return { status: 'FAILED', endTime: s.e[1] };
  if (s.s && s.s[0] === SESSION_STOP) return { status: 'FINISHED', endTime: s.s[1] };
  // Not one readable event: a file just created is a run starting; damaged files say nothing.
  if (s.t1 === null) return { status: !s.x && runningByRecency(s.w, null, now) ? 'RUNNING' : 'UNKNOWN', endTime: null };
  if (runningByRecency(s.w, s.t1, now)) return { status: 'RUNNING', endTime: null };
  return { status: 'FINISHED', endTime: s.t1 };
}

function truncate(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const diagnostics: Diagnostic[] = [];
  const previous = ctx.sourceState as SourceState | undefined;
  const runs = layoutRuns(root.path, diagnostics);
  // The experiment is the folder holding the run folders, as `tensorboard --logdir` would be.
  const experimentName = path.basename(path.dirname(root.path)) || path.basename(root.path);
  const experiment: [string, string] = [experimentName, experimentName];
  if (ctx.full || !previous || previous.e[0] !== experiment[0] || previous.e[1] !== experiment[1]) {
    ctx.sink.experiment({
      experiment: { nativeId: experiment[0], name: experiment[1], deleted: false, artifactLocation: null, created: null, updated: null, tags: {} },
    });
  }
  const presentRunIds: string[] = [];
  const now = Date.now();
  for (const run of runs) {
    if (ctx.signal?.aborted) break;
    presentRunIds.push(run.id);
    const known = ctx.known.get(run.id);
    const previousState = (known?.state as RunState | undefined)?.ev;
    let r: ReturnType<typeof readEventRun>;
    try {
      r = readEventRun(run.folders, ctx.full ? undefined : previousState, { full: ctx.full });
    } catch (err) {
      // One unreadable run must not hide the others (it stays as stored).
      diagnostics.push({ severity: 'error', file: run.dir, message: `cannot read the run: ${(err as Error).message}` });
      continue;
    }
    const { status, endTime } = eventRunStatus(r.state, now);
    if (r.unchanged && known && known.status === status) continue; // idle, or finished long ago
    const record: RunRecord = {
      nativeId: run.id,
      experimentNativeId: experiment[0],
      name: run.id === '.' ? path.basename(root.path) : run.id,
      status,
      startTime: r.state.t0,
      endTime,
      deleted: false,
      parentId: null,
      user: null,
      path: run.dir,
      artifactUri: null,
    };
    const update: RunUpdate = { run: record, state: { ev: r.state } satisfies RunState, diagnostics: r.diagnostics };
    if (r.metrics) {
      update.metrics = encodeMetrics(r.metrics);
      update.metricsComplete = true;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.hparams ?? {})) params[k] = formatHParam(v);
      update.params = params;
      const tags: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.texts ?? {})) tags[k] = truncate(v);
      update.tags = tags;
    } else if (r.append) {
      update.appendMetrics = [...r.append].map(([key, series]) => ({ key, series }));
    }
    ctx.sink.run(update);
  }
  return { presentExperimentIds: [experiment[0]], presentRunIds, diagnostics, state: { e: experiment } satisfies SourceState };
}

export const tensorboardAdapter: SourceAdapter = {
  kind: 'tensorboard',
  label: 'TensorBoard',
  detect,
  read,
};
