// MLflow file store (`mlruns/`), MLflow 1.x to 3.x: experiments, runs, params, tags, metric
// histories, artifacts, dataset inputs, logged models and the model registry. FORMATS.md §1.1–1.9.
//
// Re-reading is incremental. A finished run whose meta.yaml, tags/ and metrics/ fingerprints are
// unchanged is not opened again; a running run's metric files are read from their last offset.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Series } from '../../store/seriesCodec';
import { isInside } from '../../util/paths';
import type { YamlValue } from '../../util/yamlFlat';
import { isMapping } from '../../util/yamlFlat';
import {
  asNumber,
  asString,
  encodeMetrics,
  foldersBelow,
  listDir,
  listFilesRecursive,
  readKeyValueTree,
  readText,
  readYamlMapping,
  statOrUndefined,
} from '../readers';
import type {
  ArtifactEntry,
  DatasetData,
  Detection,
  DetectedRoot,
  Diagnostic,
  DirectoryView,
  ExperimentData,
  KnownRun,
  LoggedModelData,
  ReadContext,
  RunInput,
  RunRecord,
  RunStatus,
  RunUpdate,
  SourceAdapter,
  SourceModelData,
  SourceModelVersionData,
  SourceReadResult,
} from '../types';
import { loggedModelStatus, parseStatus } from './common';
import type { MlflowRunsResult, MlflowRunsTask } from '../ingestWorker';
import { parseMetricLines } from './metricLines';

const RESERVED_EXPERIMENT_FOLDERS = new Set(['tags', 'datasets', 'traces', 'models']);
const EXPERIMENT_ID = /^\d+$/;
const MAX_ARTIFACTS_PER_RUN = 2000;

/** Fingerprints of a run, compared on the next read. */
interface RunState {
  /** meta.yaml [size, mtimeMs]; null when absent. */
  m: [number, number] | null;
  /** Hash of the params and tags of a live run, to tell an idle live run from a changed one. */
  h?: string;
  /** Growing metric files of a running run: key → [consumed bytes, size, mtimeMs]. */
  f?: Record<string, [number, number, number]>;
}

interface ExperimentState {
  m: [number, number] | null;
  t: number | null;
  d: number | null;
  l: number | null;
  /** Diagnostics of the experiment's own files, repeated while it is unchanged. */
  diag: Diagnostic[];
}

interface SourceState {
  experiments: Record<string, ExperimentState>;
}

function fingerprint(st: fs.Stats | undefined): [number, number] | null {
  return st ? [st.size, st.mtimeMs] : null;
}

function sameFingerprint(a: [number, number] | null | undefined, b: [number, number] | null): boolean {
  if (!a || !b) return a === b || (a == null && b == null);
  return a[0] === b[0] && a[1] === b[1];
}

function mtimeOf(p: string): number | null {
  return statOrUndefined(p)?.mtimeMs ?? null;
}

/**
 * Turns an artifact URI into a local folder, if it names one inside the workspace. Stores copied
 * from another machine (`file:///C:/…/mlruns/<exp>/<run>/artifacts`) are mapped onto this store.
 */
