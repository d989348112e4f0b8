// The watch-mode benchmark of DESIGN.md §9 and issue 3, on the reference workload (10,000 runs).
//
//   npx tsx bench/watch.ts [--small] [--runs N] [--idle S] [--lines N] [--interval-ms MS] [--gap-ms MS]
//                          [--compare-runs N] [--no-compare] [--backends folder,chokidar-folders,chokidar-tree]
//                          [--quiet L]
//
// The workload is the ingest benchmark's (bench/lib/mlrunsGenerator.ts, cached in .bench/). It is
// never written to: the watch runs on a hard-linked copy of it (.bench/watch-<workload>/, made
// once with `cp -al`, a few seconds), and only new files are written there (a scratch run, removed
// afterwards), so no file shared with the original is touched.
//
// Each measurement is a child process (bench/lib/watchChild.ts) running the engine's Watcher on
// the copy with one backend; this process is the writer (a training script): it writes a scratch
// run as MLflow does, and reads the child's inotify watches from /proc/<pid>/fdinfo. Writer and
// child stamp events with process.hrtime (CLOCK_MONOTONIC, one clock for every process here).
//
// Scenario, the same for every backend:
//   (a) a new run in experiment 0: create_run (folder, meta.yaml RUNNING, metrics/ params/
//       artifacts/, 5 tags), --gap-ms (25) later log_params (20 files), as long again later log_metrics step 0
//       (10 files) → until listRuns shows the run, and shows all of it;
//   (b) --lines (200) lines appended to metrics/train_loss every --interval-ms (20 ms) → per line,
//       until listRuns shows that step;
//   (c) end_run: meta.yaml rewritten with status 3 → until listRuns shows FINISHED;
//   then --idle (60) seconds with nothing changing: CPU of the watching process (the periodic
//   reconciliation runs in that window; each one is timed).
//
// Backends: `folder` (the engine's FolderWatcher: fs.watch per folder of the engine's folder set),
// `chokidar-folders` (chokidar 4, the same folder set, depth 0), `chokidar-tree` (chokidar 4 on the
// whole workspace, recursive). The first two run on the reference workload; all three on a
// --compare-runs (1,000) workload, because chokidar-tree needs one inotify watch per file and per
// folder: 410,000 on the reference workload, over this machine's fs.inotify.max_user_watches
// (per user, shared with every other process of that user). It is refused wherever its estimate is
// more than half of what is free.
//
//   --quiet L  before each measurement wait (≤ 3 min) for the 1-minute load average to drop below L
//
// Prints the tables and writes .bench/results-watch.json (and a dated copy in .bench/results/).
// VS Code's own watcher is measured by `npm run bench:watch:vscode` (test/vscode/bench/).
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { flatYaml, metricLines, pythonFloatRepr, RUN_STATUS } from '../tools/lib/mlflowFiles';
import { REFERENCE_WORKLOAD, SMALL_WORKLOAD, type MlrunsOptions } from './lib/mlrunsGenerator';
import { inotifyInUse, inotifyWatches, maxUserWatches } from './lib/inotify';
import { codeVersion, machine, pass, table, waitForQuiet } from './lib/report';
import type { BackendName, ChildMessage, ParentMessage, ReconcileFigure, RunState } from './lib/watchChild';
import { ensureCopy, type WatchWorkspace } from './lib/watchWorkspace';
import { BENCH_DIR, log, PROJECT } from './lib/workload';

const CHILD = path.join(__dirname, 'lib', 'watchChild.ts');
const BUDGET = { latencyMs: 500 };
const METRICS = ['train_loss', 'val_loss', 'train_accuracy', 'val_accuracy', 'learning_rate', 'grad_norm', 'val_f1', 'val_auc', 'epoch_time_s', 'throughput_samples_per_s'];
const GROWING = 'train_loss';
const WAIT_MS = 20_000;

