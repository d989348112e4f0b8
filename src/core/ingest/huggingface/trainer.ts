// Hugging Face `transformers` Trainer output folders (FORMATS.md §3): one run per output dir, not
// one per checkpoint. Every checkpoint's trainer_state.json holds the cumulative log_history, so
// only the newest state is read (the top-level one written by save_state() when it is at least as
// far along; it also holds the final summary entry). Hyperparameter-search trials (`run-<id>/`)
// are runs of their own in the same source.
//
// Trainer records no wall-clock times: series have no times; start and end come from the
// TensorBoard file names under runs/ when present (recorded), else from file mtimes.
// The TensorBoard files under runs/ repeat log_history with wall times (train/loss, eval/loss…):
// they could be merged here later to give the points times; the folder is skipped for now.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { encodeMetrics, listDir, MAX_LINE_LENGTH, readJsonFile, statOrUndefined } from '../readers';
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
import { flattenParams, paramText } from '../common/flatten';

const KIND = 'huggingface';
const CHECKPOINT = /^checkpoint-(\d+)$/;
const LAST_CHECKPOINT = 'last-checkpoint'; // push_to_hub's hub_strategy="checkpoint"
const TMP_CHECKPOINT = /^tmp-checkpoint-\d+$/;
const TRIAL = /^run-./;
const RESULTS = /^(.+)_results\.json$/;
const STATE = 'trainer_state.json';
const EVENTS = /^events\.out\.tfevents\.(\d+)/;
const MODEL_FILE = /^(model|pytorch_model|adapter_model|tf_model|flax_model)([-.].*)?\.(safetensors|bin|h5|msgpack)$/;
/** Fields of trainer_state.json that are the run's settings. */
const STATE_PARAMS = ['train_batch_size', 'num_train_epochs', 'max_steps', 'logging_steps', 'eval_steps', 'save_steps'];
/**
 * Checkpoints come every save_steps and TensorBoard flushes every 2 minutes: a run with nothing
 * written for this long is no longer taken as running.
 */
export const hfTiming = { liveWindowMs: 15 * 60_000 };
/** Older checkpoints checked for belonging to the same training (each costs one small read). */
const MAX_CHECKED_CHECKPOINTS = 64;
/** config.json, adapter_config.json and *_results.json are a few KB. */
const SMALL_JSON_BYTES = 8 * 1024 * 1024;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exists(p: string): boolean {
  return statOrUndefined(p) !== undefined;
}

function readBytes(file: string, fromEnd: boolean, bytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, fromEnd ? size - n : 0);
    return buf.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** global_step without parsing the file: keys are sorted, so it comes before log_history. */
function peekGlobalStep(file: string): number | undefined {
  const m = /"global_step":\s*(\d+)/.exec(readBytes(file, false, 4096) ?? '');
  return m ? Number(m[1]) : undefined;
}

/** max_steps comes after log_history: read from the end. */
function peekMaxSteps(file: string): number | undefined {
  const text = readBytes(file, true, 8192) ?? '';
  const all = [...text.matchAll(/"max_steps":\s*(-?\d+)/g)];
  return all.length > 0 ? Number(all[all.length - 1]![1]) : undefined;
}

/** Whether the first MAX_LINE_LENGTH bytes of a file hold no line break. */
function singleLine(file: string): boolean {
  return !(readBytes(file, false, MAX_LINE_LENGTH) ?? '').includes('\n');
}

function hasRunContent(entries: { dirs: string[]; files: string[] }): boolean {
  return (
    entries.files.includes(STATE) ||
    entries.files.some((f) => RESULTS.test(f)) ||
    entries.dirs.some((d) => CHECKPOINT.test(d) || d === LAST_CHECKPOINT)
  );
}

function checkpointHasState(dir: string, names: string[]): boolean {
  return names.slice(0, 3).some((c) => exists(path.join(dir, c, STATE)));
}