export function resolveArtifactDir(
  uri: string | null,
  root: string,
  runDir: string,
  experimentId: string,
  runId: string,
  workspace: string,
): string | undefined {
  const local = path.join(runDir, 'artifacts');
  if (uri) {
    let p: string | undefined;
    if (uri.startsWith('mlflow-artifacts:')) {
      const rest = uri.replace(/^mlflow-artifacts:\/*/, '');
      p = path.join(path.dirname(root), 'mlartifacts', ...rest.split('/'));
    } else if (/^file:/i.test(uri) || uri.startsWith('/') || /^[A-Za-z]:[\\/]/.test(uri) || uri.startsWith('.')) {
      let decoded = uri.replace(/^file:(\/\/)?/i, '');
      try {
        decoded = decodeURIComponent(decoded);
      } catch {
        // keep the raw text
      }
      decoded = decoded.replace(/\\/g, '/');
      const tail = `/${experimentId}/${runId}/artifacts`;
      if (decoded.endsWith(tail) || decoded.endsWith(tail + '/')) p = local;
      else if (/^\/?[A-Za-z]:\//.test(decoded)) p = undefined; // another machine's Windows path
      else p = path.resolve(root, decoded);
    }
    if (p && isInside(workspace, p) && statOrUndefined(p)?.isDirectory()) return p;
  }
  return statOrUndefined(local)?.isDirectory() ? local : undefined;
}

export function listArtifacts(dir: string, diags: Diagnostic[], workspace: string): ArtifactEntry[] {
  const out: ArtifactEntry[] = [];
  let truncated = false;
  const walk = (current: string, prefix: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch (err) {
      diags.push({ severity: 'warning', file: current, message: `cannot list artifacts: ${(err as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const hasMLmodel = entries.some((e) => e.name === 'MLmodel' && !e.isDirectory());
    if (prefix !== '' && hasMLmodel) {
      const own = out.find((a) => a.path === prefix.slice(0, -1));
      if (own) own.kind = 'model';
    }
    for (const e of entries) {
      if (out.length >= MAX_ARTIFACTS_PER_RUN) {
        truncated = true;
        return;
      }
      const full = path.join(current, e.name);
      const rel = prefix + e.name;
      if (e.isSymbolicLink()) {
        // Links are listed, never followed: they may point outside the workspace or loop.
        let target = '';
        try {
          target = fs.realpathSync(full);
        } catch {
          diags.push({ severity: 'warning', file: full, message: 'broken or looping symbolic link in artifacts' });
          continue;
        }
        const st = statOrUndefined(target);
        out.push({ path: rel, kind: st?.isDirectory() ? 'dir' : 'file', size: isInside(workspace, target) && st?.isFile() ? st.size : null });
      } else if (e.isDirectory()) {
        out.push({ path: rel, kind: 'dir', size: null });
        if (depth < 12) walk(full, rel + '/', depth + 1);
      } else if (e.isFile()) {
        out.push({ path: rel, kind: 'file', size: statOrUndefined(full)?.size ?? null });
      }
    }
  };
  walk(dir, '', 0);
  if (prefixIsModel(dir)) out.unshift({ path: '.', kind: 'model', size: null });
  if (truncated) {
    diags.push({ severity: 'info', file: dir, message: `more than ${MAX_ARTIFACTS_PER_RUN} artifacts; the list is cut there` });
  }
  return out;
}

function prefixIsModel(dir: string): boolean {
  return statOrUndefined(path.join(dir, 'MLmodel'))?.isFile() ?? false;
}

function readTags(dir: string, diags: Diagnostic[]): Record<string, string> {
  return statOrUndefined(dir)?.isDirectory() ? readKeyValueTree(dir, diags) : {};
}

interface MetricFileResult {
  /** The whole history (file read from its start), or the new points (tail). */
  series?: Series;
  append?: Series;
  consumed: number;
  size: number;
  mtimeMs: number;
}

/**
 * Reads one metric file, from `fromByte` when tailing. A last line without a newline is left for
 * the next read while the run is live; for a finished run it is read and reported.
 */
function readMetricFile(
  file: string,
  live: boolean,
  fromByte: number,
  diags: Diagnostic[],
): MetricFileResult | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    diags.push({ severity: 'error', file, message: `cannot read the metric file: ${(err as Error).message}` });
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    const length = Math.max(0, st.size - fromByte);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, fromByte + got);
      if (n === 0) break;
      got += n;
    }
    const text = buf.toString('utf8', 0, got);
    const firstLine = fromByte === 0 ? 1 : -1; // line numbers are only known when reading whole files
    const parsed = parseMetricLines(text, firstLine);
    const lineOf = (n: number): { line?: number } => (n > 0 ? { line: n } : {});
    for (const p of parsed.problems) diags.push({ severity: 'error', file, ...lineOf(p.line), message: p.message });
    let consumedBytes = fromByte + Buffer.byteLength(text.slice(0, parsed.consumed));
    if (parsed.partialTail !== '' && !live) {
      const lastLine = fromByte === 0 ? text.slice(0, parsed.consumed).split('\n').length : -1;
      const tail = parseMetricLines(parsed.partialTail + '\n', lastLine);
      if (tail.problems.length === 0 && tail.series.values.length === 1) {
        parsed.series.steps.push(tail.series.steps[0]!);
        parsed.series.times!.push(tail.series.times![0]!);
        parsed.series.values.push(tail.series.values[0]!);
        diags.push({
          severity: 'warning',
          file,
          ...lineOf(lastLine),
          message: 'the last line has no newline: the file may have been cut short (its point was read)',
        });
      } else {
        for (const p of tail.problems) diags.push({ severity: 'error', file, ...lineOf(p.line), message: `${p.message} (last line, no newline)` });
      }
      consumedBytes = fromByte + got;
    }
    const result: MetricFileResult = { consumed: consumedBytes, size: st.size, mtimeMs: st.mtimeMs };
    if (fromByte > 0) result.append = parsed.series;
    else result.series = parsed.series;
    return result;
  } finally {
    fs.closeSync(fd);
  }
}