interface Args {
  workload: MlrunsOptions;
  compareRuns: number | undefined;
  idleS: number;
  lines: number;
  intervalMs: number;
  /** Pause between create_run, log_params and log_metrics of the new run. */
  gapMs: number;
  backends: BackendName[];
  quiet: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) values.set(a.slice(2, eq), a.slice(eq + 1));
    else if (['small', 'no-compare', 'help'].includes(a.slice(2))) flags.add(a.slice(2));
    else values.set(a.slice(2), argv[++i] ?? '');
  }
  if (flags.has('help')) {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
    process.exit(0);
  }
  const num = (name: string, def: number, min: number): number => {
    const v = values.get(name);
    values.delete(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!(n >= min)) throw new Error(`--${name} needs a number ≥ ${min}, got "${v}"`);
    return n;
  };
  const workload: MlrunsOptions = { ...(flags.has('small') ? SMALL_WORKLOAD : REFERENCE_WORKLOAD) };
  workload.runs = num('runs', workload.runs, 1);
  const compareRuns = num('compare-runs', 1000, 1);
  const idleS = num('idle', 60, 1);
  const lines = num('lines', 200, 1);
  const intervalMs = num('interval-ms', 20, 1);
  const gapMs = num('gap-ms', 25, 0);
  const backendsText = values.get('backends') ?? 'folder,chokidar-folders,chokidar-tree';
  values.delete('backends');
  const backends = backendsText.split(',').map((b) => {
    if (!['folder', 'chokidar-folders', 'chokidar-tree'].includes(b)) throw new Error(`unknown backend "${b}"`);
    return b as BackendName;
  });
  const quietText = values.get('quiet');
  values.delete('quiet');
  const quiet = quietText === undefined ? undefined : Number(quietText);
  if (quiet !== undefined && !(quiet > 0)) throw new Error(`--quiet needs a load average > 0, got "${quietText}"`);
  if (values.size > 0) throw new Error(`unknown option --${[...values.keys()][0]}`);
  return { workload, compareRuns: flags.has('no-compare') ? undefined : compareRuns, idleS, lines, intervalMs, gapMs, backends, quiet };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------------
// The workspace watched: a hard-linked copy of the workload (bench/lib/watchWorkspace.ts)

