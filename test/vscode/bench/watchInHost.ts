// VS Code's own file watcher, measured from inside a real extension host (code-server), for the
// backend choice of issue 3. Not a test: test/vscode/bench/runWatchBench.ts (npm run
// bench:watch:vscode) opens the workbench with this module as extensionTestsPath and reads the
// JSON it writes. Configuration comes in MLCYCLE_BENCH_CONFIG (the payload's extensionEnvironment).
//
// For each mode it creates watchers through the extension API, counts the inotify watches held by
// the code-server processes (the server's whole process tree) before and after, then writes as a
// training script would and times the events on the extension host's own clock:
//   recursive: createFileSystemWatcher(new RelativePattern(<mlruns>, '**/*'))
//   folders:   one RelativePattern(<folder>, '*') watcher per folder of the engine's folder set
//              (mlruns, its experiments; the live run's folders once the run exists)
// Scenario: a live run whose folders exist before the watchers are made; then a new run folder (meta.yaml, tags, then params, then the first metrics), --lines
// metric lines appended every --interval-ms to both runs' train_loss, then meta.yaml rewritten with status 3; then an idle
// window in which the CPU of the server's processes is measured.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandOf, inotifyWatches, processTree } from '../../../bench/lib/inotify';

export interface BenchConfig {
  mlruns: string;
  /** The code-server process (root of the tree whose watches are counted). */
  serverPid: number;
  /** Folders the engine would watch besides mlruns and its experiments (the workspace folder). */
  extraFolders: string[];
  modes: Mode[];
  lines: number;
  intervalMs: number;
  idleMs: number;
  out: string;
}

export type Mode = 'recursive' | 'folders';

export interface ProcessWatches {
  pid: number;
  command: string;
  watches: number;
}

export interface LatencyStats {
  n: number;
  lost: number;
  p50: number;
  p95: number;
  max: number;
}

export interface ModeResult {
  mode: Mode;
  watchers: number;
  watchesBefore: number;
  watchesAfter: number;
  /** From creating the watchers until an event came for a file written (every 250 ms) directly in mlruns/. */
  readyMs?: number | undefined;
  /** From then until the server's watch count stopped changing. */
  settleMs: number;
  watchesAfterDispose: number;
  perProcess: { pid: number; command: string; before: number; after: number }[];
  newRunFolderMs?: number | undefined;
  newRunMetaMs?: number | undefined;
  /** From the last write of the new run (its first metrics) to the event for it. */
  newRunMetricsMs?: number | undefined;
  /** Watches after the new run's folders were made (the recursive watcher adds its own). */
  watchesAfterNewRun: number;
  /** Appends to the new run's metric file (its folder made after the watchers). */
  append?: LatencyStats;
  appendEvents: number;
  /** The same appends to a run whose folders existed before the watchers were made. */
  appendExisting?: LatencyStats;
  appendExistingEvents: number;
  /** The first events seen, for inspection: [ms since the new run's folder was made, kind, path relative to mlruns]. */
  sample: [number, string, string][];
  endMs?: number | undefined;
  /** CPU of the server's processes over the idle window, with the watchers in place. */
  idleCpuMs: number;
  idleWallMs: number;
  eventsTotal: number;
}

export interface BenchResult {
  startedAt: string;
  vscodeVersion: string;
  mlruns: string;
  workspaceFolders: string[];
  /**
   * VS Code's own watches, before anything of ours was created: when the workbench had settled
   * (`watchesAtStart`) and after the idle window (`watches`; its recursive workspace watcher may
   * still have been crawling the workspace at the start, and that crawl is in the window's CPU).
   */
  baseline: { watchesAtStart: number; watches: number; perProcess: ProcessWatches[]; settleMs: number; idleCpuMs: number; idleWallMs: number };
  modes: ModeResult[];
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number): number => Math.round(x * 10) / 10;

function perProcess(serverPid: number): ProcessWatches[] {
  // The command lines all start with the same Node path: keep their ends, which tell the processes apart.
  return processTree(serverPid).map((pid) => ({ pid, command: commandOf(pid, 2000).slice(-110), watches: inotifyWatches(pid) }));
}

