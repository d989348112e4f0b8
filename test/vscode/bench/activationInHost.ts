// Activation → first Runs tree, measured inside a real extension host (code-server). Not a test:
// bench/activation.ts (npm run bench:activation) opens the workbench with this module as extensionTestsPath
// and the extension as installed from the VSIX as extensionDevelopmentPath, then reads the JSON written here.
// Configuration comes in MLCYCLE_BENCH_CONFIG (the payload's extensionEnvironment).
//
// The figure is the extension's own: firstTreeMs() = from the start of activate() to the first getChildren()
// of the Runs tree that returned content. VS Code calls getChildren only for a visible view, so:
// this module shows the view (mlcycle.runs.focus) as soon as it starts. Where the tree could have had content
// before that (warm: the snapshot cached in workspaceState is there from activate() on), the figure is an upper
// bound set by when VS Code starts this module; focusToTreeMs, from the focus to the first tree, is then the
// latency a view already open would see on top of activate().
// With `profile`, the cold path is then taken apart on a copy of the workspace: an engine worker of the
// extension's own dist/ is started and asked step by step (worker start, init = sql.js WebAssembly + store open,
// snapshot, scan, snapshot), and the WebAssembly compile is timed on its own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../src/extension/extension';
import type { EngineInit, RequestMap, RequestName, WorkerMessage } from '../../../src/shared/engineProtocol';

export type Mode = 'cold' | 'warm' | 'store';

export interface ActivationConfig {
  mode: Mode;
  out: string;
  profile?: { folder: string; dist: string };
}

export interface ProfileResult {
  wasmBytes: number;
  wasmCompileMs: number;
  /** new Worker(engineWorker.js) until it answers a first request (thread start + loading the 0.8 MB bundle). */
  workerReadyMs: number;
  /** init: sql.js (WebAssembly compile + instantiate), store file created/opened, ingestor set up. */
  initMs: number;
  emptySnapshotMs: number;
  scanMs: number;
  scanReportedMs: number;
  snapshotMs: number;
  snapshotBytes: number;
  runs: number;
  /** A second engine on the same folder, now with a store: what "store" mode pays before its first tree. */
  reopen: { workerReadyMs: number; initMs: number; snapshotMs: number };
}

export interface ActivationResult {
  mode: Mode;
  vscodeVersion: string;
  /** ms from activate() to the first Runs tree with content (the extension's firstTreeMs()). */
  firstTreeMs?: number;
  /** This module started this many ms after activate() (negative: before). */
  moduleStartMs?: number;
  activeAtModuleStart: boolean;
  /** The tree had content before this module could show the view: firstTreeMs is an upper bound. */
  shownLate: boolean;
  /** From showing the view to the first tree with content. */
  focusToTreeMs?: number;
  /** From VS Code's first request for the tree (after this module started) to the first answer with content: what
   * the extension keeps a visible view waiting (0 when it has content at once). */
  askToContentMs?: number;
  /** The first tree came from the previous session's snapshot (workspaceState). */
  fromCache: boolean;
  /** When this module started, a folder's snapshot came from the cache (undefined: not active yet). */
  cachedAtModuleStart?: boolean;
  runsInFirstTree: number;
  /** ms from activate() until the engine is idle (store open, scan done). */
  idleMs?: number;
  runs: number;
  profile?: ProfileResult;
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(timeoutMs: number, probe: () => T | undefined, stepMs = 2): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = probe();
    if (v !== undefined) return v;
    await sleep(stepMs);
  }
  return undefined;
}

/** A bare engine worker of the extension's dist/, asked one request at a time. */
class Engine {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, (m: WorkerMessage) => void>();
  constructor(dist: string) {
    this.worker = new Worker(path.join(dist, 'engineWorker.js'));
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'response') this.pending.get(m.id)?.(m);
    });
  }
  /** Resolves with the response (errors included) and its round-trip time. */
  async ask<K extends RequestName>(method: K, params: RequestMap[K]['params']): Promise<{ ms: number; result?: RequestMap[K]['result']; error?: string }> {
    const id = this.next++;
    const t = performance.now();
    const m = await new Promise<WorkerMessage>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ kind: 'request', id, method, params });
    });
    const ms = performance.now() - t;
    return m.kind === 'response' ? { ms, ...(m.error !== undefined ? { error: m.error } : { result: m.result as RequestMap[K]['result'] }) } : { ms };
  }
  async stop(): Promise<void> {
    await this.ask('dispose', {});
    await this.worker.terminate();
  }
}

