// Watch mode on real folders: runs are written while the watcher is live, and the store follows.
// No timing assertions: each expectation is awaited with a generous deadline, and the order in
// which things arrive is what is checked (latencies are measured in bench/).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WatchBackend } from '../../src/core/watch/backend';
import { FolderWatcher } from '../../src/core/watch/folderWatcher';
import { Watcher, type WatchUpdate } from '../../src/core/watch/watcher';
import { listRuns, type RunSummary } from '../../src/core/store/queries';
import { Workspace } from '../../src/core/workspace';
import { appendMetric, endRun, writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { tempDir } from '../helpers/temp';

const LIVE = 'a'.repeat(32);
const T0 = 1_760_000_000_000;

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function liveWorkspace(): { folder: string; mlruns: string; runDir: string } {
  const folder = tempDir();
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default' });
  const runDir = writeRun(mlruns, {
    experimentId: '0',
    runId: LIVE,
    name: 'training',
    status: 'RUNNING',
    startTime: T0,
    metrics: { loss: [{ timestamp: T0, value: 1, step: 0 }] },
  });
  return { folder, mlruns, runDir };
}

const open: { ws: Workspace; watcher: Watcher }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.watcher.stop();
    o.ws.close();
  }
});

async function startWatching(folder: string, backend: WatchBackend = new FolderWatcher(), reconcileMs?: number): Promise<{ ws: Workspace; watcher: Watcher; updates: WatchUpdate[] }> {
  const ws = await Workspace.open(folder);
  const updates: WatchUpdate[] = [];
  const watcher = new Watcher(ws.ingestor, backend, { onUpdate: (u) => updates.push(u), ...(reconcileMs ? { reconcileMs } : {}) });
  open.push({ ws, watcher });
  await watcher.start();
  return { ws, watcher, updates };
}

function run(ws: Workspace, id: string): RunSummary | undefined {
  return ws.store.read((db) => listRuns(db, { includeDeleted: true })).find((r) => r.id === id);
}

describe('watch mode', () => {
  it('new metric lines of a live run arrive in order, then its end', async () => {
    const { folder, runDir } = liveWorkspace();
    const { ws } = await startWatching(folder);
    for (let step = 1; step <= 5; step++) {
      appendMetric(runDir, 'loss', [{ timestamp: T0 + step * 1000, value: 1 / (step + 1), step }]);
      const seen = await waitFor(`step ${step}`, () => {
        const m = run(ws, LIVE)?.metrics['loss'];
        return m && m.lastStep === step ? m : undefined;
      });
      assert.equal(seen.count, step + 1);
      assert.equal(seen.last, 1 / (step + 1));
    }
    endRun(runDir, 'FINISHED', T0 + 9000);
    const done = await waitFor('FINISHED', () => (run(ws, LIVE)?.status === 'FINISHED' ? run(ws, LIVE) : undefined));
    assert.equal(done.endTime, T0 + 9000);
  });

  it('a new run in a known experiment, and a new store elsewhere in the workspace, arrive', async () => {
    const { folder, mlruns } = liveWorkspace();
    const { ws } = await startWatching(folder);
    const second = 'b'.repeat(32);
    writeRun(mlruns, { experimentId: '0', runId: second, name: 'second', status: 'RUNNING', startTime: T0 + 5, metrics: { acc: [{ timestamp: T0, value: 0.5, step: 0 }] } });
    const r = await waitFor('the new run', () => run(ws, second));
    assert.equal(r.metrics['acc']?.last, 0.5);
    const other = path.join(folder, 'projects', 'vision', 'mlruns');
    writeExperiment(other, { id: '0', name: 'Default' });
    writeRun(other, { experimentId: '0', runId: 'c'.repeat(32), name: 'vision', startTime: T0, endTime: T0 + 1 });
    const v = await waitFor('the run of the new store', () => run(ws, 'c'.repeat(32)));
    assert.equal(v.source.path, 'projects/vision/mlruns');
  });

  it('watches folders, never files: store structure and live runs only', async () => {
    const { folder, mlruns } = liveWorkspace();
    for (let i = 0; i < 30; i++) writeRun(mlruns, { experimentId: '0', runId: String(i).padStart(32, '0'), name: `done-${i}`, startTime: T0, endTime: T0 + 1, metrics: { x: [{ timestamp: T0, value: i, step: 0 }] } });
    const { watcher } = await startWatching(folder);
    // The workspace, mlruns, experiment 0, and the live run with its metrics/, tags/ and
    // artifacts/ folders: 7 folders, none of the 30 finished runs, no file.
    assert.equal(watcher.folderCount, 7);
  });

  it('events that never come are caught by the reconciliation', async () => {
    const { folder, runDir } = liveWorkspace();
    const deaf: WatchBackend = { count: 0, setFolders: () => undefined, close: () => undefined };
    const { ws, updates } = await startWatching(folder, deaf, 300);
    appendMetric(runDir, 'loss', [{ timestamp: T0 + 1000, value: 0.25, step: 1 }]);
    await waitFor('the point, through reconciliation', () => (run(ws, LIVE)?.metrics['loss']?.lastStep === 1 ? true : undefined));
    assert.ok(updates.some((u) => u.reason === 'reconcile'));
  });

  it('mlcycle watch --json prints each update and stops on SIGINT', async () => {
    const { folder, runDir } = liveWorkspace();
    const proc = spawn(process.execPath, ['-r', 'tsx/cjs', path.resolve('src/cli/bin.ts'), 'watch', folder, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: { reason: string; runs: { id: string; metrics: Record<string, { lastStep: number }> }[] }[] = [];
    let buffer = '';
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)) as (typeof lines)[number]);
        buffer = buffer.slice(nl + 1);
      }
    });
    await waitFor('the start line', () => (lines.some((l) => l.reason === 'start') ? true : undefined), 30_000);
    appendMetric(runDir, 'loss', [{ timestamp: T0 + 1000, value: 0.5, step: 1 }]);
    const update = await waitFor('an update line', () => lines.find((l) => l.reason === 'change' && l.runs.some((r) => r.metrics['loss']?.lastStep === 1)));
    assert.equal(update.runs[0]!.id, LIVE);
    proc.kill('SIGINT');
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    assert.equal(code, 0);
    assert.ok(fs.existsSync(path.join(folder, '.mlcycle', 'mlcycle.db')));
  });
});
