// Ultralytics YOLO training runs (FORMATS.md §6): `runs/<task>/<name>/` with results.csv (one row
// per epoch), args.yaml (the resolved config) and weights/*.pt; YOLOv5 writes `runs/train/exp/`
// with opt.yaml + hyp.yaml. The run folder also holds a TensorBoard events file, whose scalars
// repeat results.csv: the folders are claimed exclusively so the TensorBoard adapter skips them.
//
// The source is the `runs/` folder when the default layout is used (experiments = tasks, run ids
// `detect/train`), else the run folder itself (`project/name` layouts), with the same id form.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { parseInteger, parsePythonFloat } from '../../util/numbers';
import type { YamlValue } from '../../util/yamlFlat';
import { encodeMetrics, listDir, readYamlDocument, statOrUndefined } from '../readers';
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
import { parseCell, readCsvLog, type CsvPosition } from '../common/csvLog';
import { flattenParams, rawYamlScalars } from '../common/flatten';

const KIND = 'ultralytics';

/** Folders Ultralytics puts runs in: `runs/<task>/` (v8+), `runs/train*` (YOLOv5). */
const TASK_DIRS = new Set(['detect', 'segment', 'classify', 'pose', 'obb', 'train', 'train-seg', 'train-cls']);
const V5_TASK: Record<string, string> = { train: 'detect', 'train-seg': 'segment', 'train-cls': 'classify' };
const RUN_FILES = ['results.csv', 'args.yaml', 'opt.yaml'];
/** Task folders peeked per candidate during discovery (each costs one readdir and a few stats). */
const PEEK_RUNS = 16;
/**
 * A run is live while results.csv (or args.yaml, before the first epoch) was written within this
 * window, or within two epochs for slow trainings.
 */
export const ultralyticsTiming = { liveWindowMs: 10 * 60_000 };
const META_FILES = new Set(['args.yaml', 'opt.yaml', 'hyp.yaml', 'results.csv']);
const MODEL_EXT = /\.(pt|pth|onnx|engine|torchscript|tflite|pb|mlmodel|safetensors)$/i;
const EVENTS = /^events\.out\.tfevents\.(\d+)/;

function exists(p: string): boolean {
  return statOrUndefined(p) !== undefined;
}

function isRunFolder(dir: string): boolean {
  return RUN_FILES.some((f) => exists(path.join(dir, f)));
}

/** A task folder holding at least one run folder (only the first few children are looked at). */
function taskFolderHasRuns(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  let peeked = 0;
  for (const n of names) {
    if (n.startsWith('.')) continue;
    if (isRunFolder(path.join(dir, n))) return true;
    if (++peeked >= PEEK_RUNS) break;
  }
  return false;
}

function looksLikeResultsHeader(dir: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(dir, 'results.csv'), 'r');
    const buf = Buffer.alloc(512);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const first = buf.toString('utf8', 0, n).split('\n')[0]!;
    return /^\s*epoch\s*,/.test(first) && /(train|metrics|val)\//.test(first);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function detect(dir: DirectoryView): Detection | undefined {
  // The default layout: this folder is `runs/`, its task folders hold run folders. Other names
  // (a custom runs_dir) are found run folder by run folder below, with the same run ids.
  const tasks = path.basename(dir.path) === 'runs' ? dir.dirs.filter((d) => TASK_DIRS.has(d)) : [];
  if (tasks.length > 0 && tasks.some((t) => taskFolderHasRuns(path.join(dir.path, t)))) {
    return { roots: [{ kind: KIND, path: dir.path }], skip: tasks, exclusive: true };
  }
  // A run folder on its own (`project=`/`name=` layouts, or the workspace opened inside runs/).
  const files = new Set(dir.files);
  const config = files.has('args.yaml') || files.has('opt.yaml');
  // args.yaml and weights/ are written at trainer start, results.csv after the first epoch.
  const run = files.has('results.csv') ? config || looksLikeResultsHeader(dir.path) : files.has('args.yaml') && dir.dirs.includes('weights');
  if (!run) return undefined;
  return { roots: [{ kind: KIND, path: dir.path }], skip: ['weights'], exclusive: true };
}