/** Scans the copy into its store (a cold ingest the first time), so that each measured child starts with a rescan. */
async function prepareStore(ws: WatchWorkspace): Promise<void> {
  log(`bringing the store of ${path.relative(PROJECT, ws.folder)} up to date …`);
  const t = performance.now();
  const child = fork(CHILD, ['prepare', ws.folder], { execArgv: [...process.execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`preparing the store failed (${code})`);
  log(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------
// One measurement

interface Update {
  at: number;
  reason: string;
  durationMs: number;
  run: RunState | undefined;
}

interface LatencyStats {
  n: number;
  lost: number;
  p50: number;
  p95: number;
  max: number;
}

interface Measurement {
  backend: BackendName;
  workload: string;
  ready?: Extract<ChildMessage, { type: 'ready' }>;
  inotify: { ready: number; live: number; afterEnd: number };
  folders: { ready: number; live: number; liveBackend: number };
  newRunVisibleMs?: number | undefined;
  /** Updates after the new run was created, until it was complete: [ms since creation, reason, what listRuns showed]. */
  newRunTimeline: [number, string, string][];
  newRunCompleteMs?: number | undefined;
  append?: LatencyStats;
  appendUpdates: number;
  endMs?: number | undefined;
  idle?: Extract<ChildMessage, { type: 'idle' }>;
  reconcilesDuringScenario: ReconcileFigure[];
  reasons: Record<string, number>;
  errors: string[];
  load: [number, number];
  skipped?: string;
}

function stats(latencies: (number | undefined)[]): LatencyStats {
  const got = latencies.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const q = (p: number): number => (got.length ? got[Math.min(got.length - 1, Math.ceil(p * got.length) - 1)]! : NaN);
  return { n: latencies.length, lost: latencies.length - got.length, p50: round(q(0.5)), p95: round(q(0.95)), max: round(got.at(-1) ?? NaN) };
}

function randomRunId(): string {
  let s = '';
  while (s.length < 32) s += Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
  return s.slice(0, 32);
}

async function measure(backend: BackendName, ws: WatchWorkspace, label: string, args: Args): Promise<Measurement> {
  if (args.quiet !== undefined) await waitForQuiet(args.quiet);
  const m: Measurement = {
    backend,
    workload: label,
    inotify: { ready: 0, live: 0, afterEnd: 0 },
    folders: { ready: 0, live: 0, liveBackend: 0 },
    appendUpdates: 0,
    newRunTimeline: [],
    reconcilesDuringScenario: [],
    reasons: {},
    errors: [],
    load: [round(os.loadavg()[0]!), 0],
  };
  const runId = randomRunId();
  const expDir = path.join(ws.mlruns, '0');
  const runDir = path.join(expDir, runId);
  const child: ChildProcess = fork(CHILD, [backend, ws.folder, runId], {
    execArgv: [...process.execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const updates: Update[] = [];
  let waiter: (() => void) | undefined;
  const inbox: ChildMessage[] = [];
  child.on('message', (msg: ChildMessage) => {
    if (msg.type === 'update') {
      updates.push({ at: msg.at, reason: msg.reason, durationMs: msg.durationMs, run: msg.run });
      m.reasons[msg.reason] = (m.reasons[msg.reason] ?? 0) + 1;
    } else if (msg.type === 'error') m.errors.push(msg.message);
    else inbox.push(msg);
    waiter?.();
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
    waiter?.();
  });
  const ask = (msg: ParentMessage): void => void child.send(msg);
  /** Waits for a child message of a type, or for a condition on the updates. */
  const until = async (cond: () => boolean, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (exited || Date.now() > deadline) return false;
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 50);
      });
      waiter = undefined;
    }
    return true;
  };
  const take = <T extends ChildMessage['type']>(type: T): Extract<ChildMessage, { type: T }> | undefined => {
    const i = inbox.findIndex((x) => x.type === type);
    return i >= 0 ? (inbox.splice(i, 1)[0] as Extract<ChildMessage, { type: T }>) : undefined;
  };
  const latest = (): RunState | undefined => updates.at(-1)?.run;
  /** First update at or after `t` whose run state satisfies `ok`: its delay from t. */
  const firstAfter = (t: number, ok: (r: RunState) => boolean): number | undefined => {
    const u = updates.find((x) => x.at >= t && x.run !== undefined && ok(x.run));
    return u ? u.at - t : undefined;
  };

  try {
    log(`- ${backend} on ${label}: starting the watcher …`);
    if (!(await until(() => inbox.some((x) => x.type === 'ready'), 10 * 60_000))) throw new Error(`the ${backend} child never became ready${m.errors.length ? `: ${m.errors[0]}` : ''}`);
    m.ready = take('ready')!;
    await sleep(500);
    m.inotify.ready = inotifyWatches(child.pid!);
    m.folders.ready = m.ready.engineFolders;
    log(`  ready: scan ${(m.ready.scanMs / 1000).toFixed(2)} s, backend ${m.ready.backendReadyMs.toFixed(0)} ms; ${m.ready.engineFolders} folders asked, ${m.inotify.ready} inotify watches, RSS ${m.ready.rssMiB} MiB`);
    const scenarioStart = performance.now();

    // (a) a new run, written as MLflow's FileStore writes it
    const startTime = Date.now();
    const tCreate = now();
    fs.mkdirSync(runDir);
    fs.writeFileSync(
      path.join(runDir, 'meta.yaml'),
      flatYaml({
        artifact_uri: `file://${runDir}/artifacts`,
        end_time: null,
        entry_point_name: '',
        experiment_id: '0',
        lifecycle_stage: 'active',
        run_id: runId,
        run_name: 'bench-watch',
        run_uuid: runId,
        source_name: '',
        source_type: 4,
        source_version: '',
        start_time: startTime,
        status: RUN_STATUS.RUNNING,
        tags: [],
        user_id: 'bench',
      }),
    );
    for (const d of ['metrics', 'params', 'artifacts', 'tags']) fs.mkdirSync(path.join(runDir, d));
    const tags: Record<string, string> = { 'mlflow.runName': 'bench-watch', 'mlflow.user': 'bench', 'mlflow.source.name': 'train.py', 'mlflow.source.type': 'LOCAL', 'mlflow.source.git.commit': '0'.repeat(40) };
    for (const [k, v] of Object.entries(tags)) fs.writeFileSync(path.join(runDir, 'tags', k), v);
    await sleep(args.gapMs);
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(runDir, 'params', `param_${String(i).padStart(2, '0')}`), pythonFloatRepr(i / 7));
    await sleep(args.gapMs);
    const tLastWrite = now();
    for (const key of METRICS) fs.writeFileSync(path.join(runDir, 'metrics', key), metricLines([{ timestamp: Date.now(), value: 1, step: 0 }]));
    const complete = (r: RunState): boolean => r.params === 20 && r.tags >= 5 && METRICS.every((k) => r.lastSteps[k] === 0);
    await until(() => updates.some((u) => u.at >= tCreate && u.run !== undefined && complete(u.run)), WAIT_MS);
    m.newRunVisibleMs = firstAfter(tCreate, () => true);
    m.newRunCompleteMs = firstAfter(tLastWrite, complete);
    const describe = (r: RunState | undefined): string =>
      r ? `${r.status}, ${r.params} params, ${r.tags} tags, ${Object.keys(r.lastSteps).length} metrics` : 'not there';
    m.newRunTimeline = updates.filter((u) => u.at >= tCreate).map((u) => [round(u.at - tCreate), u.reason, describe(u.run)]);
    log(`  (a) new run: visible after ${m.newRunVisibleMs?.toFixed(0) ?? '—'} ms, complete ${m.newRunCompleteMs?.toFixed(0) ?? '—'} ms after its last write`);

    // (b) metric lines, one every intervalMs
    const writes: number[] = [];
    const file = path.join(runDir, 'metrics', GROWING);
    const tB = now();
    const firstUpdateB = updates.length;
    for (let k = 1; k <= args.lines; k++) {
      const due = tB + k * args.intervalMs;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      writes[k] = now();
      fs.appendFileSync(file, metricLines([{ timestamp: Date.now(), value: 1 / (k + 1), step: k }]));
      if (k === Math.floor(args.lines / 2)) {
        m.inotify.live = inotifyWatches(child.pid!);
        ask({ type: 'folders' });
      }
    }
    await until(() => (latest()?.lastSteps[GROWING] ?? -1) >= args.lines, WAIT_MS);
    const f = take('folders');
    if (f) {
      m.folders.live = f.engineFolders;
      m.folders.liveBackend = f.backendCount;
    }
    const latencies: (number | undefined)[] = [];
    for (let k = 1; k <= args.lines; k++) latencies.push(firstAfter(writes[k]!, (r) => (r.lastSteps[GROWING] ?? -1) >= k));
    m.append = stats(latencies);
    m.appendUpdates = updates.length - firstUpdateB;
    log(`  (b) ${args.lines} lines every ${args.intervalMs} ms: p50 ${m.append.p50} ms, p95 ${m.append.p95} ms, max ${m.append.max} ms, ${m.append.lost} not seen; ${m.appendUpdates} updates; ${m.inotify.live} inotify watches while live`);

    // (c) end_run: meta.yaml rewritten with the final status
    const meta = path.join(runDir, 'meta.yaml');
    const text = fs.readFileSync(meta, 'utf8').replace(/^end_time: .*$/m, `end_time: ${Date.now()}`).replace(/^status: .*$/m, `status: ${RUN_STATUS.FINISHED}`);
    const tEnd = now();
    fs.writeFileSync(meta, text);
    await until(() => latest()?.status === 'FINISHED', WAIT_MS);
    m.endMs = firstAfter(tEnd, (r) => r.status === 'FINISHED');
    await sleep(1000);
    m.inotify.afterEnd = inotifyWatches(child.pid!);
    log(`  (c) end: FINISHED after ${m.endMs?.toFixed(0) ?? '—'} ms; ${m.inotify.afterEnd} inotify watches after it`);
    const scenarioMs = performance.now() - scenarioStart;

    // Idle
    await sleep(2000);
    ask({ type: 'idle', ms: args.idleS * 1000 });
    if (!(await until(() => inbox.some((x) => x.type === 'idle'), args.idleS * 1000 + 120_000))) throw new Error('no idle report');
    m.idle = take('idle')!;
    m.reconcilesDuringScenario = m.idle.reconciles.filter((r) => r.atMs < 0 && r.atMs > -(scenarioMs + 4000));
    m.idle.reconciles = m.idle.reconciles.filter((r) => r.atMs >= 0);
    const pct = (m.idle.cpuMs / m.idle.wallMs) * 100;
    log(
      `  idle ${args.idleS} s: CPU ${m.idle.cpuMs.toFixed(0)} ms (${pct.toFixed(2)} % of a core); ${m.idle.reconciles.length} reconciliations ` +
        `(${m.idle.reconciles.map((r) => `${r.wallMs.toFixed(0)} ms / ${r.cpuMs.toFixed(0)} ms CPU`).join(', ')}); RSS ${m.idle.rssMiB} MiB, peak ${m.idle.peakRssMiB} MiB`,
    );
  } finally {
    m.load[1] = round(os.loadavg()[0]!);
    if (!exited) ask({ type: 'stop' });
    await until(() => exited, 10_000);
    if (!exited) child.kill('SIGKILL');
    fs.rmSync(runDir, { recursive: true, force: true });
  }
  return m;
}

// ---------------------------------------------------------------------------------------------

const ms = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(0)} ms`);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const code = codeVersion();
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const limit = maxUserWatches();
  const isReference = JSON.stringify({ ...args.workload, seed: 0 }) === JSON.stringify({ ...REFERENCE_WORKLOAD, seed: 0 });
  const mainLabel = `${args.workload.runs} runs`;

  const workspaces: { label: string; ws: WatchWorkspace; backends: BackendName[] }[] = [];
  const mainWs = ensureCopy(args.workload);
  workspaces.push({ label: mainLabel, ws: mainWs, backends: args.backends });
  if (args.compareRuns !== undefined && args.compareRuns !== args.workload.runs) {
    const cmp = ensureCopy({ ...args.workload, runs: args.compareRuns });
    workspaces.push({ label: `${args.compareRuns} runs`, ws: cmp, backends: args.backends });
  }
  for (const w of workspaces) await prepareStore(w.ws);
  for (const w of workspaces) log(`workspace ${path.relative(PROJECT, w.ws.folder)}: ${w.ws.folders} folders, ${w.ws.files} files (its .mlcycle/ store not counted)`);

  const results: Measurement[] = [];
  for (const w of workspaces) {
    for (const b of w.backends) {
      if (b === 'chokidar-tree') {
        const estimate = w.ws.folders + w.ws.files;
        const free = limit - inotifyInUse();
        if (estimate > free / 2) {
          const why = `needs ≈ ${estimate} inotify watches (one per file and folder); ${free} of max_user_watches ${limit} are free and shared with every process of this user: not run`;
          log(`- ${b} on ${w.label}: ${why}`);
          results.push({ backend: b, workload: w.label, inotify: { ready: 0, live: 0, afterEnd: 0 }, folders: { ready: 0, live: 0, liveBackend: 0 }, appendUpdates: 0, newRunTimeline: [], reconcilesDuringScenario: [], reasons: {}, errors: [], load: [0, 0], skipped: why });
          continue;
        }
      }
      results.push(await measure(b, w.ws, w.label, args));
    }
  }

  // ------------------------------------------------------------------ report
  const main = results.find((r) => r.backend === 'folder' && r.workload === mainLabel) ?? results.find((r) => !r.skipped)!;
  const idlePct = main.idle ? (main.idle.cpuMs / main.idle.wallMs) * 100 : NaN;
  const maxWatches = Math.max(main.inotify.ready, main.inotify.live, main.inotify.afterEnd);
  const maxFolders = Math.max(main.folders.ready, main.folders.live);
  const recon = main.idle?.reconciles ?? [];
  const budgets = [
    { what: '(a) new run written → listRuns shows it', measured: ms(main.newRunVisibleMs), budget: '≤ 500 ms', ok: (main.newRunVisibleMs ?? Infinity) <= BUDGET.latencyMs },
    { what: '(a) … with all its params, tags, first metrics', measured: `${ms(main.newRunCompleteMs)} after the last write`, budget: '≤ 500 ms', ok: (main.newRunCompleteMs ?? Infinity) <= BUDGET.latencyMs },
    {
      what: `(b) metric line appended → its step in the store (${args.lines} lines, every ${args.intervalMs} ms)`,
      measured: main.append ? `p50 ${main.append.p50} ms, p95 ${main.append.p95} ms, max ${main.append.max} ms${main.append.lost ? `, ${main.append.lost} never` : ''}` : '—',
      budget: '≤ 500 ms (max)',
      ok: (main.append?.max ?? Infinity) <= BUDGET.latencyMs && main.append?.lost === 0,
    },
    { what: '(c) run ended (meta.yaml status 3) → FINISHED', measured: ms(main.endMs), budget: '≤ 500 ms', ok: (main.endMs ?? Infinity) <= BUDGET.latencyMs },
    {
      what: 'OS watches (inotify) of the watching process',
      measured: `${main.inotify.ready} idle, ${main.inotify.live} with a live run; engine asked for ${main.folders.ready} / ${main.folders.live} folders; workspace ${mainWs.folders} folders, ${mainWs.files} files`,
      budget: '≤ 1 per watched folder, 0 per file',
      ok: maxWatches <= maxFolders,
    },
    {
      what: `idle CPU over ${args.idleS} s (${recon.length} reconciliations in it)`,
      measured: main.idle ? `${main.idle.cpuMs.toFixed(0)} ms = ${idlePct.toFixed(2)} % of a core` : '—',
      budget: 'none in DESIGN.md (reported)',
      ok: undefined,
    },
  ];

  const compare: string[][] = [
    ['workload', 'backend', 'start scan', 'backend ready (CPU)', 'inotify idle / live', 'RSS (backend\'s part)', `idle CPU ${args.idleS} s`, 'append p50 / p95 / max', 'new run (visible / complete)', 'end', 'load'],
  ];
  for (const r of results) {
    if (r.skipped) {
      compare.push([r.workload, r.backend, '', '', r.skipped, '', '', '', '', '', '']);
      continue;
    }
    const idle = r.idle ? `${r.idle.cpuMs.toFixed(0)} ms (${((r.idle.cpuMs / r.idle.wallMs) * 100).toFixed(2)} %)` : '—';
    compare.push([
      r.workload,
      r.backend,
      r.ready ? `${(r.ready.scanMs / 1000).toFixed(2)} s` : '—',
      r.ready ? `${r.ready.backendReadyMs.toFixed(0)} ms (${r.ready.backendReadyCpuMs.toFixed(0)} ms)` : '—',
      `${r.inotify.ready} / ${r.inotify.live}`,
      r.ready ? `${r.idle?.rssMiB ?? r.ready.rssMiB} MiB (+${(r.ready.rssMiB - r.ready.rssBeforeBackendMiB).toFixed(0)} MiB)` : '—',
      idle,
      r.append ? `${r.append.p50} / ${r.append.p95} / ${r.append.max} ms${r.append.lost ? ` (${r.append.lost} lost)` : ''}` : '—',
      `${ms(r.newRunVisibleMs)} / ${ms(r.newRunCompleteMs)}`,
      ms(r.endMs),
      `${r.load[0]}→${r.load[1]}`,
    ]);
  }

  const out: string[] = [];
  const mach = machine();
  out.push('', `MLCycle watch benchmark — ${started.toISOString()}`);
  out.push(`machine: ${mach['nproc']} CPUs (${mach['cpu']}), ${mach['memoryGiB']} GiB, node ${mach['node']}, ${mach['platform']}, fs ${mach['rootFs']}; fs.inotify.max_user_watches ${limit}`);
  out.push(`code: commit ${code.commit}${code.srcChanged ? ' with uncommitted changes in src/' : ''}, src/ hash ${code.srcHash}`);
  out.push(`workload: ${mainLabel}${isReference ? ' (the reference workload)' : ' (NOT the reference workload)'}, watched as a hard-linked copy; engine backend: FolderWatcher`);
  out.push('', table([['budget (DESIGN.md §9)', 'measured', 'budget', 'result'], ...budgets.map((b) => [b.what, b.measured, b.budget, b.ok === undefined ? '—' : pass(b.ok)])]));
  out.push('', `reconciliation (${mainLabel}): every ${recon.length > 1 ? `${((recon.at(-1)!.atMs - recon[0]!.atMs) / (recon.length - 1) / 1000).toFixed(1)} s` : '15 s (default)'}; each: ${recon.map((r) => `${r.wallMs.toFixed(0)} ms wall / ${r.cpuMs.toFixed(0)} ms CPU`).join(', ') || '—'}`);
  out.push(`updates during the scenario (${mainLabel}, folder): ${Object.entries(main.reasons).map(([k, v]) => `${k} ${v}`).join(', ')}; ${main.appendUpdates} during the appends; reconciliations in the scenario: ${main.reconcilesDuringScenario.length}`);
  out.push('', table(compare));
  for (const r of results) {
    if (r.newRunCompleteMs === undefined && !r.skipped) out.push(`  ${r.backend} on ${r.workload}: the new run was not complete within ${WAIT_MS / 1000} s; updates after its creation: ${r.newRunTimeline.map(([t, why, what]) => `${t} ms ${why}: ${what}`).join('; ')}`);
  }
  for (const r of results) for (const e of r.errors.slice(0, 3)) out.push(`  ${r.backend} on ${r.workload}: error: ${e.split('\n')[0]}`);
  for (const r of results) if (r.idle?.backendErrors) out.push(`  ${r.backend} on ${r.workload}: ${r.idle.backendErrors} backend errors, first: ${r.idle.firstBackendError}`);
  console.log(out.join('\n'));

  const resultFile = path.join(BENCH_DIR, 'results-watch.json');
  const json = {
    startedAt: started.toISOString(),
    machine: { ...mach, maxUserWatches: limit },
    code,
    options: args,
    workspaces: workspaces.map((w) => ({ label: w.label, folder: path.relative(PROJECT, w.ws.folder), folders: w.ws.folders, files: w.ws.files })),
    budgets: budgets.map((b) => ({ what: b.what, measured: b.measured, budget: b.budget, pass: b.ok })),
    results,
  };
  fs.writeFileSync(resultFile, JSON.stringify(json, null, 2) + '\n');
  const history = path.join(BENCH_DIR, 'results', `watch-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(history), { recursive: true });
  fs.copyFileSync(resultFile, history);
  log(`\nresults written to ${path.relative(PROJECT, resultFile)} (and ${path.relative(PROJECT, history)})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
