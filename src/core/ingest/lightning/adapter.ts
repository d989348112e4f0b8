// PyTorch Lightning logs (FORMATS.md §4.1): `<save_dir>/<name>/version_<k>/` written by CSVLogger
// (metrics.csv, hparams.yaml), TensorBoardLogger (event files, hparams.yaml) or, in Lightning 0.x,
// TestTubeLogger (meta.experiment, meta_tags.csv, metrics.csv, tf/ event files), with
// checkpoints/*.ckpt when ModelCheckpoint saves there.
//
// Source root: the logger folder (`lightning_logs`, the `name` level), recognised by `version_<k>`
// children that hold Lightning files. Its runs are those version folders and, for custom versions
// (`TensorBoardLogger(save_dir="lightning_logs", name="optuna_tft", version="trial_0")`), any
// folder up to two levels down holding hparams.yaml, metrics.csv, meta_tags.csv or event files.
// The root is claimed exclusively and its run folders are skipped, so the TensorBoard adapter
// never reads their event files a second time. A lone run folder (a TestTube version copied
// elsewhere, or hparams.yaml with metrics.csv or event files) is a root of its own, run '.'.
//
// Metrics: event files first (they carry wall times), metrics.csv for the keys they lack.
// Params: hparams.yaml, else TestTube's meta_tags.csv, else the HParams plugin in the events.
// Status: Lightning writes no end marker. RUNNING while the run's files were written within
// LIVE_WINDOW_MS (and, with event files, while their own wall times are that recent); FINISHED
// after. Logs copied or checked out today therefore show RUNNING for ten minutes when they have
// no event files to date them.
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { parsePythonJson } from '../../util/pyjson';
import { DEFAULT_EXCLUDED_NAMES } from '../discovery';
import { encodeMetrics, listDir, readTextFile, splitCsvLine, statOrUndefined } from '../readers';
import type {
  ArtifactEntry,
  Detection,
  DetectedRoot,
  Diagnostic,
  DirectoryView,
  KnownRun,
  ReadContext,
  RunRecord,
  RunStatus,
  RunUpdate,
  SourceAdapter,
  SourceReadResult,
} from '../types';
import { formatHParam, readEventRun, runningByRecency, type EventFolder, type EventRunRead, type EventRunState } from '../tensorboard/eventRun';
import { isEventFileName } from '../tensorboard/events';
import { paramsFromYaml } from './hparams';
import { readMetricsCsv, type CsvRead, type CsvState } from './metricsCsv';

const VERSION_DIR = /^version_\d+$/;
const LIGHTNING_FILES = ['hparams.yaml', 'metrics.csv', 'meta_tags.csv', 'meta.experiment'];
const NOT_WALKED = new Set([...DEFAULT_EXCLUDED_NAMES, 'checkpoints', 'plugins']);
const MAX_HPARAMS_BYTES = 16 * 1024 * 1024;
/** Checkpoint names: `epoch=3-step=400.ckpt`, `epoch=3-val_loss=0.25-v1.ckpt` (FORMATS §4.1). */
const CKPT_FIELD = /(?:^|-)([\w./]+)=([-+]?\d*\.?\d+(?:e[-+]?\d+)?)/g;

type Entries = { dirs: readonly string[]; files: readonly string[] };

function holdsRunFiles(entries: Entries): boolean {
  return entries.files.some((f) => LIGHTNING_FILES.includes(f) || isEventFileName(f));
}

/** A version folder written by a Lightning logger (a few stats, one readdir at most). */
function looksLikeVersion(dir: string): boolean {
  for (const f of [...LIGHTNING_FILES, 'checkpoints']) if (statOrUndefined(path.join(dir, f))) return true;
  const entries = listDir(dir, undefined);
  return entries !== undefined && entries.files.some(isEventFileName);
}

/** A run folder standing alone, not below a logger folder. */
function isLoneRun(entries: Entries): boolean {
  const has = (f: string): boolean => entries.files.includes(f);
  if (has('meta.experiment') && has('meta_tags.csv')) return true; // TestTube
  return has('hparams.yaml') && (has('metrics.csv') || entries.files.some(isEventFileName));
}

function isLoggerFolder(dir: string, entries: Entries): boolean {
  const versions = entries.dirs.filter((d) => VERSION_DIR.test(d)).sort();
  return versions.slice(-3).some((v) => looksLikeVersion(path.join(dir, v)));
}