/** Fingerprints of a run's files, compared on the next read. */
interface RunState {
  /** Where results.csv was left (absent when it could not be read). */
  csv?: CsvPosition;
  /** results.csv [size, mtime] as last seen, read or not. */
  csvFp: [number, number] | null;
  /** Data rows read so far (the status compares them with `epochs`). */
  rows: number;
  /** args.yaml / opt.yaml / hyp.yaml [size, mtime]. */
  cfg: ([number, number] | null)[];
  png: boolean;
  /** Wall time of the start, used to turn the `time` column into times (ms). */
  t0: number | null;
  /** Seconds of the last epoch, to widen the live window for slow trainings. */
  epochSec: number | null;
  /** Last `time` value. */
  lastSec: number | null;
  epochs: number | null;
  run: RunRecord;
  diag: Diagnostic[];
}

function fingerprint(p: string): [number, number] | null {
  const st = statOrUndefined(p);
  return st ? [st.size, st.mtimeMs] : null;
}

function same(a: ([number, number] | null)[], b: ([number, number] | null)[]): boolean {
  return a.length === b.length && a.every((x, i) => (x === null ? b[i] === null : b[i] !== null && x[0] === b[i]![0] && x[1] === b[i]![1]));
}

/** Reads a config YAML (args.yaml, opt.yaml, hyp.yaml) into its mapping and flat params. */
function readConfig(file: string, diags: Diagnostic[]): { map: Record<string, YamlValue>; params: Record<string, string> } | undefined {
  const doc = readYamlDocument(file, diags, 4 * 1024 * 1024);
  if (!doc) return undefined;
  return { map: doc.map, params: flattenParams(doc.map as Record<string, unknown>, {}, '', rawYamlScalars(doc.text)) };
}

function experimentOf(args: Record<string, YamlValue> | undefined, parentName: string): string {
  const task = args?.['task'];
  if (typeof task === 'string' && task !== '') return task;
  return V5_TASK[parentName] ?? parentName;
}

/** Start of training: the TensorBoard file's name (recorded), else args.yaml's mtime (written at trainer start). */
function startOf(runDir: string, files: string[]): number | null {
  let best: number | null = null;
  for (const f of files) {
    const m = EVENTS.exec(f);
    if (m) {
      const t = Number(m[1]) * 1000;
      if (best === null || t < best) best = t;
    }
  }
  if (best !== null) return best;
  for (const cfg of ['args.yaml', 'opt.yaml']) {
    const st = files.includes(cfg) ? statOrUndefined(path.join(runDir, cfg)) : undefined;
    if (st) return Math.round(st.mtimeMs);
  }
  return null;
}

function listRunArtifacts(runDir: string, entries: { dirs: string[]; files: string[] }, diags: Diagnostic[]): ArtifactEntry[] {
  const out: ArtifactEntry[] = [];
  for (const f of [...entries.files].sort()) {
    if (META_FILES.has(f) || EVENTS.test(f) || f.startsWith('.')) continue;
    out.push({ path: f, kind: MODEL_EXT.test(f) ? 'model' : 'file', size: statOrUndefined(path.join(runDir, f))?.size ?? null });
  }
  if (entries.dirs.includes('weights')) {
    const w = listDir(path.join(runDir, 'weights'), diags);
    for (const f of [...(w?.files ?? [])].sort()) {
      out.push({ path: `weights/${f}`, kind: MODEL_EXT.test(f) ? 'model' : 'file', size: statOrUndefined(path.join(runDir, 'weights', f))?.size ?? null });
    }
    // Exported formats are folders (best_saved_model/, best_openvino_model/).
    for (const d of [...(w?.dirs ?? [])].sort()) out.push({ path: `weights/${d}`, kind: 'model', size: null });
  }
  return out;
}

