import assert from 'node:assert/strict';
import { buildTables, comparisonCsv, downsample, inferDirection } from '../../src/core/compare/compare';
import type { MetricSummary } from '../../src/core/store/queries';

function m(last: number, min: number | null = last, max: number | null = last): MetricSummary {
  return { last, min, max, lastStep: 9, lastTime: null, count: 10 };
}

describe('compare', () => {
  it('infers the direction of better from metric names', () => {
    for (const k of ['loss', 'val_loss', 'train/loss', 'eval_wer', 'rmse', 'mean_absolute_error', 'perplexity', 'val/box_loss']) assert.equal(inferDirection(k), 'min', k);
    for (const k of ['accuracy', 'val_acc', 'f1', 'eval_auc', 'metrics/mAP50(B)', 'metrics/precision(B)', 'val/top1', 'r2_score', 'eval_rouge1']) assert.equal(inferDirection(k), 'max', k);
  });

  it('tables: params that differ, best run per metric (NaN and Infinity never win), user overrides', () => {
    const runs = [
      { params: { lr: '0.1', depth: '3', note: 'x'.repeat(10_000) }, metrics: { loss: m(0.5), acc: m(0.8), grad: m(NaN, 1, 2) } },
      { params: { lr: '0.01', depth: '3' }, metrics: { loss: m(0.3), acc: m(0.9), grad: m(Infinity, 1, Infinity) } },
      { params: { lr: '0.01', depth: '3', note: 'y' }, metrics: { loss: m(0.4) } },
    ];
    const { params, metrics } = buildTables(runs);
    assert.deepEqual(
      params.map((p) => [p.key, p.differs]),
      [
        ['depth', false],
        ['lr', true],
        ['note', true],
      ],
    );
    assert.equal(params[2]!.values[0]!.length, 10_000);
    const byKey = Object.fromEntries(metrics.map((r) => [r.key, r]));
    assert.deepEqual([byKey['loss']!.direction, byKey['loss']!.best], ['min', 1]);
    assert.deepEqual([byKey['acc']!.direction, byKey['acc']!.best, byKey['acc']!.cells[2]], ['max', 1, null]);
    assert.equal(byKey['grad']!.best, null);
    assert.equal(byKey['grad']!.cells[0]!.lastNonFinite, 'NaN');
    assert.equal(byKey['grad']!.cells[1]!.lastNonFinite, 'Infinity');
    const flipped = buildTables(runs, { loss: 'max' }).metrics.find((r) => r.key === 'loss')!;
    assert.deepEqual([flipped.best, flipped.directionSource], [0, 'user']);
    const csv = comparisonCsv(['a', 'b', 'c'], params, metrics);
    assert.match(csv, /^kind,key,a,b,c\r\n/);
    assert.match(csv, /\r\nparam,lr,0\.1,0\.01,0\.01\r\n/);
    assert.match(csv, /\r\nmetric\.last,grad,NaN,Infinity,\r\n/);
    assert.match(csv, /\r\nmetric\.best,loss,,min,\r\n/);
  });

  it('downsamples a million points to a few per bucket and keeps every extreme and non-finite value', () => {
    const n = 1_000_000;
    const s = { steps: [] as number[], times: null, values: [] as number[] };
    for (let i = 0; i < n; i++) {
      s.steps.push(i);
      s.values.push(Math.sin(i / 5000));
    }
    s.values[123_457] = 42; // a spike
    s.values[777_777] = -42;
    s.values[500_000] = NaN;
    const d = downsample(s, 500);
    assert.ok(d.values.length <= 500 * 4 + 1, `${d.values.length} points`);
    assert.ok(d.values.includes(42) && d.values.includes(-42));
    assert.ok(d.values.some((v) => Number.isNaN(v)));
    assert.equal(d.steps[0], 0);
    assert.equal(d.steps[d.steps.length - 1], n - 1);
    for (let i = 1; i < d.steps.length; i++) assert.ok(d.steps[i]! > d.steps[i - 1]!);
    const small = { steps: [0, 1], times: [1, 2], values: [3, 4] };
    assert.equal(downsample(small, 500), small);
  });
});