function detect(dir: DirectoryView): Detection | undefined {
  const files = new Set(dir.files);
  const checkpoints = dir.dirs.filter((d) => CHECKPOINT.test(d) || d === LAST_CHECKPOINT);
  const results = dir.files.some((f) => RESULTS.test(f));
  let isOutput =
    files.has(STATE) ||
    checkpointHasState(dir.path, checkpoints) ||
    (results && (files.has('config.json') || files.has('training_args.bin') || files.has('adapter_config.json')));
  const trials = dir.dirs.filter((d) => TRIAL.test(d));
  if (!isOutput && trials.length > 0) {
    isOutput = trials.slice(0, 3).some((t) => {
      const names = listDir(path.join(dir.path, t), undefined)?.dirs.filter((d) => CHECKPOINT.test(d)) ?? [];
      return checkpointHasState(path.join(dir.path, t), names);
    });
  }
  if (!isOutput) return undefined;
  // Checkpoints, trials and the TensorBoard logs (runs/) belong to this run.
  const skip = dir.dirs.filter((d) => CHECKPOINT.test(d) || TMP_CHECKPOINT.test(d) || d === LAST_CHECKPOINT || TRIAL.test(d) || d === 'runs');
  return { roots: [{ kind: KIND, path: dir.path }], skip, exclusive: true };
}

interface Checkpoint {
  name: string;
  step: number;
}

/** What a run's read looks at, in the order it tries the state files. */
interface Plan {
  checkpoints: Checkpoint[];
  /** trainer_state.json files to try, best first (relative to the run folder). */
  states: string[];
  results: string[];
  /** Where config.json / adapter_config.json are read from (relative), if anywhere. */
  config?: string;
  adapter?: string;
}

function plan(runDir: string, entries: { dirs: string[]; files: string[] }): Plan {
  const checkpoints: Checkpoint[] = [];
  for (const d of entries.dirs) {
    const m = CHECKPOINT.exec(d);
    if (m) checkpoints.push({ name: d, step: Number(m[1]) });
    else if (d === LAST_CHECKPOINT) checkpoints.push({ name: d, step: peekGlobalStep(path.join(runDir, d, STATE)) ?? -1 });
  }
  checkpoints.sort((a, b) => b.step - a.step || (a.name < b.name ? -1 : 1));
  const withState = checkpoints.filter((c) => exists(path.join(runDir, c.name, STATE)));
  const states = withState.map((c) => `${c.name}/${STATE}`);
  if (entries.files.includes(STATE)) {
    // The top-level state wins unless a checkpoint is further along (a newer training writing
    // into the same folder); an unreadable top-level file is tried first and falls back.
    const topStep = peekGlobalStep(path.join(runDir, STATE));
    const after = withState.findIndex((c) => topStep === undefined || c.step <= topStep);
    states.splice(after === -1 ? states.length : after, 0, STATE);
  }
  const results = entries.files.filter((f) => RESULTS.test(f)).sort((a, b) => (a === 'all_results.json' ? -1 : b === 'all_results.json' ? 1 : a < b ? -1 : 1));
  // config.json and adapter_config.json: the saved model's, else the newest checkpoint's.
  const folders = [...new Set([...(states[0] ? [path.posix.dirname(states[0])] : []), ...checkpoints.map((c) => c.name)])].filter((d) => d !== '.');
  const pick = (name: string): string | undefined => {
    if (entries.files.includes(name)) return name;
    const dir = folders.find((d) => exists(path.join(runDir, d, name)));
    return dir ? `${dir}/${name}` : undefined;
  };
  const config = pick('config.json');
  const adapter = pick('adapter_config.json');
  return { checkpoints, states, results, ...(config ? { config } : {}), ...(adapter ? { adapter } : {}) };
}

type Fingerprints = Record<string, [number, number]>;

interface RunState {
  /** [size, mtime] of every file read, by path relative to the run folder. */
  f: Fingerprints;
  /** Checkpoint folder names. */
  ck: string[];
  finished: boolean;
  run: RunRecord;
  diag: Diagnostic[];
}

function stamp(runDir: string, rel: string): [number, number] | null {
  const st = statOrUndefined(path.join(runDir, ...rel.split('/')));
  return st ? [st.size, st.mtimeMs] : null;
}

function unchanged(runDir: string, p: Plan, previous: RunState): boolean {
  if (p.checkpoints.map((c) => c.name).sort().join('\n') !== previous.ck.join('\n')) return false;
  const wanted = new Set([...(p.states[0] ? [p.states[0]] : []), ...p.results, ...(p.config ? [p.config] : []), ...(p.adapter ? [p.adapter] : [])]);
  for (const rel of wanted) if (!(rel in previous.f)) return false;
  for (const [rel, fp] of Object.entries(previous.f)) {
    const now = stamp(runDir, rel);
    if (!now || now[0] !== fp[0] || now[1] !== fp[1]) return false;
  }
  return true;
}