function totalWatches(serverPid: number): number {
  return processTree(serverPid).reduce((n, pid) => n + inotifyWatches(pid), 0);
}

/** CPU time (user + system, ms) of the server's processes, from /proc/<pid>/stat (clock ticks of 10 ms). */
function treeCpuMs(serverPid: number): number {
  let ticks = 0;
  for (const pid of processTree(serverPid)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // gone
    }
  }
  return ticks * 10;
}

/** Waits until the server's watch count has not changed for `stableMs` (at most `maxMs`). */
async function settle(serverPid: number, stableMs = 3000, maxMs = 180_000): Promise<{ watches: number; ms: number }> {
  const start = performance.now();
  let last = totalWatches(serverPid);
  let since = performance.now();
  let lastChange = start;
  while (performance.now() - since < stableMs && performance.now() - start < maxMs) {
    await sleep(250);
    const n = totalWatches(serverPid);
    if (n !== last) {
      last = n;
      since = performance.now();
      lastChange = since;
    }
  }
  return { watches: last, ms: lastChange - start };
}

async function idleCpu(serverPid: number, ms: number): Promise<{ cpuMs: number; wallMs: number }> {
  const c0 = treeCpuMs(serverPid);
  const t0 = performance.now();
  await sleep(ms);
  return { cpuMs: treeCpuMs(serverPid) - c0, wallMs: performance.now() - t0 };
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

function runMeta(runDir: string, runId: string, status: number, endTime: number | null): string {
  // PyYAML safe_dump of MLflow's run info, keys sorted (as bench/lib/mlrunsGenerator.ts writes it).
  return [
    `artifact_uri: file://${runDir}/artifacts`,
    `end_time: ${endTime ?? 'null'}`,
    "entry_point_name: ''",
    "experiment_id: '0'",
    'lifecycle_stage: active',
    `run_id: ${runId}`,
    'run_name: bench-watch-vscode',
    `run_uuid: ${runId}`,
    "source_name: ''",
    'source_type: 4',
    "source_version: ''",
    `start_time: ${Date.now()}`,
    `status: ${status}`,
    'tags: []',
    'user_id: bench',
    '',
  ].join('\n');
}

interface Event {
  t: number;
  kind: 'create' | 'change' | 'delete';
  path: string;
}

async function runMode(mode: Mode, cfg: BenchConfig): Promise<ModeResult> {
  const events: Event[] = [];
  const disposables: vscode.Disposable[] = [];
  let watchers = 0;
  const watch = (base: string, glob: string): void => {
    watchers++;
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), glob));
    w.onDidCreate((u) => events.push({ t: performance.now(), kind: 'create', path: u.fsPath }), undefined, disposables);
    w.onDidChange((u) => events.push({ t: performance.now(), kind: 'change', path: u.fsPath }), undefined, disposables);
    w.onDidDelete((u) => events.push({ t: performance.now(), kind: 'delete', path: u.fsPath }), undefined, disposables);
    disposables.push(w);
  };
  const experiments = fs
    .readdirSync(cfg.mlruns, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && fs.existsSync(path.join(cfg.mlruns, e.name, 'meta.yaml')))
    .map((e) => path.join(cfg.mlruns, e.name));

  // A live run that exists before the watchers are made (its folders are there from the start).
  const existingId = randomRunId();
  const existingDir = path.join(cfg.mlruns, '0', existingId);
  fs.mkdirSync(existingDir);
  fs.writeFileSync(path.join(existingDir, 'meta.yaml'), runMeta(existingDir, existingId, 1, null));
  for (const d of ['metrics', 'params', 'artifacts', 'tags']) fs.mkdirSync(path.join(existingDir, d));
  const existingFile = path.join(existingDir, 'metrics', 'train_loss');
  fs.writeFileSync(existingFile, `${Date.now()} 1.0 0\n`);

  const before = perProcess(cfg.serverPid);
  const watchesBefore = before.reduce((n, p) => n + p.watches, 0);
  if (mode === 'recursive') watch(cfg.mlruns, '**/*');
  else for (const f of [...cfg.extraFolders, cfg.mlruns, ...experiments, ...['', 'metrics', 'params', 'artifacts', 'tags'].map((d) => path.join(existingDir, d))]) watch(f, '*');
  // Ready: a probe file directly in mlruns/ (watched in both modes) is appended to until an event for it comes.
  const probe = path.join(cfg.mlruns, `.bench-probe-${randomRunId()}`);
  const tWatch = performance.now();
  let readyMs: number | undefined;
  try {
    while (performance.now() - tWatch < 90_000) {
      fs.appendFileSync(probe, 'x');
      await sleep(250);
      const e = events.find((x) => x.path === probe);
      if (e) {
        readyMs = e.t - tWatch;
        break;
      }
    }
  } finally {
    fs.rmSync(probe, { force: true });
  }
  const settled = await settle(cfg.serverPid);
  const afterSetup = perProcess(cfg.serverPid);
  const result: ModeResult = {
    mode,
    watchers,
    watchesBefore,
    watchesAfter: settled.watches,
    readyMs: readyMs === undefined ? undefined : round(readyMs),
    settleMs: round(settled.ms),
    watchesAfterDispose: 0,
    watchesAfterNewRun: 0,
    appendExistingEvents: 0,
    sample: [],
    perProcess: afterSetup
      .map((p) => ({ pid: p.pid, command: p.command, before: before.find((b) => b.pid === p.pid)?.watches ?? 0, after: p.watches }))
      .filter((p) => p.before > 0 || p.after > 0),
    appendEvents: 0,
    idleCpuMs: 0,
    idleWallMs: 0,
    eventsTotal: 0,
  };

  const firstEvent = async (after: number, match: (e: Event) => boolean, timeoutMs = 5000): Promise<number | undefined> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const e = events.find((x) => x.t >= after && match(x));
      if (e) return e.t - after;
      if (performance.now() > deadline) return undefined;
      await sleep(10);
    }
  };

  // (a) a new run, as MLflow's FileStore.create_run writes it, then log_params, then log_metrics
  const runId = randomRunId();
  const runDir = path.join(cfg.mlruns, '0', runId);
  try {
    const tCreate = performance.now();
    fs.mkdirSync(runDir);
    const tMeta = performance.now();
    fs.writeFileSync(path.join(runDir, 'meta.yaml'), runMeta(runDir, runId, 1, null));
    for (const d of ['metrics', 'params', 'artifacts', 'tags']) fs.mkdirSync(path.join(runDir, d));
    for (const k of ['mlflow.runName', 'mlflow.user', 'mlflow.source.name', 'mlflow.source.type', 'mlflow.source.git.commit']) fs.writeFileSync(path.join(runDir, 'tags', k), 'x');
    result.newRunFolderMs = await firstEvent(tCreate, (e) => e.path === runDir || e.path.startsWith(runDir + path.sep), 3000);
    result.newRunMetaMs = await firstEvent(tMeta, (e) => e.path === path.join(runDir, 'meta.yaml'), 1000);
    if (mode === 'folders') {
      // The engine adds a live run's folders once it has read the run.
      for (const d of ['', 'metrics', 'params', 'artifacts', 'tags']) watch(path.join(runDir, d), '*');
      result.watchers = watchers;
      await sleep(300);
    }
    result.watchesAfterNewRun = (await settle(cfg.serverPid, 1000, 10_000)).watches;
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(runDir, 'params', `param_${String(i).padStart(2, '0')}`), String(i / 7));
    await sleep(25);
    const tMetrics = performance.now();
    const metricsDir = path.join(runDir, 'metrics');
    for (const k of ['train_loss', 'val_loss', 'train_accuracy', 'val_accuracy', 'learning_rate', 'grad_norm', 'val_f1', 'val_auc', 'epoch_time_s', 'throughput_samples_per_s']) {
      fs.writeFileSync(path.join(metricsDir, k), `${Date.now()} 1.0 0\n`);
    }
    result.newRunMetricsMs = await firstEvent(tMetrics, (e) => path.dirname(e.path) === metricsDir, 3000);
    await sleep(500);

    // (b) metric lines, to the new run's file and to the existing run's, on the same ticks
    const file = path.join(metricsDir, 'train_loss');
    const writes: number[] = [];
    const writesExisting: number[] = [];
    const firstB = events.length;
    const t0 = performance.now();
    for (let k = 1; k <= cfg.lines; k++) {
      const wait = t0 + k * cfg.intervalMs - performance.now();
      if (wait > 1) await sleep(wait);
      writes[k] = performance.now();
      fs.appendFileSync(file, `${Date.now()} ${1 / (k + 1)} ${k}\n`);
      writesExisting[k] = performance.now();
      fs.appendFileSync(existingFile, `${Date.now()} ${1 / (k + 1)} ${k}\n`);
    }
    await sleep(2000);
    const latenciesOf = (f: string, at: number[]): { stats: LatencyStats; events: number } => {
      const fileEvents = events.slice(firstB).filter((e) => e.path === f);
      const latencies: (number | undefined)[] = [];
      for (let k = 1; k <= cfg.lines; k++) {
        const e = fileEvents.find((x) => x.t >= at[k]!);
        latencies.push(e ? e.t - at[k]! : undefined);
      }
      return { stats: stats(latencies), events: fileEvents.length };
    };
    const fresh = latenciesOf(file, writes);
    result.append = fresh.stats;
    result.appendEvents = fresh.events;
    const old = latenciesOf(existingFile, writesExisting);
    result.appendExisting = old.stats;
    result.appendExistingEvents = old.events;
    result.sample = events
      .filter((e) => e.t >= tCreate)
      .slice(0, 40)
      .map((e) => [round(e.t - tCreate), e.kind, path.relative(cfg.mlruns, e.path)]);

    // (c) end_run
    const tEnd = performance.now();
    fs.writeFileSync(path.join(runDir, 'meta.yaml'), runMeta(runDir, runId, 3, Date.now()));
    result.endMs = await firstEvent(tEnd, (e) => e.path === path.join(runDir, 'meta.yaml'), 3000);
    await sleep(1000);

    // idle, the watchers in place
    const idle = await idleCpu(cfg.serverPid, cfg.idleMs);
    result.idleCpuMs = idle.cpuMs;
    result.idleWallMs = round(idle.wallMs);
  } finally {
    result.eventsTotal = events.length;
    for (const d of disposables) d.dispose();
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.rmSync(existingDir, { recursive: true, force: true });
  }
  result.watchesAfterDispose = (await settle(cfg.serverPid, 2000, 30_000)).watches;
  for (const k of ['newRunFolderMs', 'newRunMetaMs', 'newRunMetricsMs', 'endMs'] as const) {
    const v = result[k];
    if (v !== undefined) result[k] = round(v);
  }
  return result;
}