export interface RunReadContext {
  root: string;
  workspace: string;
  experimentId: string;
  experimentDeleted: boolean;
  full: boolean;
}

/**
 * Finished runs do not change, except through meta.yaml (MLflow rewrites it to delete, restore
 * or rename a run), so one stat decides. Tags added to a finished run arrive through the watcher
 * or a full scan.
 */
function unchangedFinishedRun(runDir: string, known: KnownRun): boolean {
  const previous = known.state as RunState | undefined;
  return previous !== undefined && sameFingerprint(previous.m, fingerprint(statOrUndefined(path.join(runDir, 'meta.yaml'))));
}

/** Reads (or re-reads) one run folder. Returns undefined when nothing changed. */
export function readRun(runDir: string, runId: string, known: KnownRun | undefined, ctx: RunReadContext): RunUpdate | undefined {
  const metaFile = path.join(runDir, 'meta.yaml');
  const previous = known?.state as RunState | undefined;
  if (!ctx.full && known && known.status !== 'RUNNING' && unchangedFinishedRun(runDir, known)) return undefined;

  const diags: Diagnostic[] = [];
  const entries = listDir(runDir, diags) ?? { dirs: [], files: [] };
  const hasDir = (name: string): boolean => entries.dirs.includes(name);
  const metaStat = entries.files.includes('meta.yaml') ? statOrUndefined(metaFile) : undefined;
  const state: RunState = { m: fingerprint(metaStat) };
  let meta: Record<string, YamlValue> | undefined;
  if (metaStat) meta = readYamlMapping(metaFile, diags);
  else diags.push({ severity: 'warning', file: metaFile, message: 'the run folder has no meta.yaml; MLflow ignores it, MLCycle shows it with status UNKNOWN' });

  const tagsDir = path.join(runDir, 'tags');
  const metricsDir = path.join(runDir, 'metrics');
  const tags = hasDir('tags') ? readKeyValueTree(tagsDir, diags) : {};
  const status: RunStatus = meta ? parseStatus(meta['status']) : 'UNKNOWN';
  const live = status === 'RUNNING';
  const lifecycle = asString(meta?.['lifecycle_stage']);
  const run: RunRecord = {
    nativeId: runId,
    experimentNativeId: ctx.experimentId,
    name: asString(meta?.['run_name']) || tags['mlflow.runName'] || asString(meta?.['name']) || null,
    status,
    startTime: asNumber(meta?.['start_time']),
    endTime: asNumber(meta?.['end_time']),
    deleted: lifecycle === 'deleted' || ctx.experimentDeleted,
    parentId: tags['mlflow.parentRunId'] ?? null,
    user: asString(meta?.['user_id']) || tags['mlflow.user'] || null,
    path: runDir,
    artifactUri: asString(meta?.['artifact_uri']),
  };

  const params = hasDir('params') ? readKeyValueTree(path.join(runDir, 'params'), diags) : {};

  // Metrics: tail the files of a run that was live at the last read, read the rest whole.
  const histories = new Map<string, Series>();
  const appendMetrics: { key: string; series: Series }[] = [];
  const tailing = !ctx.full && known?.status === 'RUNNING' && previous?.f !== undefined;
  const files: Record<string, [number, number, number]> = {};
  const keys = hasDir('metrics') ? listFilesRecursive(metricsDir, diags) : [];
  for (const key of keys) {
    const file = path.join(metricsDir, ...key.split('/'));
    const prev = tailing ? previous?.f?.[key] : undefined;
    let from = 0;
    if (prev) {
      const st = statOrUndefined(file);
      if (st && st.size === prev[1] && st.mtimeMs === prev[2]) {
        files[key] = prev;
        appendMetrics.push({ key, series: { steps: [], times: [], values: [] } }); // keeps the stored series
        continue;
      }
      if (st && st.size >= prev[0]) from = prev[0];
    }
    const r = readMetricFile(file, live, from, diags);
    if (!r) continue;
    files[key] = [r.consumed, r.size, r.mtimeMs];
    if (r.series) histories.set(key, r.series);
    if (r.append) appendMetrics.push({ key, series: r.append });
  }
  if (live) {
    state.f = files;
    state.h = createHash('sha1').update(JSON.stringify([params, tags])).digest('base64');
    // A live run between two writes: nothing new anywhere, so nothing to store.
    const idle =
      !ctx.full &&
      previous?.h === state.h &&
      sameFingerprint(previous.m, state.m) &&
      known?.status === 'RUNNING' &&
      histories.size === 0 &&
      appendMetrics.every((a) => a.series.values.length === 0) &&
      Object.keys(files).length === Object.keys(previous?.f ?? {}).length &&
      diags.length === 0;
    if (idle) return undefined;
  }

  const update: RunUpdate = {
    run,
    params,
    tags,
    metrics: encodeMetrics(histories),
    metricsComplete: true,
    state,
    diagnostics: diags,
  };
  if (appendMetrics.length > 0) update.appendMetrics = appendMetrics;

  // Artifacts and inputs change rarely; read them when the run is first seen or re-read whole.
  const artifactDir = resolveArtifactDir(run.artifactUri, ctx.root, runDir, ctx.experimentId, runId, ctx.workspace);
  run.artifactDir = artifactDir ?? null;
  update.artifacts = artifactDir ? listArtifacts(artifactDir, diags, ctx.workspace) : [];
  update.inputs = hasDir('inputs') ? readRunInputs(path.join(runDir, 'inputs'), diags) : [];
  return update;
}