interface ParsedRows {
  series: Map<string, Series>;
  rows: number;
  lastSec: number | null;
  epochSec: number | null;
}

function parseRows(
  columns: string[],
  rows: { line: number; cells: string[] }[],
  t0: number | null,
  file: string,
  diags: Diagnostic[],
  previousSec: number | null,
): ParsedRows {
  const series = new Map<string, Series>();
  const epochCol = columns.indexOf('epoch');
  const timeCol = columns.indexOf('time');
  const withTimes = timeCol !== -1 && t0 !== null;
  let count = 0;
  let lastSec = previousSec;
  let epochSec: number | null = null;
  for (const row of rows) {
    const epoch = epochCol === -1 ? undefined : parseInteger(row.cells[epochCol]!);
    if (epoch === undefined) {
      diags.push({ severity: 'error', file, line: row.line, message: `the epoch "${epochCol === -1 ? '' : row.cells[epochCol]}" is not a whole number: row skipped` });
      continue;
    }
    count++;
    const sec = timeCol === -1 ? undefined : parsePythonFloat(row.cells[timeCol]!);
    if (sec !== undefined && Number.isFinite(sec)) {
      if (lastSec !== null && sec > lastSec) epochSec = sec - lastSec;
      lastSec = sec;
    }
    const time = withTimes && sec !== undefined && Number.isFinite(sec) ? Math.round(t0 + sec * 1000) : withTimes ? t0 : undefined;
    columns.forEach((key, c) => {
      if (c === epochCol) return;
      const cell = parseCell(row.cells[c]!);
      if (cell.kind !== 'number') {
        if (cell.kind !== 'missing') diags.push({ severity: 'warning', file, line: row.line, message: `"${row.cells[c]}" in column ${key} is not a number: left out` });
        return;
      }
      let s = series.get(key);
      if (!s) series.set(key, (s = { steps: [], times: withTimes ? [] : null, values: [] }));
      s.steps.push(epoch);
      if (s.times) s.times.push(time!);
      s.values.push(cell.value);
    });
  }
  return { series, rows: count, lastSec, epochSec };
}

function statusOf(state: Pick<RunState, 'rows' | 'epochs' | 'png' | 'epochSec'>, lastWrite: number | null, now: number): RunStatus {
  if (state.epochs !== null && state.epochs > 0 && state.rows >= state.epochs) return 'FINISHED';
  // Final plots are drawn after the last epoch, early stopping included.
  if (state.png) return 'FINISHED';
  const window = Math.max(ultralyticsTiming.liveWindowMs, (state.epochSec ?? 0) * 2000);
  if (lastWrite !== null && now - lastWrite < window) return 'RUNNING';
  // Stopped short of its epochs with no final plots: crashed, interrupted or copied mid-way;
  // nothing on disk says which, so no FAILED or KILLED is claimed.
  return 'UNKNOWN';
}

interface RunContext {
  full: boolean;
  now: number;
}