export async function run(): Promise<void> {
  const cfg = JSON.parse(process.env['MLCYCLE_BENCH_CONFIG'] ?? '{}') as BenchConfig;
  const out: BenchResult = {
    startedAt: new Date().toISOString(),
    vscodeVersion: vscode.version,
    mlruns: cfg.mlruns,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    baseline: { watchesAtStart: 0, watches: 0, perProcess: [], settleMs: 0, idleCpuMs: 0, idleWallMs: 0 },
    modes: [],
  };
  try {
    // VS Code's own watchers (the workspace folder, recursive) start with the workbench: let them settle.
    const settled = await settle(cfg.serverPid, 5000);
    const idle = await idleCpu(cfg.serverPid, cfg.idleMs);
    const after = perProcess(cfg.serverPid).filter((p) => p.watches > 0);
    out.baseline = {
      watchesAtStart: settled.watches,
      watches: after.reduce((n, p) => n + p.watches, 0),
      perProcess: after,
      settleMs: round(settled.ms),
      idleCpuMs: idle.cpuMs,
      idleWallMs: round(idle.wallMs),
    };
    for (const mode of cfg.modes) out.modes.push(await runMode(mode, cfg));
  } catch (err) {
    out.error = String((err as Error).stack ?? err);
  }
  fs.writeFileSync(cfg.out, JSON.stringify(out, null, 2) + '\n');
}