function readRunInputs(dir: string, diags: Diagnostic[]): RunInput[] {
  const entries = listDir(dir, diags);
  if (!entries) return [];
  const out: RunInput[] = [];
  for (const name of entries.dirs) {
    const meta = readYamlMapping(path.join(dir, name, 'meta.yaml'), diags);
    if (!meta) continue;
    const sourceType = asString(meta['source_type'])?.toUpperCase();
    const refId = asString(meta['source_id']);
    if (!refId) continue;
    const tagsValue = meta['tags'];
    const context = isMapping(tagsValue) ? asString(tagsValue['mlflow.data.context']) : null;
    out.push({ kind: sourceType === 'MODEL' ? 'model' : 'dataset', refId, context });
  }
  return out;
}

function readDatasets(dir: string, diags: Diagnostic[]): DatasetData[] {
  const entries = listDir(dir, diags);
  if (!entries) return [];
  const out: DatasetData[] = [];
  for (const name of entries.dirs) {
    const meta = readYamlMapping(path.join(dir, name, 'meta.yaml'), diags);
    if (!meta) continue;
    out.push({
      nativeId: name,
      name: asString(meta['name']),
      digest: asString(meta['digest']),
      sourceType: asString(meta['source_type']),
      location: asString(meta['source']),
      schema: asString(meta['schema']),
      profile: asString(meta['profile']),
    });
  }
  return out;
}

