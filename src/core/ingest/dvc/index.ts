// DVC and DVCLive (FORMATS.md §2): every DVCLive layout (0.x `dvclive.json` + scalars/, 1.x–3.x
// metrics.json + plots/metrics/), nested and renamed DVCLive folders, params files, dvc.yaml
// (artifacts included) and dvc.lock lineage.
//
// A source is a DVC project (a folder with dvc.yaml or .dvc/), or, without a project, the parent
// of DVCLive folders. Each DVCLive folder is a run, its id the folder's path in the source; a
// project without DVCLive is one run ('.') holding its params and metrics files.
//
// Re-reading is incremental: a run whose files all have the fingerprints of the last read is not
// opened; a TSV that grew is read from where the last read stopped.
import * as path from 'node:path';
import { fromStorePath } from '../../util/paths';
import { foldersBelow, listDir, readJsonFile, statOrUndefined } from '../readers';
import type { Detection, DetectedRoot, Diagnostic, DirectoryView, ReadContext, RunUpdate, SourceAdapter, SourceReadResult } from '../types';
import { fingerprintFile, flattenParams, isPlainObject, readMappingFile, sameFingerprints, type Fingerprint } from './files';
import {
  dvcliveChildren,
  dvcliveLayout,
  finishLiveFolders,
  hintedChildren,
  isProjectRoot,
  layoutOfFolder,
  walkSource,
  type Layout,
  type LiveFolder,
} from './layout';
import {
  buildLineage,
  namedLiveFolders,
  parseArtifactsYaml,
  parseDvcYaml,
  projectMetricsFiles,
  projectParamsFiles,
  type DvcYaml,
} from './pipeline';
import { listLiveFiles, readLiveRun, readProjectRun, type LiveFiles, type RunContext } from './runs';

/**
 * Project roots claimed during discovery. Discovery is breadth first, so a project is always seen
 * before the folders inside it; a DVCLive folder found deeper then knows its project reads it.
 * Entries are checked against the disk before use (a project may have been removed since).
 */
const claimedProjects = new Set<string>();

function stillProject(dir: string): boolean {
  return (statOrUndefined(path.join(dir, 'dvc.yaml'))?.isFile() ?? false) || (statOrUndefined(path.join(dir, '.dvc'))?.isDirectory() ?? false);
}

function enclosingProject(dir: string): string | undefined {
  if (claimedProjects.size === 0) return undefined;
  for (let p = path.dirname(dir); ; ) {
    if (claimedProjects.has(p)) {
      if (stillProject(p)) return p;
      claimedProjects.delete(p);
    }
    const up = path.dirname(p);
    if (up === p) return undefined;
    p = up;
  }
}

function detect(view: DirectoryView): Detection | undefined {
  const hasYaml = view.files.includes('dvc.yaml');
  const hasDotDvc = view.dirs.includes('.dvc');
  const maybeLive = view.files.includes('metrics.json') || view.dirs.includes('plots') || view.dirs.includes('scalars');
  const hinted = hintedChildren(view);
  if (!hasYaml && !hasDotDvc && !maybeLive && hinted.length === 0) return undefined;
  const inside = enclosingProject(view.path);
  if (isProjectRoot(view.path, view)) {
    // The project's DVCLive folders are read with it; its other folders are still explored (a
    // pipeline stage may log with TensorBoard or MLflow as well).
    const skip = dvcliveChildren(view.path, view);
    if (inside && !hasDotDvc) return { roots: [], exclusive: true, skip }; // another dvc.yaml of the same repository
    claimedProjects.add(view.path);
    return { roots: [{ kind: 'dvc', path: view.path }], exclusive: true, skip };
  }
  const layout = maybeLive ? dvcliveLayout(view.path, view) : undefined;
  if (inside) return layout ? { roots: [], exclusive: true, skip: [...view.dirs] } : undefined;
  if (layout) {
    // A DVCLive folder on its own whose parent did not announce it (a renamed folder): its
    // parent was already visited and may belong to another adapter, so the folder is the root.
    return { roots: [{ kind: 'dvc', path: view.path }], exclusive: true, skip: [...view.dirs] };
  }
  if (hinted.some((d) => layoutOfFolder(path.join(view.path, d)) !== undefined)) {
    return { roots: [{ kind: 'dvc', path: view.path }], exclusive: true, skip: dvcliveChildren(view.path, view) };
  }
  return undefined;
}