async function profile(folder: string, dist: string): Promise<ProfileResult> {
  const wasm = fs.readFileSync(path.join(dist, 'sql-wasm.wasm'));
  let t = performance.now();
  await WebAssembly.compile(wasm);
  const wasmCompileMs = performance.now() - t;

  const init: EngineInit = { folder, include: [], exclude: [], disabledAdapters: [], watch: false, git: true };
  const open = async (): Promise<{ engine: Engine; workerReadyMs: number; initMs: number }> => {
    t = performance.now();
    const engine = new Engine(dist);
    await engine.ask('snapshot', {}); // answered with "not initialised": the thread is up and its bundle loaded
    const workerReadyMs = performance.now() - t;
    const i = await engine.ask('init', init);
    if (i.error) throw new Error(`init: ${i.error}`);
    return { engine, workerReadyMs, initMs: i.ms };
  };
  const first = await open();
  const empty = await first.engine.ask('snapshot', {});
  const scan = await first.engine.ask('scan', {});
  if (scan.error) throw new Error(`scan: ${scan.error}`);
  const snap = await first.engine.ask('snapshot', {});
  await first.engine.stop();
  const second = await open();
  const snap2 = await second.engine.ask('snapshot', {});
  await second.engine.stop();
  return {
    wasmBytes: wasm.length,
    wasmCompileMs,
    workerReadyMs: first.workerReadyMs,
    initMs: first.initMs,
    emptySnapshotMs: empty.ms,
    scanMs: scan.ms,
    scanReportedMs: scan.result?.durationMs ?? NaN,
    snapshotMs: snap.ms,
    snapshotBytes: JSON.stringify(snap.result ?? {}).length,
    runs: snap.result?.runs.length ?? 0,
    reopen: { workerReadyMs: second.workerReadyMs, initMs: second.initMs, snapshotMs: snap2.ms },
  };
}

export async function run(): Promise<void> {
  const started = Date.now();
  const config = JSON.parse(process.env['MLCYCLE_BENCH_CONFIG'] ?? '{}') as ActivationConfig;
  const ext = vscode.extensions.getExtension<MlcycleApi>('mlcycle.mlcycle');
  const result: ActivationResult = {
    mode: config.mode,
    vscodeVersion: vscode.version,
    activeAtModuleStart: ext?.isActive ?? false,
    shownLate: false,
    fromCache: false,
    runsInFirstTree: 0,
    runs: 0,
  };
  try {
    if (!ext) throw new Error('mlcycle.mlcycle is not loaded');
    const api = (): MlcycleApi | undefined => (ext.isActive ? ext.exports : undefined);
    const treeShown = (): number | undefined => api()?.firstTreeMs();
    if (ext.isActive) result.cachedAtModuleStart = ext.exports.engines.all().some((fe) => fe.cached);
    const sample = (): void => {
      const a = api()!;
      result.fromCache = a.engines.all().some((fe) => fe.cached);
      result.runsInFirstTree = a.engines.runs().length;
    };
    // Every request VS Code makes for the tree's top level, from now on: when it first asked, when it first got content.
    const asks: { at: number; content: boolean }[] = [];
    const watchRequests = (): void => {
      const tree = ext.exports.runsTree as unknown as { getChildren(node?: unknown): unknown };
      const original = tree.getChildren.bind(tree);
      tree.getChildren = (node?: unknown) => {
        const out = original(node);
        if (node === undefined) asks.push({ at: Date.now(), content: Array.isArray(out) && out.length > 0 });
        return out;
      };
    };
    if (ext.isActive) watchRequests();
    else void until(120_000, () => (ext.isActive ? true : undefined)).then(() => watchRequests());
    // The view is shown now (in a payload session VS Code does not restore an extension's view container the
    // previous session left open, so the warm case cannot rely on it).
    result.shownLate = treeShown() !== undefined;
    const focusAt = Date.now();
    await vscode.commands.executeCommand('mlcycle.runs.focus');
    const ms = await until(120_000, treeShown);
    if (ms !== undefined && ext.isActive) result.focusToTreeMs = ext.exports.runsTree.firstChildren! - focusAt;
    const firstAsk = asks[0];
    const firstContent = asks.find((x) => x.content);
    if (firstAsk && firstContent) result.askToContentMs = firstContent.at - firstAsk.at;
    if (ms === undefined) throw new Error('no Runs tree with content within 120 s');
    sample();
    const a = api()!;
    const activatedAt = a.runsTree.firstChildren! - ms;
    result.firstTreeMs = ms;
    result.moduleStartMs = started - activatedAt;
    // Then until the engine is idle (store open, scan done), and a little longer for workspaceState to be saved.
    await until(120_000, () => (a.engines.all().every((fe) => !fe.scanning && fe.snapshot && !fe.cached) ? true : undefined), 10);
    result.idleMs = Date.now() - activatedAt;
    result.runs = a.engines.runs().length;
    // The workbench writes its state (and the extensions' workspaceState) to the browser profile every few seconds.
    await sleep(7000);
    if (config.profile) result.profile = await profile(config.profile.folder, config.profile.dist);
  } catch (err) {
    result.error = (err as Error).stack ?? String(err);
  }
  fs.writeFileSync(config.out, JSON.stringify(result, null, 2));
}