function readLoggedModels(dir: string, experimentId: string, diags: Diagnostic[]): LoggedModelData[] {
  const entries = listDir(dir, diags);
  if (!entries) return [];
  const out: LoggedModelData[] = [];
  for (const name of entries.dirs) {
    const modelDir = path.join(dir, name);
    const meta = readYamlMapping(path.join(modelDir, 'meta.yaml'), diags);
    if (!meta) continue;
    const params: Record<string, string> = {};
    const p = meta['params'];
    if (isMapping(p)) for (const [k, v] of Object.entries(p)) params[k] = asString(v) ?? '';
    const metrics: Record<string, number> = {};
    const metricsDir = path.join(modelDir, 'metrics');
    if (statOrUndefined(metricsDir)?.isDirectory()) {
      for (const key of listFilesRecursive(metricsDir, diags)) {
        const file = path.join(metricsDir, ...key.split('/'));
        const text = readText(file, diags);
        if (text === undefined) continue;
        const parsed = parseMetricLines(text.endsWith('\n') ? text : text + '\n', 1, { modelFile: true });
        for (const pr of parsed.problems) diags.push({ severity: 'error', file, line: pr.line, message: pr.message });
        const last = parsed.series.values.length > 0 ? parsed.series.values[parsed.series.values.length - 1]! : undefined;
        if (last !== undefined) metrics[key] = last;
      }
    }
    const status = meta['status'];
    out.push({
      nativeId: asString(meta['model_id']) ?? name,
      experimentNativeId: asString(meta['experiment_id']) ?? experimentId,
      name: asString(meta['name']),
      runNativeId: asString(meta['source_run_id']),
      status: loggedModelStatus(status),
      deleted: asString(meta['lifecycle_stage']) === 'deleted',
      location: asString(meta['artifact_location']),
      created: asNumber(meta['creation_timestamp']),
      params,
      metrics,
      tags: readTags(path.join(modelDir, 'tags'), diags),
    });
  }
  return out;
}

/** MLflow's registry file store: `mlruns/models/<name>/{meta.yaml,tags,aliases,version-N}`. */
export function readRegistry(dir: string, diags: Diagnostic[]): { models: SourceModelData[]; versions: SourceModelVersionData[] } {
  const models: SourceModelData[] = [];
  const versions: SourceModelVersionData[] = [];
  const entries = listDir(dir, diags);
  if (!entries) return { models, versions };
  for (const dirName of entries.dirs) {
    const modelDir = path.join(dir, dirName);
    const meta = readYamlMapping(path.join(modelDir, 'meta.yaml'), diags);
    if (!meta) continue;
    const name = asString(meta['name']) ?? dirName;
    const aliases: Record<string, number> = {};
    const aliasDir = path.join(modelDir, 'aliases');
    if (statOrUndefined(aliasDir)?.isDirectory()) {
      for (const [alias, text] of Object.entries(readKeyValueTree(aliasDir, diags))) {
        const v = Number(text.trim());
        if (Number.isInteger(v)) aliases[alias] = v;
        else diags.push({ severity: 'error', file: path.join(aliasDir, alias), message: `alias "${alias}" does not hold a version number` });
      }
    }
    models.push({
      name,
      description: asString(meta['description']) || null,
      created: asNumber(meta['creation_timestamp']),
      updated: asNumber(meta['last_updated_timestamp']),
      tags: readTags(path.join(modelDir, 'tags'), diags),
      aliases,
    });
    const children = listDir(modelDir, diags);
    for (const child of children?.dirs ?? []) {
      const m = /^version-(\d+)$/.exec(child);
      if (!m) continue;
      const vDir = path.join(modelDir, child);
      const vMeta = readYamlMapping(path.join(vDir, 'meta.yaml'), diags);
      if (!vMeta) continue;
      const version = asNumber(vMeta['version']) ?? Number(m[1]);
      const rawStage = asString(vMeta['current_stage']);
      const stage = rawStage === 'None' || rawStage === '' ? null : rawStage; // MLflow writes str(None)
      versions.push({
        modelName: name,
        version,
        stage: stage === 'Deleted_Internal' ? null : stage,
        status: asString(vMeta['status']),
        deleted: stage === 'Deleted_Internal',
        runNativeId: asString(vMeta['run_id']) || null,
        modelId: asString(vMeta['model_id']) || null,
        sourceUri: asString(vMeta['source']),
        storageLocation: asString(vMeta['storage_location']),
        description: asString(vMeta['description']) || null,
        created: asNumber(vMeta['creation_timestamp']),
        updated: asNumber(vMeta['last_updated_timestamp']),
        tags: readTags(path.join(vDir, 'tags'), diags),
        aliases: Object.entries(aliases)
          .filter(([, v]) => v === version)
          .map(([a]) => a)
          .sort(),
      });
    }
  }
  return { models, versions };
}