interface SourceState {
  v: 1;
  /** Fingerprints of the files lineage and project params come from (paths relative to the root). */
  f: Record<string, Fingerprint>;
  /** The DVCLive runs the lineage was built with. */
  r: string[];
  /** Diagnostics of those files, repeated while they are unchanged. */
  d: Diagnostic[];
}

interface LiveSignal {
  pid: number;
  expName: string | null;
  /** When DVCLive wrote the signal (Live() start), ms. */
  since: number;
}

/**
 * DVCLive outside `dvc exp run` writes `.dvc/tmp/exps/run/DVCLIVE_ONLY` = {"exp_name", "pid"} when
 * it starts and removes it in end() (FORMATS.md §2.4): present with a live pid ⇒ running.
 */
function readLiveSignal(root: string, diags: Diagnostic[]): LiveSignal | undefined {
  const file = path.join(root, '.dvc', 'tmp', 'exps', 'run', 'DVCLIVE_ONLY');
  const st = statOrUndefined(file);
  if (!st?.isFile()) return undefined;
  const problems: Diagnostic[] = [];
  const value = readJsonFile(file, problems, 64 * 1024);
  if (!isPlainObject(value) || typeof value['pid'] !== 'number' || !Number.isInteger(value['pid']) || value['pid'] <= 0) {
    // Written while we read it, or not DVCLive's: the run shows as finished until it reads well.
    diags.push(...problems.map((d) => ({ ...d, severity: 'warning' as const })));
    if (problems.length === 0) diags.push({ severity: 'warning', file, message: 'the DVCLive signal file holds no process id' });
    return undefined;
  }
  const pid = value['pid'];
  if (!processAlive(pid)) return undefined;
  const expName = typeof value['exp_name'] === 'string' ? value['exp_name'] : null;
  return { pid, expName, since: st.mtimeMs };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

/**
 * The signal names no folder: the live run is the one written since the signal appeared (a
 * second's slack for the deletions Live() makes just before it), else the latest written.
 */
function liveFolders(files: readonly LiveFiles[], signal: LiveSignal | undefined): Set<string> {
  const out = new Set<string>();
  if (!signal || files.length === 0) return out;
  if (files.length === 1) return new Set([files[0]!.folder.id]);
  for (const f of files) if (f.latest !== null && f.latest >= signal.since - 1000) out.add(f.folder.id);
  if (out.size === 0) {
    const latest = files.reduce((a, b) => ((b.latest ?? -Infinity) > (a.latest ?? -Infinity) ? b : a));
    out.add(latest.folder.id);
  }
  return out;
}

function relTo(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

/** Project params: each file flattened with dotted keys, later files on top of earlier ones. */
function readProjectParams(files: readonly string[], diags: Diagnostic[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    // DVC also reads .toml and .py params files; MLCycle has no reader for them and skips them.
    if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json') continue;
    const value = readMappingFile(file, diags);
    if (value) flattenParams(value, out);
  }
  return out;
}

/** Reads one run; an I/O failure in the middle of it (EIO, a file gone half-way) spares the others. */
function guarded(dir: string, diags: Diagnostic[], readRun: () => RunUpdate | undefined, ctx: ReadContext): void {
  let update: RunUpdate | undefined;
  try {
    update = readRun();
  } catch (err) {
    diags.push({ severity: 'error', file: dir, message: `cannot read the run: ${(err as Error).message}` });
    return;
  }
  if (update) ctx.sink.run(update);
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const diagnostics: Diagnostic[] = [];
  const raw = ctx.sourceState as Partial<SourceState> | undefined;
  const previous = raw?.v === 1 ? (raw as SourceState) : undefined;
  const listing = listDir(root.path, diagnostics);
  if (!listing) return { presentExperimentIds: [], presentRunIds: [], diagnostics, state: previous };
  const project = isProjectRoot(root.path, listing);

  const walked = walkSource(root.path, project, diagnostics);
  const yamls = walked.yamls.map((f) => parseDvcYaml(f, root.path, diagnostics)).filter((y): y is DvcYaml => y !== undefined);
  const found = [...walked.live, ...(project ? namedLiveFolders(root.path, yamls, walked.live) : [])];
  // DVCLive deletes its files when Live() starts and writes them again: a known run whose folder
  // is still there is the same run, for a moment without data.
  for (const known of ctx.known.values()) {
    const state = known.state as { k?: string; l?: Layout } | undefined;
    if (state?.k !== 'live' || found.some((f) => f.id === known.nativeId)) continue;
    const dir = fromStorePath(root.path, known.nativeId);
    if (statOrUndefined(dir)?.isDirectory()) found.push({ dir, id: known.nativeId, layout: state.l ?? 'v1', parent: null });
  }
  const live: LiveFolder[] = finishLiveFolders(found);

  const paramFiles = project ? projectParamsFiles(root.path, yamls, live) : [];
  const metricsFiles = project && live.length === 0 ? projectMetricsFiles(yamls, live) : [];
  const artifactsYaml = project && listing.files.includes('artifacts.yaml') ? path.join(root.path, 'artifacts.yaml') : undefined;

  // Lineage and project params are read again only when one of their files changed.
  const fingerprints: Record<string, Fingerprint> = {};
  for (const f of [...walked.yamls, ...walked.locks, ...walked.pointers, ...(artifactsYaml ? [artifactsYaml] : []), ...paramFiles]) {
    fingerprints[relTo(root.path, f)] = fingerprintFile(f);
  }
  const liveIds = live.map((f) => f.id);
  const unchanged =
    !ctx.full && previous !== undefined && sameFingerprints(previous.f, fingerprints) && previous.r.length === liveIds.length && previous.r.every((id, i) => id === liveIds[i]);
  let inputDiagnostics: Diagnostic[];
  let params: Record<string, string> | undefined;
  if (unchanged && previous) {
    inputDiagnostics = previous.d;
  } else {
    inputDiagnostics = [];
    params = readProjectParams(paramFiles, inputDiagnostics);
    const artifacts = [...yamls.flatMap((y) => y.artifacts), ...(artifactsYaml ? parseArtifactsYaml(artifactsYaml, root.path, inputDiagnostics) : [])];
    ctx.sink.lineage(buildLineage({ root: root.path, yamls, locks: walked.locks, pointers: walked.pointers, artifacts, live }, inputDiagnostics));
  }
  const runCtx: RunContext = {
    root: root.path,
    full: ctx.full,
    paramFiles,
    // Their diagnostics are already among the source's (inputDiagnostics).
    projectParams: () => (params ??= readProjectParams(paramFiles, [])),
  };

  const signal = project ? readLiveSignal(root.path, diagnostics) : undefined;
  const files = live.map((f) => listLiveFiles(f, runCtx));
  const running = liveFolders(files, signal);
  const presentRunIds: string[] = [];
  for (const f of files) {
    if (ctx.signal?.aborted) break;
    const id = f.folder.id;
    presentRunIds.push(id);
    const isLive = running.has(id);
    guarded(f.folder.dir, diagnostics, () => readLiveRun(f, ctx.known.get(id), isLive, isLive ? (signal?.expName ?? null) : null, runCtx), ctx);
  }
  if (project && live.length === 0 && (paramFiles.length > 0 || metricsFiles.length > 0)) {
    presentRunIds.push('.');
    guarded(root.path, diagnostics, () => readProjectRun(metricsFiles, ctx.known.get('.'), runCtx), ctx);
  }
  diagnostics.push(...inputDiagnostics);
  const state: SourceState = { v: 1, f: fingerprints, r: liveIds, d: inputDiagnostics };
  return { presentExperimentIds: [], presentRunIds, diagnostics, state, ...(project ? { watch: projectWatch(root.path) } : {}) };
}

/** How many folders below a project are watched (the engine's default for any source). */
const WATCH_LIMIT = 2000;

/**
 * Every folder below the project, as for any source, plus the folder of DVCLive's signal files:
 * watching skips `.dvc/`, and the signal's removal is all there is to see when a run ends.
 */
function projectWatch(root: string): string[] {
  const out = foldersBelow(root, WATCH_LIMIT);
  for (const parts of [['tmp', 'exps', 'run'], ['tmp', 'exps'], ['tmp']]) {
    const dir = path.join(root, '.dvc', ...parts);
    if (statOrUndefined(dir)?.isDirectory()) {
      out.push(dir);
      break;
    }
  }
  return out;
}

export const dvcAdapter: SourceAdapter = {
  kind: 'dvc',
  label: 'DVC / DVCLive',
  detect,
  read,
};
