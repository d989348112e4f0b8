// Rescans read only what changed: live runs from their last offset, finished runs by one stat.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getRun } from '../../src/core/store/queries';
import { decodeRunSeries, encodeRunSeries, type Series } from '../../src/core/store/seriesCodec';
import { appendMetric, endRun, writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { rescan, runById, scanFolder } from '../helpers/scan';
import { tempDir } from '../helpers/temp';

const LIVE = '1'.repeat(32);
const DONE = '2'.repeat(32);
const T0 = 1_760_000_000_000;

function points(from: number, values: number[], dt = 1000): { timestamp: number; value: number; step: number }[] {
  return values.map((value, i) => ({ timestamp: T0 + (from + i) * dt, value, step: from + i }));
}

function workspace(): { folder: string; mlruns: string; liveDir: string; doneDir: string } {
  const folder = tempDir();
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default' });
  const liveDir = writeRun(mlruns, {
    experimentId: '0',
    runId: LIVE,
    name: 'live',
    status: 'RUNNING',
    startTime: T0,
    metrics: { loss: points(0, [0.9, 0.8]), acc: points(0, [0.1, 0.2]) },
  });
  const doneDir = writeRun(mlruns, { experimentId: '0', runId: DONE, name: 'done', startTime: T0, endTime: T0 + 10, metrics: { loss: points(0, [0.5]) } });
  return { folder, mlruns, liveDir, doneDir };
}

describe('MLflow file store: incremental rescans', () => {
  it('a rescan with no change reads nothing and writes nothing', async () => {
    const { folder } = workspace();
    const { ws } = await scanFolder(folder);
    const before = fs.statSync(ws.store.dbPath).mtimeMs;
    const again = await rescan(ws);
    assert.equal(again.summary.sources[0]!.runsRead, 0); // the live run is looked at, but it is idle
    const third = await rescan(ws);
    assert.equal(third.summary.sources[0]!.runsRead, 0);
    assert.equal(fs.statSync(ws.store.dbPath).mtimeMs, before);
  });

  it('a live run grows from its last offset; a half-written line waits; the end of the run is seen', async () => {
    const { folder, liveDir } = workspace();
    const { ws } = await scanFolder(folder);
    appendMetric(liveDir, 'loss', points(2, [0.7, 0.6]));
    fs.appendFileSync(path.join(liveDir, 'metrics', 'acc'), `${T0 + 2000} 0.3`); // no newline yet
    let r = await rescan(ws);
    let live = runById(r.runs, LIVE);
    assert.deepEqual([live.metrics['loss']!.count, live.metrics['loss']!.last], [4, 0.6]);
    assert.deepEqual([live.metrics['acc']!.count, live.metrics['acc']!.last], [2, 0.2]);
    fs.appendFileSync(path.join(liveDir, 'metrics', 'acc'), ' 2\n');
    endRun(liveDir, 'FINISHED', T0 + 5000);
    r = await rescan(ws);
    live = runById(r.runs, LIVE);
    assert.equal(live.status, 'FINISHED');
    assert.equal(live.endTime, T0 + 5000);
    const detail = ws.store.read((db) => getRun(db, live.uid, ws.store.series))!;
    assert.deepEqual(detail.histories['loss']!.values, [0.9, 0.8, 0.7, 0.6]);
    assert.deepEqual(detail.histories['loss']!.steps, [0, 1, 2, 3]);
    assert.deepEqual(detail.histories['acc']!.values, [0.1, 0.2, 0.3]);
    assert.deepEqual(detail.histories['acc']!.times, [T0, T0 + 1000, T0 + 2000]);
    assert.deepEqual(r.diagnostics, []);
  });

  it('a rewritten (shorter) metric file is read again from its start', async () => {
    const { folder, liveDir } = workspace();
    const { ws } = await scanFolder(folder);
    fs.writeFileSync(path.join(liveDir, 'metrics', 'loss'), `${T0} 0.42 0\n`);
    const r = await rescan(ws);
    assert.deepEqual([runById(r.runs, LIVE).metrics['loss']!.count, runById(r.runs, LIVE).metrics['loss']!.last], [1, 0.42]);
  });

  it('a finished run deleted, renamed or restored in MLflow (meta.yaml rewritten) is read again', async () => {
    const { folder, doneDir } = workspace();
    const { ws } = await scanFolder(folder);
    const meta = path.join(doneDir, 'meta.yaml');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted').replace('run_name: done', 'run_name: done-renamed'));
    const r = await rescan(ws);
    const done = runById(r.runs, DONE);
    assert.equal(done.deleted, true);
    assert.equal(done.name, 'done-renamed');
  });

  it('new runs arrive, removed run folders leave (with their history files)', async () => {
    const { folder, mlruns, doneDir } = workspace();
    const { ws } = await scanFolder(folder);
    const seriesFile = ws.store.series.fileOf('mlruns', DONE);
    assert.ok(fs.existsSync(seriesFile));
    fs.rmSync(doneDir, { recursive: true });
    writeRun(mlruns, { experimentId: '0', runId: '3'.repeat(32), name: 'new', startTime: T0, endTime: T0 + 1 });
    const r = await rescan(ws);
    assert.deepEqual(r.runs.map((x) => x.id).sort(), [LIVE, '3'.repeat(32)]);
    assert.equal(fs.existsSync(seriesFile), false);
  });

  it('a tag added to a finished run is read by a full scan (quick scans look at meta.yaml only)', async () => {
    const { folder, doneDir } = workspace();
    const { ws } = await scanFolder(folder);
    fs.writeFileSync(path.join(doneDir, 'tags', 'reviewed'), 'yes');
    assert.equal(runById((await rescan(ws)).runs, DONE).tags['reviewed'], undefined);
    assert.equal(runById((await rescan(ws, { full: true })).runs, DONE).tags['reviewed'], 'yes');
  });

  it('a lost or damaged history file is reported, and a full scan restores it', async () => {
    const { folder } = workspace();
    const { ws, runs } = await scanFolder(folder);
    fs.writeFileSync(ws.store.series.fileOf('mlruns', DONE), 'garbage');
    const uid = runById(runs, DONE).uid;
    assert.equal(ws.store.read((db) => getRun(db, uid, ws.store.series))!.historiesMissing, true);
    const r = await rescan(ws, { full: true });
    const detail = ws.store.read((db) => getRun(db, runById(r.runs, DONE).uid, ws.store.series))!;
    assert.equal(detail.historiesMissing, false);
    assert.deepEqual(detail.histories['loss']!.values, [0.5]);
  });
});

describe('series of one run sharing their times', () => {
  it('stores a reference instead of times that equal another series plus a constant', () => {
    const times = [T0, T0 + 1012, T0 + 1990, T0 + 3055];
    const steps = [0, 1, 2, 3];
    const run = new Map<string, Series>([
      ['train_loss', { steps, times, values: [0.9, 0.7, 0.6, 0.55] }],
      ['train_acc', { steps, times, values: [0.1, 0.4, 0.6, 0.7] }],
      ['val_loss', { steps, times: times.map((t) => t + 7), values: [1, 0.8, 0.7, 0.65] }],
      ['other', { steps: [0, 1, 2, 4], times, values: [1, 2, 3, 4] }],
    ]);
    const blobs = encodeRunSeries(run);
    assert.ok(blobs.get('train_loss')!.length < blobs.get('other')!.length + 16);
    assert.ok(blobs.get('val_loss')!.length < blobs.get('train_acc')!.length + 12);
    assert.deepEqual(decodeRunSeries(blobs), run);
  });
});
