// Runs of a DVC source: one per DVCLive folder (params, TSV histories, summary), or, in a project
// without DVCLive, one for the project itself (params files and the metrics files dvc.yaml names).
import type * as fs from 'node:fs';
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { encodeMetrics, listFilesRecursive, statOrUndefined } from '../readers';
import type { Diagnostic, KnownRun, RunRecord, RunStatus, RunUpdate } from '../types';
import { fingerprintFile, flattenMetrics, flattenParams, readMappingFile, sameFingerprints, type Fingerprint } from './files';
import type { Layout, LiveFolder } from './layout';
import { summaryFile } from './pipeline';
import { readTsv, tsvDiagnostics, type TsvState } from './tsv';

/** Fingerprints of a DVCLive run, compared on the next read. */
export interface LiveRunState {
  k: 'live';
  /** The folder's layout, for a folder whose files DVCLive has just deleted. */
  l: Layout;
  /** TSV histories by metric key. */
  t: Record<string, TsvState>;
  /** Every other file read (summary, params files), by path relative to the source root. */
  f: Record<string, Fingerprint>;
  /** Whether the run was live at that read. */
  r: boolean;
  /** The DVC experiment name the live signal gave, kept after the run ends. */
  x?: string;
  /** The enclosing DVCLive run, for nested folders. */
  p?: string;
}

export interface ProjectRunState {
  k: 'project';
  f: Record<string, Fingerprint>;
}

export interface RunContext {
  root: string;
  full: boolean;
  /** Params files of the project (absolute), read only when a run has to be read. */
  paramFiles: readonly string[];
  projectParams: () => Record<string, string>;
}

/** The files of a DVCLive folder, listed and stat'ed: enough to tell whether anything changed. */
export interface LiveFiles {
  folder: LiveFolder;
  tsvDir: string;
  tsvs: { key: string; file: string; st: fs.Stats }[];
  /** Summary, own params.yaml, and the project's params files: path → fingerprint. */
  others: Record<string, Fingerprint>;
  /** Latest and earliest modification of the run's files (ms), or null when it has none. */
  latest: number | null;
  earliest: number | null;
  diagnostics: Diagnostic[];
}