/** Reads (or re-reads) one run folder; undefined when nothing changed. */
function readRun(runDir: string, nativeId: string, parentName: string, known: KnownRun | undefined, rctx: RunContext): { update?: RunUpdate; experiment: string | null } {
  const diags: Diagnostic[] = [];
  const previous = rctx.full ? undefined : (known?.state as RunState | null | undefined) ?? undefined;
  const entries = listDir(runDir, diags) ?? { dirs: [], files: [] };
  const files = entries.files;
  const cfgNames = ['args.yaml', 'opt.yaml', 'hyp.yaml'];
  const cfg = cfgNames.map((f) => (files.includes(f) ? fingerprint(path.join(runDir, f)) : null));
  const csvFile = path.join(runDir, 'results.csv');
  const csvStat = files.includes('results.csv') ? statOrUndefined(csvFile) : undefined;
  const png = files.includes('results.png');
  const lastWrite = Math.max(csvStat?.mtimeMs ?? 0, ...cfg.map((c) => c?.[1] ?? 0)) || null;

  const csvFp: [number, number] | null = csvStat ? [csvStat.size, csvStat.mtimeMs] : null;
  const csvUnchanged = previous !== undefined && same([previous.csvFp ?? null], [csvFp]);
  if (previous && csvUnchanged && same(previous.cfg, cfg) && previous.png === png) {
    const status = statusOf(previous, lastWrite, rctx.now);
    if (status === known?.status) return { experiment: previous.run.experimentNativeId };
    const run: RunRecord = { ...previous.run, status };
    const state: RunState = { ...previous, run };
    return { update: { run, state, diagnostics: previous.diag }, experiment: run.experimentNativeId };
  }

  // Params: re-read when a config file changed.
  let params: Record<string, string> | undefined;
  let args: Record<string, YamlValue> | undefined;
  const cfgChanged = !previous || !same(previous.cfg, cfg);
  if (cfgChanged) {
    params = {};
    const main = files.includes('args.yaml') ? 'args.yaml' : files.includes('opt.yaml') ? 'opt.yaml' : undefined;
    if (main) {
      const config = readConfig(path.join(runDir, main), diags);
      args = config?.map;
      Object.assign(params, config?.params ?? {});
    }
    if (files.includes('hyp.yaml')) {
      // YOLOv5: hyperparameters apart; a clash with opt.yaml keeps both.
      for (const [k, v] of Object.entries(readConfig(path.join(runDir, 'hyp.yaml'), diags)?.params ?? {})) params[k in params ? `hyp.${k}` : k] = v;
    }
    if (!main && files.includes('results.csv')) {
      diags.push({ severity: 'info', file: runDir, message: 'no args.yaml or opt.yaml: the run has no params, and its status cannot be compared with its planned epochs' });
    }
  }
  const epochsValue = cfgChanged ? (args ? (parseInteger(String(args['epochs'] ?? '')) ?? null) : null) : (previous?.epochs ?? null);
  const experiment = cfgChanged || !previous ? experimentOf(args, parentName) : (previous.run.experimentNativeId ?? experimentOf(undefined, parentName));
  const t0 = previous ? previous.t0 : startOf(runDir, files);

  // Metrics: results.csv from its offset when it only grew.
  let metrics: RunUpdate['metrics'];
  let appendMetrics: RunUpdate['appendMetrics'];
  let csvPos: CsvPosition | undefined = previous?.csv;
  let rows = previous?.rows ?? 0;
  let lastSec = previous?.lastSec ?? null;
  let epochSec = previous?.epochSec ?? null;
  let csvDiags: Diagnostic[] = previous?.diag.filter((d) => d.file === csvFile) ?? [];
  if (csvStat && !csvUnchanged) {
    const live = rctx.now - csvStat.mtimeMs < ultralyticsTiming.liveWindowMs;
    const newDiags: Diagnostic[] = [];
    const csv = readCsvLog(csvFile, previous?.csv, { readPartial: !live }, newDiags);
    if (csv) {
      if (csv.columns.length > 0 && !csv.columns.includes('epoch')) {
        newDiags.push({ severity: 'error', file: csvFile, line: 1, message: 'results.csv has no epoch column: not read' });
      }
      const parsed = parseRows(csv.columns, csv.rows, t0, csvFile, newDiags, csv.whole ? null : lastSec);
      if (csv.whole) {
        metrics = encodeMetrics(parsed.series);
        rows = parsed.rows;
        csvDiags = newDiags;
      } else {
        appendMetrics = [...parsed.series].map(([key, series]) => ({ key, series }));
        rows += parsed.rows;
        csvDiags = [...csvDiags, ...newDiags];
      }
      lastSec = parsed.lastSec;
      if (parsed.epochSec !== null) epochSec = parsed.epochSec;
      csvPos = csv.position;
    } else {
      metrics = [];
      rows = 0;
      csvPos = undefined;
      csvDiags = newDiags;
    }
  } else if (!csvStat) {
    metrics = [];
    rows = 0;
    csvPos = undefined;
    csvDiags = [];
  }

  const partial: Pick<RunState, 'rows' | 'epochs' | 'png' | 'epochSec'> = { rows, epochs: epochsValue, png, epochSec };
  const status = statusOf(partial, lastWrite, rctx.now);
  const endTime = status !== 'FINISHED' ? null : t0 !== null && lastSec !== null ? Math.round(t0 + lastSec * 1000) : csvStat ? Math.round(Math.max(csvStat.mtimeMs, statOrUndefined(path.join(runDir, 'results.png'))?.mtimeMs ?? 0)) : null;
  const run: RunRecord = {
    nativeId,
    experimentNativeId: experiment,
    name: path.basename(runDir),
    status,
    startTime: t0,
    endTime,
    deleted: false,
    parentId: null,
    user: null,
    path: runDir,
    artifactUri: null,
  };
  const artifacts = listRunArtifacts(runDir, entries, diags);
  const otherDiags = cfgChanged ? diags : [...diags, ...(previous?.diag.filter((d) => d.file !== csvFile) ?? [])];
  const allDiags = [...otherDiags, ...csvDiags];
  const state: RunState = {
    ...(csvPos ? { csv: csvPos } : {}),
    csvFp,
    rows,
    cfg,
    png,
    t0,
    epochSec,
    lastSec,
    epochs: epochsValue,
    run,
    diag: allDiags,
  };
  const update: RunUpdate = { run, state, diagnostics: allDiags, artifacts };
  if (params) update.params = params;
  if (!previous) update.tags = {};
  if (metrics) {
    update.metrics = metrics;
    update.metricsComplete = true;
  } else if (appendMetrics) update.appendMetrics = appendMetrics;
  return { update, experiment };
}

