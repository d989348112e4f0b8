// What the engine worker sends the Compare Runs panel (collect.ts) and how the host merges it
// (panelData.ts), on a real MLflow file store scanned into a real store: summaries equal to the
// store's, histories downsampled without losing extremes, a deleted run reported missing.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectComparison, ComparisonCache } from '../../src/core/compare/collect';
import { buildCompareData, compareDataCsv, seriesPoints } from '../../src/core/compare/panelData';
import { getRun } from '../../src/core/store/queries';
import { COMPARE_BUCKETS } from '../../src/shared/compareProtocol';
import { writeExperiment, writeRun, type MetricPoint } from '../../tools/lib/mlflowFiles';
import { rescan, scanFolder } from '../helpers/scan';
import { tempDir } from '../helpers/temp';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

function points(n: number, f: (i: number) => number): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({ timestamp: 1_700_000_000_000 + i * 1000, value: f(i), step: i }));
}

describe('compare: the panel’s data from the store', () => {
  it('summaries, tables and downsampled histories for runs of one folder; a run removed is missing', async () => {
    const folder = tempDir();
    const mlruns = path.join(folder, 'mlruns');
    writeExperiment(mlruns, { id: '0', name: 'Default', creationTime: 1_700_000_000_000 });
    const long = 'x'.repeat(10_000);
    writeRun(mlruns, {
      experimentId: '0',
      runId: A,
      name: '<img src=x onerror=alert(1)>',
      startTime: 1_700_000_000_000,
      params: { lr: '0.1', note: '<script>alert(1)</script>', long },
      metrics: { loss: points(100_000, (i) => (i === 50_000 ? -5 : i === 70_000 ? 9 : 1 / (1 + i))), acc: points(10, (i) => i / 10) },
    });
    writeRun(mlruns, {
      experimentId: '0',
      runId: B,
      name: 'other',
      startTime: 1_700_000_100_000,
      params: { lr: '0.01', long },
      metrics: { loss: points(5, (i) => (i === 2 ? NaN : i === 3 ? Infinity : 0.5)), val_auc: points(3, () => 0.9) },
    });
    const { ws } = await scanFolder(folder);
    const refs = [
      { source: 'mlruns', id: A },
      { source: 'mlruns', id: 'f'.repeat(32) },
      { source: 'mlruns', id: B },
    ];
    const out = ws.store.read((db) => collectComparison(db, ws.store.series, refs, COMPARE_BUCKETS));
    assert.equal(out.length, 3);
    assert.equal(out[1], null, 'an unknown run is null');
    const a = out[0]!;
    const full = ws.store.read((db) => getRun(db, a.summary.uid, ws.store.series))!;
    assert.deepEqual(a.summary.params, full.params);
    assert.deepEqual(a.summary.metrics, full.metrics);
    const loss = a.series.find((s) => s.metric === 'loss')!;
    assert.ok(loss.steps instanceof Float64Array && loss.values instanceof Float64Array && loss.times instanceof Float64Array);
    assert.equal(loss.count, 100_000);
    assert.ok(loss.values.length <= COMPARE_BUCKETS * 4, `${loss.values.length} points kept`);
    assert.ok(loss.values.includes(-5) && loss.values.includes(9), 'the extremes survive downsampling');
    assert.equal(loss.steps[0], 0);
    assert.equal(loss.steps[loss.steps.length - 1], 99_999);
    const bLoss = out[2]!.series.find((s) => s.metric === 'loss')!;
    assert.ok(Number.isNaN(bLoss.values[2]!) && bLoss.values[3] === Infinity, 'non-finite values reach the webview as they are');

    const keyOf = (id: string) => ({ folder: 'file:///ws', source: 'mlruns', id });
    const data = buildCompareData(
      refs.map((r, i) => ({ key: keyOf(r.id), folderName: 'ws', color: i, data: out[i]!, lastLabel: 'gone' })),
      { acc: 'min' },
    );
    assert.deepEqual(data.runs.map((r) => r.label), ['<img src=x onerror=alert(1)>', 'other']);
    assert.deepEqual(data.runs.map((r) => r.color), [0, 2], 'colours stay with their runs');
    assert.deepEqual(data.missing, [{ key: keyOf('f'.repeat(32)), label: 'gone' }]);
    assert.equal(data.keys.length, 3);
    assert.deepEqual(
      data.params.map((p) => [p.key, p.differs]),
      [
        ['long', false],
        ['lr', true],
        ['note', true],
      ],
    );
    const byKey = Object.fromEntries(data.metrics.map((m) => [m.key, m]));
    assert.deepEqual([byKey['loss']!.direction, byKey['loss']!.best], ['min', 0]);
    assert.deepEqual([byKey['acc']!.direction, byKey['acc']!.directionSource], ['min', 'user']);
    assert.equal(byKey['val_auc']!.cells[0], null);
    assert.equal(data.series.filter((s) => s.run === 1).length, 2, 'series point at their run');
    assert.equal(seriesPoints(data), data.series.reduce((n, s) => n + s.values.length, 0));
    const csv = compareDataCsv(data, true);
    assert.match(csv, /^kind,key,<img src=x onerror=alert\(1\)>,other\r\n/);
    assert.doesNotMatch(csv, /^param,long,/m, 'only the params that differ');
    assert.match(compareDataCsv(data, false), /^param,long,x{10000},x{10000}\r$/m);

    assert.equal(data.seriesState, 'included');

    // Summaries only (the tables come first), and the cache: the same arrays while nothing changed.
    const tablesOnly = ws.store.read((db) => collectComparison(db, ws.store.series, refs, 0));
    assert.deepEqual(tablesOnly[0]!.series, []);
    assert.deepEqual(tablesOnly[0]!.summary.params, a.summary.params);
    const cache = new ComparisonCache();
    const first = ws.store.read((db) => collectComparison(db, ws.store.series, refs, COMPARE_BUCKETS, cache));
    const second = ws.store.read((db) => collectComparison(db, ws.store.series, refs, COMPARE_BUCKETS, cache));
    assert.equal(second[0]!.series[0], first[0]!.series[0], 'unchanged runs come from the cache');
    fs.appendFileSync(path.join(mlruns, '0', A, 'metrics', 'acc'), '1700000099000 0.99 10\n');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(mlruns, '0', A, 'meta.yaml'), later, later); // a finished run is re-read when its meta.yaml changes
    await rescan(ws);
    const third = ws.store.read((db) => collectComparison(db, ws.store.series, refs, COMPARE_BUCKETS, cache));
    assert.notEqual(third[0]!.series[0], first[0]!.series[0], 'a run that grew is read again');
    assert.equal(third[0]!.series.find((x) => x.metric === 'acc')!.count, 11);
    assert.equal(third[2]!.series[0], first[2]!.series[0], 'the other run is not');

    // The run's files removed while the panel is open: the next request says it is gone.
    fs.rmSync(path.join(mlruns, '0', B), { recursive: true });
    await rescan(ws);
    const again = ws.store.read((db) => collectComparison(db, ws.store.series, refs, COMPARE_BUCKETS));
    assert.equal(again[2], null);
    assert.ok(again[0]);
  });
});