function relTo(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

const SUMMARY_NOT_METRICS = new Set(['step']);

export function listLiveFiles(folder: LiveFolder, ctx: RunContext): LiveFiles {
  const diagnostics: Diagnostic[] = [];
  const tsvDir = folder.layout === 'v0' ? path.join(folder.dir, 'scalars') : path.join(folder.dir, 'plots', 'metrics');
  const tsvs: LiveFiles['tsvs'] = [];
  let latest: number | null = null;
  let earliest: number | null = null;
  const note = (mtime: number): void => {
    latest = latest === null ? mtime : Math.max(latest, mtime);
    earliest = earliest === null ? mtime : Math.min(earliest, mtime);
  };
  if (statOrUndefined(tsvDir)?.isDirectory()) {
    for (const name of listFilesRecursive(tsvDir, diagnostics).sort()) {
      if (!name.endsWith('.tsv')) continue;
      const file = path.join(tsvDir, ...name.split('/'));
      const st = statOrUndefined(file);
      if (!st?.isFile()) continue;
      tsvs.push({ key: name.slice(0, -'.tsv'.length), file, st });
      note(st.mtimeMs);
    }
  }
  const others: Record<string, Fingerprint> = {};
  for (const file of [summaryFile(folder), path.join(folder.dir, 'params.yaml')]) {
    const fp = fingerprintFile(file);
    others[relTo(ctx.root, file)] = fp;
    if (fp) note(fp[1]);
  }
  for (const file of ctx.paramFiles) others[relTo(ctx.root, file)] = fingerprintFile(file);
  return { folder, tsvDir, tsvs, others, latest, earliest, diagnostics };
}

function unchangedTsvs(files: LiveFiles, previous: LiveRunState, live: boolean): boolean {
  const keys = Object.keys(previous.t);
  if (keys.length !== files.tsvs.length) return false;
  for (const { key, st } of files.tsvs) {
    const p = previous.t[key];
    if (!p || p.s !== st.size || p.m !== st.mtimeMs || p.i !== st.ino) return false;
    if (!live && p.h !== '' && p.c < p.s) return false; // a tail left while live is read now
  }
  return true;
}

function baseRun(folderId: string, dir: string, rootName: string): RunRecord {
  return {
    nativeId: folderId,
    experimentNativeId: null,
    name: folderId === '.' ? rootName : folderId,
    status: 'FINISHED',
    startTime: null,
    endTime: null,
    deleted: false,
    parentId: null,
    user: null,
    path: dir,
    artifactUri: null,
  };
}

/** Reads (or re-reads) one DVCLive run; undefined when nothing changed since the last read. */
export function readLiveRun(
  files: LiveFiles,
  known: KnownRun | undefined,
  live: boolean,
  expName: string | null,
  ctx: RunContext,
): RunUpdate | undefined {
  const { folder } = files;
  const status: RunStatus = live ? 'RUNNING' : 'FINISHED';
  const previous = known?.state && (known.state as { k?: string }).k === 'live' ? (known.state as LiveRunState) : undefined;
  const name = expName ?? previous?.x;
  if (
    !ctx.full &&
    previous &&
    known?.status === status &&
    previous.r === live &&
    (previous.p ?? null) === folder.parent &&
    (expName === null || expName === previous.x) &&
    sameFingerprints(previous.f, files.others) &&
    unchangedTsvs(files, previous, live)
  ) {
    return undefined;
  }

  const diagnostics: Diagnostic[] = [...files.diagnostics];
  const histories = new Map<string, Series>();
  const appendMetrics: { key: string; series: Series }[] = [];
  const state: LiveRunState = { k: 'live', l: folder.layout, t: {}, f: files.others, r: live, ...(name ? { x: name } : {}), ...(folder.parent ? { p: folder.parent } : {}) };
  let lastStep: number | null = null;
  for (const { key, file, st } of files.tsvs) {
    const read = readTsv(file, st, ctx.full ? undefined : previous?.t[key], live);
    state.t[key] = read.state;
    diagnostics.push(...tsvDiagnostics(file, read.state));
    if (read.whole) histories.set(key, read.whole);
    if (read.append) appendMetrics.push({ key, series: read.append });
    const steps = (read.whole ?? read.append)?.steps;
    if (steps && steps.length > 0) lastStep = Math.max(lastStep ?? -Infinity, steps[steps.length - 1]!);
  }

  // The summary holds the latest value of every metric, the ones logged with plot=False (no TSV)
  // included: those become single points, at the summary's step.
  const summary = summaryFile(folder);
  if (statOrUndefined(summary)?.isFile()) {
    const value = readMappingFile(summary, diagnostics);
    if (value) {
      const values = new Map<string, number>();
      flattenMetrics(value, values, SUMMARY_NOT_METRICS);
      const stepValue = value['step'];
      const step = typeof stepValue === 'number' && Number.isInteger(stepValue) ? stepValue : lastStep ?? 0;
      // A TSV without a readable header (cut short, binary) is no history: the summary stands in.
      const withHistory = new Set(files.tsvs.map((t) => t.key).filter((k) => state.t[k]?.h));
      for (const [key, v] of values) if (!withHistory.has(key)) histories.set(key, { steps: [step], times: null, values: [v] });
    }
  }

  const params: Record<string, string> = { ...ctx.projectParams() };
  const ownParams = path.join(folder.dir, 'params.yaml');
  if (statOrUndefined(ownParams)?.isFile()) {
    const value = readMappingFile(ownParams, diagnostics);
    if (value) flattenParams(value, params);
  }

  // Times: DVCLive's timestamp column (ms) when it was logged; otherwise the files' modification
  // times are the only clock (the oldest is an upper bound of the start).
  let first: number | null = null;
  let last: number | null = null;
  for (const t of Object.values(state.t)) {
    if (!t.t) continue;
    first = first === null ? t.t[0] : Math.min(first, t.t[0]);
    last = last === null ? t.t[1] : Math.max(last, t.t[1]);
  }
  const run = baseRun(folder.id, folder.dir, path.basename(ctx.root));
  run.status = status;
  run.parentId = folder.parent;
  run.startTime = first ?? (files.earliest === null ? null : Math.round(files.earliest));
  run.endTime = live ? null : (last ?? (files.latest === null ? null : Math.round(files.latest)));
  const update: RunUpdate = {
    run,
    params,
    tags: name ? { 'dvc.exp_name': name } : {},
    metrics: encodeMetrics(histories),
    metricsComplete: true,
    state,
    diagnostics,
  };
  if (appendMetrics.length > 0) update.appendMetrics = appendMetrics;
  return update;
}

/** The project run (no DVCLive folder): params files and the metrics files dvc.yaml names. */
export function readProjectRun(metricsFiles: readonly string[], known: KnownRun | undefined, ctx: RunContext): RunUpdate | undefined {
  const fps: Record<string, Fingerprint> = {};
  for (const f of [...ctx.paramFiles, ...metricsFiles]) fps[relTo(ctx.root, f)] = fingerprintFile(f);
  const previous = known?.state && (known.state as { k?: string }).k === 'project' ? (known.state as ProjectRunState) : undefined;
  if (!ctx.full && previous && sameFingerprints(previous.f, fps)) return undefined;

  const diagnostics: Diagnostic[] = [];
  const histories = new Map<string, Series>();
  for (const file of metricsFiles) {
    const ext = path.extname(file).toLowerCase();
    if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') continue; // TOML: no reader here, skipped
    const value = readMappingFile(file, diagnostics);
    if (!value) continue;
    const values = new Map<string, number>();
    flattenMetrics(value, values, new Set());
    for (const [key, v] of values) {
      // Two files with the same key: the later one is named by its file, as `dvc metrics show` does.
      const k = histories.has(key) ? `${relTo(ctx.root, file)}:${key}` : key;
      histories.set(k, { steps: [0], times: null, values: [v] });
    }
  }
  const mtimes = Object.values(fps)
    .filter((fp): fp is [number, number] => fp !== null)
    .map((fp) => fp[1]);
  const run = baseRun('.', ctx.root, path.basename(ctx.root));
  // No run clock in these files: their modification times bound the run.
  run.startTime = mtimes.length ? Math.round(Math.min(...mtimes)) : null;
  run.endTime = mtimes.length ? Math.round(Math.max(...mtimes)) : null;
  const state: ProjectRunState = { k: 'project', f: fps };
  return {
    run,
    params: { ...ctx.projectParams() },
    tags: {},
    metrics: encodeMetrics(histories),
    metricsComplete: true,
    state,
    diagnostics,
  };
}