function readExperiment(
  expDir: string,
  expId: string,
  deletedFolder: boolean,
  previous: ExperimentState | undefined,
  full: boolean,
): { state: ExperimentState; update?: { experiment: ExperimentData; datasets: DatasetData[]; loggedModels: LoggedModelData[] } } {
  const metaFile = path.join(expDir, 'meta.yaml');
  const state: ExperimentState = {
    m: fingerprint(statOrUndefined(metaFile)),
    t: mtimeOf(path.join(expDir, 'tags')),
    d: mtimeOf(path.join(expDir, 'datasets')),
    l: mtimeOf(path.join(expDir, 'models')),
    diag: [],
  };
  if (
    !full &&
    previous &&
    sameFingerprint(previous.m, state.m) &&
    previous.t === state.t &&
    previous.d === state.d &&
    previous.l === state.l
  ) {
    state.diag = previous.diag;
    return { state };
  }
  const diags: Diagnostic[] = [];
  const meta = readYamlMapping(metaFile, diags);
  const experiment: ExperimentData = {
    nativeId: expId,
    name: asString(meta?.['name']) ?? (expId === '0' ? 'Default' : expId),
    deleted: deletedFolder || asString(meta?.['lifecycle_stage']) === 'deleted',
    artifactLocation: asString(meta?.['artifact_location']),
    created: asNumber(meta?.['creation_time']),
    updated: asNumber(meta?.['last_update_time']),
    tags: readTags(path.join(expDir, 'tags'), diags),
  };
  const datasetsDir = path.join(expDir, 'datasets');
  const modelsDir = path.join(expDir, 'models');
  const datasets = state.d !== null ? readDatasets(datasetsDir, diags) : [];
  const loggedModels = state.l !== null ? readLoggedModels(modelsDir, expId, diags) : [];
  state.diag = diags;
  return { state, update: { experiment, datasets, loggedModels } };
}

export interface RunToRead {
  dir: string;
  id: string;
  known?: KnownRun;
  ctx: RunReadContext;
}

/** Below this many runs to read, starting worker threads costs more than it saves. */
const PARALLEL_MIN_RUNS = 200;
const RUNS_PER_TASK = 32;

function readOne(item: RunToRead): RunUpdate | undefined {
  return readRun(item.dir, item.id, item.known, item.ctx);
}