/**
 * The run folders of a logger folder, relative to it ('/'-separated). Discovery only needs the
 * custom ones (every version_<k> folder is skipped anyway), and saves a readdir per version.
 */
export function findRunFolders(root: string, entries: Entries, versions = true): string[] {
  const runs: string[] = [];
  for (const child of [...entries.dirs].sort()) {
    if (NOT_WALKED.has(child) || child.startsWith('.')) continue;
    if (!versions && VERSION_DIR.test(child)) continue;
    const childDir = path.join(root, child);
    const childEntries = listDir(childDir, undefined);
    if (!childEntries) continue;
    if (VERSION_DIR.test(child)) {
      // Lightning creates the version folder before writing anything: an empty one is not a run yet.
      if (childEntries.files.length > 0 || childEntries.dirs.length > 0) runs.push(child);
      continue;
    }
    if (holdsRunFiles(childEntries)) {
      runs.push(child);
      continue;
    }
    for (const grandchild of [...childEntries.dirs].sort()) {
      if (NOT_WALKED.has(grandchild) || grandchild.startsWith('.')) continue;
      const g = listDir(path.join(childDir, grandchild), undefined);
      if (g && holdsRunFiles(g)) runs.push(`${child}/${grandchild}`);
    }
  }
  return runs;
}

function detect(dir: DirectoryView): Detection | undefined {
  if (isLoggerFolder(dir.path, dir)) {
    const runs = findRunFolders(dir.path, dir, false);
    const skip = new Set(dir.dirs.filter((d) => VERSION_DIR.test(d)));
    for (const r of runs) skip.add(r.split('/')[0]!);
    return { roots: [{ kind: 'lightning', path: dir.path }], skip: [...skip], exclusive: true };
  }
  if (isLoneRun(dir)) return { roots: [{ kind: 'lightning', path: dir.path }], skip: [...dir.dirs], exclusive: true };
  return undefined;
}

// ---------------------------------------------------------------------------------------------

type Fingerprint = [number, number] | null;

interface RunState {
  /** hparams.yaml, meta_tags.csv, meta.experiment fingerprints. */
  hp: Fingerprint;
  mt: Fingerprint;
  me: Fingerprint;
  csv?: CsvState;
  ev?: EventRunState;
  /** Event folder ids read. */
  ef: string[];
  /** Checkpoints signature. */
  ck: string;
  /** Newest write, ms. */
  w: number | null;
  /** Diagnostics of hparams.yaml / meta_tags.csv, repeated while they are unchanged. */
  pd?: Diagnostic[];
}

interface SourceState {
  /** Experiments as last written: [native id, name]. */
  e: [string, string][];
}

function fingerprint(file: string): Fingerprint {
  const st = statOrUndefined(file);
  return st?.isFile() ? [st.size, st.mtimeMs] : null;
}

function sameFingerprint(a: Fingerprint | undefined, b: Fingerprint): boolean {
  return a === undefined ? false : a === null || b === null ? a === b : a[0] === b[0] && a[1] === b[1];
}

interface Checkpoint {
  name: string;
  size: number;
  mtimeMs: number;
}

