// The watching process of bench/watch.ts: opens the workspace, runs the engine's Watcher with one
// backend, and reports over IPC what the store holds for the scratch run after every update, with
// a timestamp on the clock the writer uses (process.hrtime: CLOCK_MONOTONIC, shared by every
// process on the machine). The parent does the writing and counts this process's inotify watches.
//
//   argv: <backend> <workspace> <scratch run id>     backend: folder | chokidar-folders | chokidar-tree
//   argv: prepare <workspace>                        scans the workspace into its store, and exits
import * as os from 'node:os';
import type { WatchBackend } from '../../src/core/watch/backend';
import { ChokidarFolders, ChokidarTree } from './chokidarBackends';

export type BackendName = 'folder' | 'chokidar-folders' | 'chokidar-tree';

/** What listRuns shows of the scratch run. */
export interface RunState {
  status: string;
  params: number;
  tags: number;
  /** Metric key → last step stored. */
  lastSteps: Record<string, number>;
}

export interface ReconcileFigure {
  /** ms since the idle window started (negative: before it). */
  atMs: number;
  wallMs: number;
  cpuMs: number;
}

export type ChildMessage =
  | {
      type: 'ready';
      /** Workspace.open. */
      openMs: number;
      /** watcher.start(): the first scan, then the backend's watches. */
      startMs: number;
      scanMs: number;
      /** From the backend's first setFolders to its watches being in place (chokidar: its 'ready'). */
      backendReadyMs: number;
      /** CPU (all threads) spent by the backend's setup. */
      backendReadyCpuMs: number;
      /** Folders the engine asked for. */
      engineFolders: number;
      backendCount: number;
      rssBeforeBackendMiB: number;
      rssMiB: number;
      runsInStore: number;
    }
  | { type: 'update'; at: number; reason: string; durationMs: number; paths: number; folders: number; run: RunState | undefined }
  | { type: 'folders'; engineFolders: number; backendCount: number; rssMiB: number }
  | {
      type: 'idle';
      wallMs: number;
      cpuMs: number;
      reconciles: ReconcileFigure[];
      rssMiB: number;
      peakRssMiB: number;
      backendErrors: number;
      firstBackendError: string | undefined;
      load: number;
    }
  | { type: 'error'; message: string };

export type ParentMessage = { type: 'folders' } | { type: 'idle'; ms: number } | { type: 'stop' };

const MiB = 1024 * 1024;
const round1 = (x: number): number => Math.round(x * 10) / 10;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = (since?: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

function send(m: ChildMessage): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const [backendName, workspace, scratchId] = process.argv.slice(2) as [BackendName | 'prepare', string, string];
  const { Workspace } = await import('../../src/core/workspace');
  const { Watcher } = await import('../../src/core/watch/watcher');
  const { FolderWatcher } = await import('../../src/core/watch/folderWatcher');
  const { findRuns, listRuns } = await import('../../src/core/store/queries');

  const t0 = performance.now();
  const ws = await Workspace.open(workspace);
  const openMs = performance.now() - t0;
  if (backendName === 'prepare') {
    // Brings the store up to date, so that every measured child starts with a no-change rescan.
    await ws.ingestor.scan();
    ws.close();
    process.exit(0);
  }

  // Every scan (the first one and each reconciliation) timed, wall and CPU (all threads).
  const reconciles: { at: number; wallMs: number; cpuMs: number }[] = [];
  const scan = ws.ingestor.scan.bind(ws.ingestor);
  ws.ingestor.scan = (options) => {
    const at = performance.now();
    const c = process.cpuUsage();
    return scan(options).finally(() => reconciles.push({ at, wallMs: performance.now() - at, cpuMs: cpuMs(c) }));
  };

  let backend: WatchBackend & { ready?: Promise<void>; errors?: number; firstError?: string | undefined };
  if (backendName === 'folder') backend = new FolderWatcher();
  else if (backendName === 'chokidar-folders') backend = new ChokidarFolders();
  else backend = new ChokidarTree(workspace);

  // The backend's setup: from its first setFolders until its watches are in place.
  let setupStart = 0;
  let setupCpu: NodeJS.CpuUsage | undefined;
  let rssBeforeBackend = 0;
  let engineFolders = 0;
  const setFolders = backend.setFolders.bind(backend);
  backend.setFolders = (folders) => {
    engineFolders = folders.size;
    if (!setupCpu) {
      rssBeforeBackend = process.memoryUsage().rss;
      setupStart = performance.now();
      setupCpu = process.cpuUsage();
    }
    setFolders(folders);
  };

  let uid: number | undefined;
  const runState = (): RunState | undefined =>
    ws.store.read((db) => {
      uid ??= findRuns(db, scratchId)[0]?.uid;
      if (uid === undefined) return undefined;
      const r = listRuns(db, { uids: [uid], includeDeleted: true })[0];
      if (!r) {
        uid = undefined;
        return undefined;
      }
      const lastSteps: Record<string, number> = {};
      for (const [k, m] of Object.entries(r.metrics)) lastSteps[k] = m.lastStep;
      return { status: r.status, params: Object.keys(r.params).length, tags: Object.keys(r.tags).length, lastSteps };
    });

  const watcher = new Watcher(ws.ingestor, backend, {
    onUpdate: (u) => {
      const at = now();
      send({ type: 'update', at, reason: u.reason, durationMs: u.durationMs, paths: u.paths.length, folders: u.folders, run: runState() });
    },
    onError: (err) => send({ type: 'error', message: err.message }),
  });

  const s0 = performance.now();
  const summary = await watcher.start();
  await backend.ready;
  const setupEnd = performance.now();
  send({
    type: 'ready',
    openMs,
    startMs: setupEnd - s0,
    scanMs: summary.durationMs,
    backendReadyMs: setupEnd - setupStart,
    backendReadyCpuMs: setupCpu ? cpuMs(setupCpu) : 0,
    engineFolders,
    backendCount: backend.count,
    rssBeforeBackendMiB: round1(rssBeforeBackend / MiB),
    rssMiB: round1(process.memoryUsage().rss / MiB),
    runsInStore: summary.sources.reduce((n, s) => n + s.runs, 0),
  });

  process.on('message', (m: ParentMessage) => {
    if (m.type === 'folders') {
      send({ type: 'folders', engineFolders: ws.ingestor.watchFolders().size, backendCount: backend.count, rssMiB: round1(process.memoryUsage().rss / MiB) });
    } else if (m.type === 'idle') {
      const start = performance.now();
      const c = process.cpuUsage();
      setTimeout(() => {
        const wallMs = performance.now() - start;
        const used = cpuMs(c);
        send({
          type: 'idle',
          wallMs,
          cpuMs: used,
          reconciles: reconciles.map((r) => ({ atMs: r.at - start, wallMs: r.wallMs, cpuMs: r.cpuMs })),
          rssMiB: round1(process.memoryUsage().rss / MiB),
          peakRssMiB: round1(process.resourceUsage().maxRSS / 1024),
          backendErrors: backend.errors ?? 0,
          firstBackendError: backend.firstError,
          load: round1(os.loadavg()[0]!),
        });
      }, m.ms);
    } else if (m.type === 'stop') {
      watcher.stop();
      ws.close();
      process.exit(0);
    }
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: String((err as Error).stack ?? err) });
  process.exit(1);
});