/** Reads the runs, in worker threads when there are many, handing each update to the sink. */
async function readRuns(items: RunToRead[], ctx: ReadContext, diagnostics: Diagnostic[]): Promise<void> {
  const pool = ctx.pool;
  if (!pool || !pool.available || items.length < PARALLEL_MIN_RUNS) {
    for (const item of items) {
      if (ctx.signal?.aborted) return;
      const update = readOne(item);
      if (update) ctx.sink.run(update);
    }
    return;
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !ctx.signal?.aborted) {
      const batch = items.slice(next, next + RUNS_PER_TASK);
      next += batch.length;
      let results: MlflowRunsResult;
      try {
        results = await pool.run<MlflowRunsResult>('mlflowRuns', { runs: batch } satisfies MlflowRunsTask);
      } catch {
        results = batch.map((item) => readOne(item) ?? null); // a worker died: read this batch here
      }
      results.forEach((r, i) => {
        if (r === null) return;
        if ('error' in r) {
          diagnostics.push({ severity: 'error', file: batch[i]!.dir, message: `cannot read the run: ${r.error}` });
          return;
        }
        ctx.sink.run(r);
      });
    }
  };
  // Two tasks per worker in flight: workers never wait, and results never pile up.
  await Promise.all(Array.from({ length: pool.size * 2 }, lane));
}

/**
 * Reads only the runs a watcher's hints touch (`<root>/<experiment>/<run>/…`). Anything else (the
 * root, an experiment's own files, the registry, an unknown experiment) needs the full read.
 */