function listCheckpoints(dir: string): Checkpoint[] {
  const entries = listDir(dir, undefined);
  if (!entries) return [];
  const out: Checkpoint[] = [];
  for (const name of entries.files.sort()) {
    if (!name.endsWith('.ckpt')) continue;
    const st = statOrUndefined(path.join(dir, name));
    if (st) out.push({ name, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** Tags from the newest checkpoint's name: `epoch=3-step=400.ckpt` → epoch 3, step 400. */
function checkpointTags(checkpoints: Checkpoint[]): Record<string, string> {
  const named = checkpoints.filter((c) => !/^last(-v\d+)?\.ckpt$/.test(c.name));
  const pool = named.length > 0 ? named : checkpoints;
  if (pool.length === 0) return {};
  const newest = pool.reduce((a, b) => (b.mtimeMs > a.mtimeMs || (b.mtimeMs === a.mtimeMs && b.name > a.name) ? b : a));
  const tags: Record<string, string> = { 'lightning.checkpoint': `checkpoints/${newest.name}` };
  for (const m of newest.name.replace(/\.ckpt$/, '').matchAll(CKPT_FIELD)) tags[`lightning.checkpoint.${m[1]}`] = m[2]!;
  return tags;
}

interface TestTubeMeta {
  name?: string;
  version?: number | string;
  createdAt?: number;
  description?: string;
}

function readMeta(file: string, diags: Diagnostic[]): TestTubeMeta | undefined {
  const text = readTextFile(file, diags, 1024 * 1024);
  if (text === undefined) return undefined;
  const { value, error } = parsePythonJson(text);
  if (error || typeof value !== 'object' || value === null || Array.isArray(value)) {
    diags.push({ severity: 'error', file, ...(error?.line ? { line: error.line } : {}), message: `invalid JSON: ${error?.message ?? 'expected an object'}` });
    return undefined;
  }
  const v = value as Record<string, unknown>;
  const out: TestTubeMeta = {};
  if (typeof v['name'] === 'string') out.name = v['name'];
  if (typeof v['version'] === 'number' || typeof v['version'] === 'string') out.version = v['version'];
  if (typeof v['description'] === 'string' && v['description'] !== '') out.description = v['description'];
  const created = typeof v['created_at'] === 'string' ? /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)/.exec(v['created_at']) : null;
  if (created) {
    // TestTube writes datetime.now(): the writer's local time, read as this machine's.
    const t = new Date(Number(created[1]), Number(created[2]) - 1, Number(created[3]), Number(created[4]), Number(created[5]), Number(created[6])).getTime();
    if (!Number.isNaN(t)) out.createdAt = t;
  }
  return out;
}

/** TestTube's meta_tags.csv: `key,value` rows. */
function readMetaTags(file: string, diags: Diagnostic[]): Record<string, string> | undefined {
  const text = readTextFile(file, diags, 4 * 1024 * 1024);
  if (text === undefined) return undefined;
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (i === 0 || line === '') return; // header: key,value
    const cells = splitCsvLine(line);
    if (cells.length !== 2) {
      diags.push({ severity: 'error', file, line: i + 1, message: `line ${i + 1} has ${cells.length} cells, expected 2 (key,value): skipped` });
      return;
    }
    out[cells[0]!] = cells[1]!;
  });
  return out;
}

function union(events: Map<string, Series> | undefined, csv: Map<string, Series> | undefined, eventKeys: Set<string>): Map<string, Series> {
  const out = new Map(events ?? []);
  for (const [k, s] of csv ?? []) if (!eventKeys.has(k)) out.set(k, s);
  return out;
}

interface RunContext {
  full: boolean;
  now: number;
  experimentId: string;
}

/** Reads (or re-reads) one version folder; undefined when nothing changed. */
function readRun(runDir: string, id: string, known: KnownRun | undefined, rc: RunContext): RunUpdate | undefined {
  const diags: Diagnostic[] = [];
  const entries = listDir(runDir, diags) ?? { dirs: [], files: [] };
  const has = (f: string): boolean => entries.files.includes(f);
  const hp = has('hparams.yaml') ? fingerprint(path.join(runDir, 'hparams.yaml')) : null;
  const mt = has('meta_tags.csv') ? fingerprint(path.join(runDir, 'meta_tags.csv')) : null;
  const me = has('meta.experiment') ? fingerprint(path.join(runDir, 'meta.experiment')) : null;
  const folders: EventFolder[] = [];
  if (entries.files.some(isEventFileName)) folders.push({ dir: runDir, prefix: '', id: '.' });
  if (entries.dirs.includes('tf')) {
    const tf = path.join(runDir, 'tf');
    if (listDir(tf, undefined)?.files.some(isEventFileName)) folders.push({ dir: tf, prefix: '', id: 'tf' }); // TestTube
  }
  const checkpoints = entries.dirs.includes('checkpoints') ? listCheckpoints(path.join(runDir, 'checkpoints')) : [];
  const ck = checkpoints.map((c) => `${c.name}:${c.size}:${c.mtimeMs}`).join('|');
  const csvFile = path.join(runDir, 'metrics.csv');
  const csvStat = has('metrics.csv') ? statOrUndefined(csvFile) : undefined;

  const previous = known?.state as RunState | undefined;
  let whole =
    rc.full ||
    !previous ||
    !sameFingerprint(previous.hp, hp) ||
    !sameFingerprint(previous.mt, mt) ||
    !sameFingerprint(previous.me, me) ||
    previous.ef.join('|') !== folders.map((f) => f.id).join('|') ||
    (previous.csv !== undefined) !== (csvStat !== undefined);
  const csvLive = csvStat !== undefined && runningByRecency(csvStat.mtimeMs, null, rc.now);

  let csv: CsvRead | undefined = csvStat ? readMetricsCsv(csvFile, whole ? undefined : previous?.csv, csvLive) : undefined;
  let ev: EventRunRead | undefined = folders.length > 0 ? readEventRun(folders, whole ? undefined : previous?.ev, { texts: false }) : undefined;
  if (!whole) {
    const previousEventKeys = new Set(Object.keys(previous?.ev?.l ?? {}));
    const csvKeys = new Set(Object.keys(previous?.csv?.l ?? {}));
    const newEventKeyInCsv = [...(ev?.append?.keys() ?? [])].some((k) => !previousEventKeys.has(k) && csvKeys.has(k));
    // Tails that cannot be appended (a file read whole again, a CSV conflict, an event key taking
    // over a CSV key): the union is rebuilt from whole reads, reusing those already done.
    if (csv?.conflict || csv?.metrics || ev?.metrics || newEventKeyInCsv) {
      whole = true;
      if (csvStat && !csv?.metrics) csv = readMetricsCsv(csvFile, undefined, csvLive);
      if (folders.length > 0 && !ev?.metrics) ev = readEventRun(folders, undefined, { texts: false });
    }
  }

  // Status by recency of writes (see the header).
  let lastWrite: number | null = ev?.state.w ?? null;
  for (const m of [csvStat?.mtimeMs, hp?.[1], mt?.[1], ...checkpoints.map((x) => x.mtimeMs)]) {
    if (m !== undefined && m !== null && (lastWrite === null || m > lastWrite)) lastWrite = m;
  }
  const lastEvent = ev?.state.t1 ?? null;
  const status: RunStatus = runningByRecency(lastWrite, lastEvent, rc.now) ? 'RUNNING' : 'FINISHED';

  const unchanged = !whole && (csv === undefined || csv.unchanged) && (ev === undefined || ev.unchanged) && previous?.ck === ck;
  if (unchanged && known?.status === status) return undefined;

  const meta = me ? readMeta(path.join(runDir, 'meta.experiment'), diags) : undefined;
  let startTime = ev?.state.t0 ?? meta?.createdAt ?? null;
  if (startTime === null) {
    for (const m of [hp?.[1], mt?.[1], csvStat?.mtimeMs]) if (m !== undefined && m !== null && (startTime === null || m < startTime)) startTime = m;
  }
  if (startTime !== null) startTime = Math.round(startTime);
  const endTime = status === 'RUNNING' ? null : (ev?.state.t1 ?? csv?.state?.t ?? lastWrite);
  const record: RunRecord = {
    nativeId: id,
    experimentNativeId: rc.experimentId,
    name: id === '.' && meta?.version !== undefined ? `version_${meta.version}` : path.basename(runDir),
    status,
    startTime,
    endTime: endTime === null ? null : Math.round(endTime),
    deleted: false,
    parentId: null,
    user: null,
    path: runDir,
    artifactUri: null,
  };
  const state: RunState = { hp, mt, me, ef: folders.map((f) => f.id), ck, w: lastWrite };
  if (csv?.state) state.csv = csv.state;
  if (ev) state.ev = ev.state;

  const tags: Record<string, string> = { ...checkpointTags(checkpoints) };
  const loggers = [csv ? (meta || mt ? 'testtube' : 'csv') : undefined, folders.length > 0 && !(meta || mt) ? 'tensorboard' : undefined].filter(Boolean);
  if (loggers.length > 0) tags['lightning.logger'] = loggers.join('+');
  if (meta?.description) tags['mlflow.note.content'] = meta.description;
  const artifacts: ArtifactEntry[] = checkpoints.map((x) => ({ path: `checkpoints/${x.name}`, kind: 'model', size: x.size }));
  const update: RunUpdate = {
    run: record,
    tags,
    artifacts,
    state,
    diagnostics: [...diags, ...(csv?.diagnostics ?? []), ...(ev?.diagnostics ?? [])],
  };

  if (whole) {
    const eventKeys = new Set(ev?.metrics?.keys() ?? []);
    update.metrics = encodeMetrics(union(ev?.metrics, csv?.metrics, eventKeys));
    update.metricsComplete = true;
    const paramDiags: Diagnostic[] = [];
    update.params = readParams(runDir, hp, mt, ev, paramDiags);
    if (paramDiags.length > 0) {
      state.pd = paramDiags;
      update.diagnostics.push(...paramDiags);
    }
  } else {
    if (previous?.pd) {
      state.pd = previous.pd;
      update.diagnostics.push(...previous.pd);
    }
    const eventKeys = new Set([...Object.keys(previous?.ev?.l ?? {}), ...(ev?.append?.keys() ?? [])]);
    const appended = union(ev?.append, csv?.append, eventKeys);
    if (appended.size > 0) update.appendMetrics = [...appended].map(([key, series]) => ({ key, series }));
  }
  return update;
}

function readParams(runDir: string, hp: Fingerprint, mt: Fingerprint, ev: EventRunRead | undefined, diags: Diagnostic[]): Record<string, string> {
  if (hp) {
    const file = path.join(runDir, 'hparams.yaml');
    const text = readTextFile(file, diags, MAX_HPARAMS_BYTES);
    const params = text === undefined ? undefined : text.trim() === '' ? {} : paramsFromYaml(text, file, diags);
    if (params && Object.keys(params).length > 0) return params;
  }
  if (mt) {
    const params = readMetaTags(path.join(runDir, 'meta_tags.csv'), diags);
    if (params && Object.keys(params).length > 0) return params;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ev?.hparams ?? {})) out[k] = formatHParam(v);
  return out;
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const diagnostics: Diagnostic[] = [];
  const previous = ctx.sourceState as SourceState | undefined;
  const entries = listDir(root.path, diagnostics);
  const presentRunIds: string[] = [];
  if (!entries) return { presentExperimentIds: previous?.e.map((x) => x[0]) ?? [], presentRunIds, diagnostics, state: previous };
  const lone = !isLoggerFolder(root.path, entries) && isLoneRun(entries);
  const runIds = lone ? ['.'] : findRunFolders(root.path, entries);
  // The experiment is the logger's `name` folder: the run folder's parent.
  const experimentOf = new Map<string, string>();
  const experiments = new Map<string, string>();
  for (const id of runIds) {
    if (id === '.') {
      const meta = entries.files.includes('meta.experiment') ? readMeta(path.join(root.path, 'meta.experiment'), []) : undefined;
      const name = meta?.name ?? path.basename(path.dirname(root.path));
      experimentOf.set(id, name);
      experiments.set(name, name);
    } else {
      const parent = id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : '.';
      experimentOf.set(id, parent);
      experiments.set(parent, parent === '.' ? path.basename(root.path) : path.basename(parent));
    }
  }
  const experimentList = [...experiments].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const before = new Map(previous?.e ?? []);
  // Experiments go first: runs are linked to them as they are written.
  for (const [nativeId, name] of experimentList) {
    if (!ctx.full && before.get(nativeId) === name) continue;
    ctx.sink.experiment({ experiment: { nativeId, name, deleted: false, artifactLocation: null, created: null, updated: null, tags: {} } });
  }
  const now = Date.now();
  for (const id of runIds) {
    if (ctx.signal?.aborted) break;
    const runDir = id === '.' ? root.path : path.join(root.path, ...id.split('/'));
    presentRunIds.push(id);
    try {
      const update = readRun(runDir, id, ctx.known.get(id), { full: ctx.full, now, experimentId: experimentOf.get(id)! });
      if (update) ctx.sink.run(update);
    } catch (err) {
      // One unreadable run must not hide the others.
      diagnostics.push({ severity: 'error', file: runDir, message: `cannot read the run: ${(err as Error).message}` });
    }
  }
  return {
    presentExperimentIds: experimentList.map((x) => x[0]),
    presentRunIds,
    diagnostics,
    state: { e: experimentList } satisfies SourceState,
  };
}

export const lightningAdapter: SourceAdapter = {
  kind: 'lightning',
  label: 'PyTorch Lightning',
  detect,
  read,
};