/** Newest write under the run: state files, checkpoints, results and TensorBoard logs. */
function lastWrite(runDir: string, p: Plan, fps: Fingerprints): number | null {
  let newest = 0;
  for (const fp of Object.values(fps)) newest = Math.max(newest, fp[1]);
  for (const c of p.checkpoints) newest = Math.max(newest, statOrUndefined(path.join(runDir, c.name))?.mtimeMs ?? 0);
  for (const e of tensorboardFiles(runDir)) newest = Math.max(newest, e.mtimeMs);
  return newest > 0 ? newest : null;
}

/** TensorBoard files the Trainer writes under runs/<date_host>/ (one level deeper for hparams). */
function tensorboardFiles(runDir: string): { name: string; mtimeMs: number }[] {
  const out: { name: string; mtimeMs: number }[] = [];
  const walk = (dir: string, depth: number): void => {
    const entries = listDir(dir, undefined);
    if (!entries) return;
    for (const f of entries.files) if (EVENTS.test(f)) out.push({ name: f, mtimeMs: statOrUndefined(path.join(dir, f))?.mtimeMs ?? 0 });
    if (depth < 2) for (const d of entries.dirs) walk(path.join(dir, d), depth + 1);
  };
  walk(path.join(runDir, 'runs'), 0);
  return out;
}

function push(series: Map<string, Series>, key: string, step: number, value: number): void {
  let s = series.get(key);
  if (!s) series.set(key, (s = { steps: [], times: null, values: [] }));
  const n = s.values.length;
  // Train and eval entries at one step both carry `epoch`; the summary repeats values: one point.
  if (n > 0 && s.steps[n - 1] === step && Object.is(s.values[n - 1], value)) return;
  s.steps.push(step);
  s.values.push(value);
}

function configParams(config: Json, params: Record<string, string>, tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(config)) {
    if (k === 'transformers_version') {
      if (typeof v === 'string') tags['transformers_version'] = v;
    } else if (k === 'id2label' || k === 'label2id') {
      // Label maps can hold thousands of entries: their size is the setting.
      if (k === 'id2label' && isObject(v) && !('num_labels' in config)) params['num_labels'] = String(Object.keys(v).length);
    } else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      params[k] = v.join(',');
    } else if (isObject(v)) {
      flattenParams(v, params, `${k}.`);
    } else {
      params[k] = paramText(v);
    }
  }
}

interface ReadRunResult {
  update?: RunUpdate;
}