async function readHinted(root: DetectedRoot, ctx: ReadContext, hints: readonly string[]): Promise<SourceReadResult | undefined> {
  const runs = new Map<string, { expId: string; runId: string; dir: string }>();
  for (const hint of hints) {
    const rel = path.relative(root.path, hint).split(path.sep);
    if (rel[0] === '' || rel[0] === '..' || rel.length < 2 || !EXPERIMENT_ID.test(rel[0]!)) return undefined;
    const runId = rel[1]!;
    if (RESERVED_EXPERIMENT_FOLDERS.has(runId) || runId === 'meta.yaml' || runId.startsWith('.')) return undefined;
    runs.set(`${rel[0]}/${runId}`, { expId: rel[0]!, runId, dir: path.join(root.path, rel[0]!, runId) });
  }
  const knownExperiments = new Set(Object.keys((ctx.sourceState as SourceState | undefined)?.experiments ?? {}));
  const removedRunIds: string[] = [];
  const toRead: RunToRead[] = [];
  for (const r of runs.values()) {
    if (!knownExperiments.has(r.expId)) return undefined;
    const known = ctx.known.get(r.runId);
    if (!statOrUndefined(r.dir)?.isDirectory()) {
      if (known) removedRunIds.push(r.runId);
      continue;
    }
    if (!known && !statOrUndefined(path.join(r.dir, 'meta.yaml'))) continue; // a run being created: wait for its meta.yaml
    toRead.push({
      dir: r.dir,
      id: r.runId,
      ...(known ? { known } : {}),
      ctx: { root: root.path, workspace: ctx.workspace, experimentId: r.expId, experimentDeleted: false, full: false },
    });
  }
  const diagnostics: Diagnostic[] = [];
  await readRuns(toRead, ctx, diagnostics);
  return { partial: true, removedRunIds, presentExperimentIds: [], presentRunIds: [], diagnostics, state: ctx.sourceState };
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  if (ctx.hints && ctx.hints.length > 0 && !ctx.full) {
    const partial = await readHinted(root, ctx, ctx.hints);
    if (partial) return partial;
  }
  const diagnostics: Diagnostic[] = [];
  const previous = (ctx.sourceState as SourceState | undefined) ?? { experiments: {} };
  const nextState: SourceState = { experiments: {} };
  const presentExperimentIds: string[] = [];
  const presentRunIds: string[] = [];
  const rootEntries = listDir(root.path, diagnostics);
  if (!rootEntries) return { presentExperimentIds, presentRunIds, diagnostics, state: previous };

  const experimentDirs: { dir: string; id: string; deleted: boolean }[] = [];
  for (const name of rootEntries.dirs) {
    if (EXPERIMENT_ID.test(name) && statOrUndefined(path.join(root.path, name, 'meta.yaml'))) {
      experimentDirs.push({ dir: path.join(root.path, name), id: name, deleted: false });
    }
  }
  // Deleted experiments are moved to .trash/ with their runs: read them, marked deleted.
  const trash = path.join(root.path, '.trash');
  if (rootEntries.dirs.includes('.trash')) {
    for (const name of listDir(trash, diagnostics)?.dirs ?? []) {
      if (EXPERIMENT_ID.test(name) && !experimentDirs.some((e) => e.id === name)) {
        experimentDirs.push({ dir: path.join(trash, name), id: name, deleted: true });
      }
    }
  }

  const toRead: RunToRead[] = [];
  for (const exp of experimentDirs) {
    if (ctx.signal?.aborted) break;
    const { state, update } = readExperiment(exp.dir, exp.id, exp.deleted, previous.experiments[exp.id], ctx.full);
    nextState.experiments[exp.id] = state;
    diagnostics.push(...state.diag);
    presentExperimentIds.push(exp.id);
    if (update) ctx.sink.experiment(update);

    const entries = listDir(exp.dir, diagnostics);
    if (!entries) continue;
    const runCtx: RunReadContext = {
      root: root.path,
      workspace: ctx.workspace,
      experimentId: exp.id,
      experimentDeleted: exp.deleted,
      full: ctx.full,
    };
    for (const name of entries.dirs) {
      if (RESERVED_EXPERIMENT_FOLDERS.has(name) || name.startsWith('.')) continue;
      const runDir = path.join(exp.dir, name);
      const known = ctx.known.get(name);
      if (!known && !statOrUndefined(path.join(runDir, 'meta.yaml'))) {
        // MLflow skips folders without meta.yaml. Keep what looks like a run (it has data), and
        // say so; anything else is reported and skipped.
        const looksLikeRun = ['metrics', 'params', 'tags'].some((d) => statOrUndefined(path.join(runDir, d))?.isDirectory());
        if (!looksLikeRun) {
          diagnostics.push({ severity: 'warning', file: runDir, message: 'folder without meta.yaml inside an experiment: not a run, skipped' });
          continue;
        }
      }
      presentRunIds.push(name);
      if (!ctx.full && known && known.status !== 'RUNNING' && unchangedFinishedRun(runDir, known)) continue;
      toRead.push({ dir: runDir, id: name, ...(known ? { known } : {}), ctx: runCtx });
    }
  }
  await readRuns(toRead, ctx, diagnostics);

  const registryDir = path.join(root.path, 'models');
  if (rootEntries.dirs.includes('models')) {
    const { models, versions } = readRegistry(registryDir, diagnostics);
    ctx.sink.registry(models, versions);
  } else {
    ctx.sink.registry([], []);
  }
  // Watch the store's structure (new experiments, new runs); live runs' folders are added by the engine.
  const watch = [root.path, ...experimentDirs.map((e) => e.dir)];
  if (rootEntries.dirs.includes('models')) watch.push(...foldersBelow(registryDir, 500));
  return { presentExperimentIds, presentRunIds, diagnostics, state: nextState, watch };
}

function detect(dir: DirectoryView): Detection | undefined {
  const experimentChildren = dir.dirs.filter((d) => EXPERIMENT_ID.test(d) && fs.existsSync(path.join(dir.path, d, 'meta.yaml')));
  const named = path.basename(dir.path) === 'mlruns' && (dir.dirs.includes('models') || dir.dirs.includes('.trash'));
  if (experimentChildren.length === 0 && !named) return undefined;
  return {
    roots: [{ kind: 'mlflow', path: dir.path }],
    // Experiments, the registry and the trash belong to this store; anything else (a nested
    // mlruns written from another working directory) is still explored.
    skip: [...experimentChildren, 'models', '.trash'],
  };
}

export const mlflowFileStore: SourceAdapter = {
  kind: 'mlflow',
  label: 'MLflow file store',
  detect,
  read,
};