interface SourceState {
  experiments: string[];
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const diagnostics: Diagnostic[] = [];
  const presentRunIds: string[] = [];
  const experiments = new Set<string>();
  const rctx: RunContext = { full: ctx.full, now: Date.now() };
  const pending: RunUpdate[] = [];
  const handle = (runDir: string, nativeId: string, parentName: string): void => {
    presentRunIds.push(nativeId);
    const { update, experiment } = readRun(runDir, nativeId, parentName, ctx.known.get(nativeId), rctx);
    if (experiment) experiments.add(experiment);
    if (update) pending.push(update);
  };
  const entries = listDir(root.path, diagnostics);
  if (!entries) return { presentExperimentIds: [], presentRunIds, diagnostics, state: ctx.sourceState };
  const taskDirs = entries.dirs.filter((d) => TASK_DIRS.has(d)).sort();
  if (path.basename(root.path) === 'runs' && taskDirs.length > 0 && !isRunFolder(root.path)) {
    for (const task of taskDirs) {
      const runs = listDir(path.join(root.path, task), diagnostics);
      for (const name of [...(runs?.dirs ?? [])].sort()) {
        if (ctx.signal?.aborted) break;
        const runDir = path.join(root.path, task, name);
        if (name.startsWith('.') || !isRunFolder(runDir)) continue; // predict/, val/ outputs
        handle(runDir, `${task}/${name}`, task);
      }
    }
  } else {
    const parent = path.basename(path.dirname(root.path));
    handle(root.path, `${parent}/${path.basename(root.path)}`, parent);
  }
  // Experiments first, so that runs find them; only written when the set changed.
  const previous = ctx.sourceState as SourceState | undefined;
  const present = [...experiments].sort();
  if (ctx.full || !previous || JSON.stringify(previous.experiments) !== JSON.stringify(present)) {
    for (const id of present) {
      ctx.sink.experiment({ experiment: { nativeId: id, name: id, deleted: false, artifactLocation: null, created: null, updated: null, tags: {} } });
    }
  }
  for (const u of pending) ctx.sink.run(u);
  return { presentExperimentIds: present, presentRunIds, diagnostics, state: { experiments: present } satisfies SourceState };
}

export const ultralyticsAdapter: SourceAdapter = {
  kind: KIND,
  label: 'Ultralytics YOLO runs',
  detect,
  read,
};