function readRun(runDir: string, nativeId: string, defaultName: string, known: KnownRun | undefined, full: boolean, now: number): ReadRunResult {
  const diags: Diagnostic[] = [];
  const entries = listDir(runDir, diags) ?? { dirs: [], files: [] };
  const p = plan(runDir, entries);
  const previous = full ? undefined : ((known?.state as RunState | null | undefined) ?? undefined);

  if (previous && unchanged(runDir, p, previous)) {
    if (previous.finished) return {};
    const write = lastWrite(runDir, p, previous.f);
    const status: RunStatus = write !== null && now - write < hfTiming.liveWindowMs ? 'RUNNING' : 'UNKNOWN';
    if (status === known?.status) return {};
    const run: RunRecord = { ...previous.run, status };
    return { update: { run, state: { ...previous, run }, diagnostics: previous.diag } };
  }

  const fps: Fingerprints = {};
  const readJson = (rel: string): unknown => {
    const fp = stamp(runDir, rel);
    if (fp) fps[rel] = fp;
    const file = path.join(runDir, ...rel.split('/'));
    if (fp && fp[0] > MAX_LINE_LENGTH && singleLine(file)) {
      // Trainer writes indented JSON; a megabyte-long line is something else, and parsing it
      // (a 50 MB array, say) could take seconds.
      diags.push({ severity: 'error', file, line: 1, message: `the first line is longer than ${MAX_LINE_LENGTH / 1048576} MB: not JSON as the Trainer writes it` });
      return undefined;
    }
    // The summaries and configs are small; only the state grows with the run.
    return readJsonFile(file, diags, rel.endsWith(STATE) ? undefined : SMALL_JSON_BYTES);
  };

  // The newest state that parses; a torn or broken file falls back to the previous checkpoint.
  let state: Json | undefined;
  let stateFile: string | undefined;
  for (const rel of p.states) {
    const value = readJson(rel);
    if (isObject(value) && Array.isArray(value['log_history'])) {
      state = value;
      stateFile = rel;
      break;
    }
    if (value !== undefined) diags.push({ severity: 'error', file: path.join(runDir, rel), message: 'not a Trainer state: it has no log_history list' });
    const next = p.states[p.states.indexOf(rel) + 1];
    if (next) diags.push({ severity: 'warning', file: path.join(runDir, rel), message: `read ${next} instead` });
  }

  const series = new Map<string, Series>();
  let finished = false;
  let maxLogged = 0;
  const globalStep = typeof state?.['global_step'] === 'number' ? state['global_step'] : undefined;
  const maxSteps = typeof state?.['max_steps'] === 'number' ? state['max_steps'] : undefined;
  if (state && stateFile) {
    const history = state['log_history'] as unknown[];
    let noStep = 0;
    for (const entry of history) {
      if (!isObject(entry) || typeof entry['step'] !== 'number') {
        noStep++;
        continue;
      }
      const step = entry['step'];
      maxLogged = Math.max(maxLogged, step);
      if ('train_runtime' in entry) finished = true;
      for (const [k, v] of Object.entries(entry)) if (k !== 'step' && typeof v === 'number') push(series, k, step, v);
    }
    if (noStep > 0) diags.push({ severity: 'warning', file: path.join(runDir, stateFile), message: `${noStep} log_history entr${noStep === 1 ? 'y has' : 'ies have'} no step: left out` });
    if (globalStep !== undefined && maxSteps !== undefined && maxSteps > 0 && globalStep >= maxSteps) finished = true;
    const control = isObject(state['stateful_callbacks']) ? state['stateful_callbacks']['TrainerControl'] : undefined;
    if (isObject(control) && isObject(control['args']) && control['args']['should_training_stop'] === true) finished = true;
  }

  // *_results.json: the final metrics (no steps), as points at the last step. A value already
  // logged at that step is not repeated; a later evaluation's differing value is kept.
  const summaryStep = globalStep ?? maxLogged;
  for (const rel of p.results) {
    const value = readJson(rel);
    if (value === undefined) continue;
    if (!isObject(value)) {
      diags.push({ severity: 'error', file: path.join(runDir, rel), message: 'expected a JSON object of metric names to values' });
      continue;
    }
    if ('train_runtime' in value) finished = true;
    for (const [k, v] of Object.entries(value)) if (typeof v === 'number') push(series, k, summaryStep, v);
  }

  const params: Record<string, string> = {};
  const tags: Record<string, string> = {};
  if (p.config) {
    const config = readJson(p.config);
    if (isObject(config)) configParams(config, params, tags);
    else if (config !== undefined) diags.push({ severity: 'error', file: path.join(runDir, p.config), message: 'expected a JSON object' });
  }
  if (p.adapter) {
    const adapter = readJson(p.adapter);
    if (isObject(adapter)) flattenParams(adapter, params, 'peft.');
    else if (adapter !== undefined) diags.push({ severity: 'error', file: path.join(runDir, p.adapter), message: 'expected a JSON object' });
  }
  if (state) {
    for (const k of STATE_PARAMS) if (k in state && state[k] !== null) params[k] = paramText(state[k]);
    const callbacks = state['stateful_callbacks'];
    if (isObject(callbacks)) {
      for (const [name, cb] of Object.entries(callbacks)) {
        // TrainerControl is the loop's state, not a setting; other callbacks keep their arguments.
        if (name !== 'TrainerControl' && isObject(cb) && isObject(cb['args'])) flattenParams(cb['args'], params, `callbacks.${name}.`);
      }
    }
    if (isObject(state['trial_params'])) flattenParams(state['trial_params'], params);
    if (typeof state['best_metric'] === 'number') tags['best_metric'] = paramText(state['best_metric']);
    if (typeof state['best_global_step'] === 'number') tags['best_global_step'] = String(state['best_global_step']);
    if (typeof state['best_model_checkpoint'] === 'string') tags['best_model_checkpoint'] = state['best_model_checkpoint'];
    if (typeof state['trial_name'] === 'string') tags['trial_name'] = state['trial_name'];
  }

  // Checkpoints left by an earlier training in the same folder (another max_steps) are not part
  // of this run's history: say so, as their log_history was not read.
  if (state && maxSteps !== undefined && p.checkpoints.length <= MAX_CHECKED_CHECKPOINTS) {
    for (const c of p.checkpoints) {
      const rel = `${c.name}/${STATE}`;
      if (rel === stateFile || !exists(path.join(runDir, c.name, STATE))) continue;
      const other = peekMaxSteps(path.join(runDir, c.name, STATE));
      if (other !== undefined && other !== maxSteps) {
        diags.push({
          severity: 'info',
          file: path.join(runDir, rel),
          message: `${c.name} was written by another training in this folder (max_steps ${other}, the run's state says ${maxSteps}): its history is not part of this run`,
        });
      }
    }
  }

  // Artifacts: checkpoints (named after their global step) and the saved model files.
  const artifacts: ArtifactEntry[] = [];
  const steps: number[] = [];
  for (const c of [...p.checkpoints].sort((a, b) => a.step - b.step)) {
    const listing = listDir(path.join(runDir, c.name), diags);
    let size = 0;
    for (const f of listing?.files ?? []) size += statOrUndefined(path.join(runDir, c.name, f))?.size ?? 0;
    artifacts.push({ path: c.name, kind: 'model', size });
    if (c.step >= 0) steps.push(c.step);
  }
  for (const f of [...entries.files].sort()) {
    if (MODEL_FILE.test(f)) artifacts.push({ path: f, kind: 'model', size: statOrUndefined(path.join(runDir, f))?.size ?? null });
  }
  if (steps.length > 0) tags['checkpoint_steps'] = steps.join(',');

  // Times: TensorBoard file names hold the start (recorded); else the oldest file read (mtime).
  const tb = tensorboardFiles(runDir);
  const tbStart = tb.reduce<number | null>((m, e) => {
    const t = Number(EVENTS.exec(e.name)![1]) * 1000;
    return m === null || t < m ? t : m;
  }, null);
  const mtimes = Object.values(fps).map((fp) => fp[1]);
  const oldest = mtimes.length > 0 ? Math.round(Math.min(...mtimes)) : null;
  const newest = mtimes.length > 0 ? Math.round(Math.max(...mtimes)) : null;
  let status: RunStatus;
  if (finished) status = 'FINISHED';
  else {
    // No end marker: a run that stopped short of max_steps may have crashed, been stopped, or had
    // its later checkpoints deleted or not copied. Nothing tells these apart, so UNKNOWN.
    const write = lastWrite(runDir, p, fps);
    status = write !== null && now - write < hfTiming.liveWindowMs ? 'RUNNING' : 'UNKNOWN';
  }
  const run: RunRecord = {
    nativeId,
    experimentNativeId: null,
    name: nativeId === '.' ? defaultName : (tags['trial_name'] ?? defaultName),
    status,
    startTime: tbStart ?? oldest,
    endTime: status === 'FINISHED' ? newest : null,
    deleted: false,
    parentId: null,
    user: null,
    path: runDir,
    artifactUri: null,
  };
  const runState: RunState = { f: fps, ck: p.checkpoints.map((c) => c.name).sort(), finished, run, diag: diags };
  return {
    update: {
      run,
      params,
      tags,
      metrics: encodeMetrics(series),
      metricsComplete: true,
      artifacts,
      state: runState,
      diagnostics: diags,
    },
  };
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const diagnostics: Diagnostic[] = [];
  const presentRunIds: string[] = [];
  const entries = listDir(root.path, diagnostics);
  if (!entries) return { presentExperimentIds: [], presentRunIds, diagnostics, state: undefined };
  const now = Date.now();
  const runs: { dir: string; id: string; name: string }[] = [];
  if (hasRunContent(entries)) runs.push({ dir: root.path, id: '.', name: path.basename(root.path) });
  for (const d of entries.dirs.filter((x) => TRIAL.test(x)).sort()) {
    const dir = path.join(root.path, d);
    const sub = listDir(dir, diagnostics);
    if (sub && hasRunContent(sub)) runs.push({ dir, id: d, name: d });
  }
  for (const r of runs) {
    if (ctx.signal?.aborted) break;
    presentRunIds.push(r.id);
    const { update } = readRun(r.dir, r.id, r.name, ctx.known.get(r.id), ctx.full, now);
    if (update) ctx.sink.run(update);
  }
  return { presentExperimentIds: [], presentRunIds, diagnostics, state: undefined };
}

export const huggingFaceAdapter: SourceAdapter = {
  kind: KIND,
  label: 'Hugging Face Trainer output',
  detect,
  read,
};
