// The Compare Runs webview's DOM-free helpers: smoothing, axis scaling, x values and the read-out.
import assert from 'node:assert/strict';
import { formatValue, truncate } from '../../webview/shared/format';
import { axisFor, niceTicks, numericValue, orderCategories } from '../../webview/compare/scales';
import { chartValues, formatDuration, sortedByX, valueAt, xValues } from '../../webview/compare/series';
import { ema } from '../../webview/compare/smoothing';

describe('compare webview helpers', () => {
  it('smooths with a debiased EMA: weight 0 is the identity, the first point is kept, gaps stay gaps', () => {
    const v = Float64Array.from([1, 2, NaN, 3, Infinity, 4]);
    assert.deepEqual(ema(v, 0), [1, 2, null, 3, null, 4]);
    const s = ema(v, 0.6);
    assert.equal(s[0], 1); // debiased: not pulled toward 0
    assert.equal(s[2], null);
    assert.equal(s[4], null);
    // Hand-computed: last = 0.4, 0.4*0.6+0.8 = 1.04 → /(1-0.36) = 1.625
    assert.ok(Math.abs(s[1]! - 1.625) < 1e-12);
    const flat = ema(Float64Array.from({ length: 100 }, () => 5), 0.99);
    assert.ok(flat.every((x) => x !== null && Math.abs(x - 5) < 1e-9), 'a constant stays constant at any weight');
  });

  it('scales numeric params linearly with round ticks, and the rest as ordered categories', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(niceTicks(0.013, 0.097, 5), [0.025, 0.05, 0.075]);
    assert.deepEqual(niceTicks(3, 3), [3]);
    assert.equal(numericValue('1e-5'), 1e-5);
    assert.equal(numericValue('True'), null);
    assert.equal(numericValue(' 3 '), 3);
    assert.equal(numericValue('0x10'), null);
    const lr = axisFor(['0.1', '0.01', null, '0.05']);
    assert.equal(lr.kind, 'numeric');
    assert.equal(lr.position('0.01'), 0);
    assert.equal(lr.position('0.1'), 1);
    assert.equal(lr.position(null), null);
    const one = axisFor(['3', '3']);
    assert.equal(one.position('3'), 0.5, 'a single value sits in the middle');
    const opt = axisFor(['sgd', 'adam', '<script>alert(1)</script>', 'adam']);
    assert.equal(opt.kind, 'categorical');
    assert.deepEqual(opt.kind === 'categorical' && opt.categories, ['<script>alert(1)</script>', 'adam', 'sgd']);
    assert.equal(opt.position('adam'), 0.5);
    assert.deepEqual(orderCategories(['lr10', 'lr2', '3', '10', 'b']), ['3', '10', 'b', 'lr2', 'lr10']);
  });

  it('x values: steps, wall time in seconds, time since the run started; no times, no time axis', () => {
    const s = { steps: Float64Array.from([0, 1, 2]), times: Float64Array.from([10_000, 12_000, 15_000]), values: Float64Array.from([1, 2, 3]) };
    assert.equal(xValues(s, 'step', null), s.steps);
    assert.deepEqual([...xValues(s, 'time', null)!], [10, 12, 15]);
    assert.deepEqual([...xValues(s, 'relative', 9_000)!], [1, 3, 6]);
    assert.deepEqual([...xValues(s, 'relative', null)!], [0, 2, 5]);
    assert.equal(xValues({ ...s, times: null }, 'time', null), null);
  });

  it('chart values: NaN and ±Infinity are gaps, and so is anything ≤ 0 on a log scale', () => {
    assert.deepEqual(chartValues([1, NaN, -Infinity, 0, -2, null], false), [1, null, null, 0, -2, null]);
    assert.deepEqual(chartValues([1, NaN, 0, -2, 3], true), [1, null, null, null, 3]);
  });

  it('sorts x with y alongside when a series is out of order, and reads the value at the cursor', () => {
    const sorted = sortedByX(Float64Array.from([2, 0, 1]), [20, 0, 10]);
    assert.deepEqual([...sorted.x], [0, 1, 2]);
    assert.deepEqual(sorted.y, [0, 10, 20]);
    const xs = [0, 10, 20, 30];
    const ys = [1, null, 3, 4];
    assert.equal(valueAt(xs, ys, -1), undefined, 'before the first point');
    assert.equal(valueAt(xs, ys, 0), 1);
    assert.equal(valueAt(xs, ys, 9.9), 1, 'the last point at or before x');
    assert.equal(valueAt(xs, ys, 15), null, 'a gap');
    assert.equal(valueAt(xs, ys, 35), 4);
    assert.equal(valueAt(xs, ys, 45), undefined, 'well past the run’s last point');
  });

  it('formats durations, values and truncated labels', () => {
    assert.equal(formatDuration(5.25), '5.3s');
    assert.equal(formatDuration(75), '1m 15s');
    assert.equal(formatDuration(3725), '1h 02m');
    assert.equal(formatValue(null), '—');
    assert.equal(formatValue(0.123456789), '0.123457');
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abc', 4), 'abc');
  });
});
