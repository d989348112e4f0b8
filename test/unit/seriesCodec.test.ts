import assert from 'node:assert/strict';
import { decodeSeries, encodeSeries, summarize, type Series } from '../../src/core/store/seriesCodec';
import { parsePythonFloat } from '../../src/core/util/numbers';
import { prng } from '../../tools/lib/random';

function roundTrip(s: Series): Series {
  return decodeSeries(encodeSeries(s));
}

describe('series codec', () => {
  it('round-trips exact bits: NaN, ±Infinity, -0, subnormals, huge steps and times', () => {
    const s: Series = {
      steps: [0, 5, 7, 2 ** 40, -3],
      times: [1_750_000_000_000, 1_750_000_000_999, 1_750_000_000_999, 1_750_000_100_000, 1_700_000_000_000],
      values: [NaN, Infinity, -Infinity, -0, 5e-324],
    };
    const back = roundTrip(s);
    assert.deepEqual(back.steps, s.steps);
    assert.deepEqual(back.times, s.times);
    assert.ok(Number.isNaN(back.values[0]));
    assert.deepEqual(back.values.slice(1), s.values.slice(1));
    assert.ok(Object.is(back.values[3], -0));
  });

  it('round-trips series without times, empty series, float32 values and long noisy series', () => {
    const rand = prng(7);
    const noisy: Series = { steps: [], times: [], values: [] };
    let t = 1_760_000_000_000;
    for (let i = 0; i < 10_000; i++) {
      noisy.steps.push(i * 10);
      t += 900 + Math.floor(rand() * 200);
      noisy.times!.push(t);
      noisy.values.push(Math.exp(-i / 3000) + (rand() - 0.5) * 0.01);
    }
    for (const s of [
      { steps: [], times: null, values: [] },
      { steps: [1, 2, 3], times: null, values: [0.5, 0.25, 0.125] },
      { steps: [0, 1], times: [10, 20], values: [Math.fround(0.1), Math.fround(0.7)] },
      noisy,
    ] as Series[]) {
      assert.deepEqual(roundTrip(s), s);
    }
    // Compact: far below the 24 bytes a point takes as three doubles.
    assert.ok(encodeSeries(noisy).length < 10_000 * 9, `${encodeSeries(noisy).length} bytes`);
  });

  it('summarizes as MLflow: last = max by (step, timestamp, value); min/max skip NaN', () => {
    const s = summarize({ steps: [0, 2, 2, 1], times: [1, 5, 5, 9], values: [0.9, 0.3, 0.4, NaN] })!;
    assert.deepEqual(s, { count: 4, last: 0.4, lastStep: 2, lastTime: 5, min: 0.3, max: 0.9 });
    assert.equal(summarize({ steps: [], times: null, values: [] }), undefined);
  });
});

describe('Python number spellings', () => {
  it('reads nan, inf, Infinity and padded cells; rejects text', () => {
    assert.ok(Number.isNaN(parsePythonFloat('nan')));
    assert.ok(Number.isNaN(parsePythonFloat('NaN')));
    assert.equal(parsePythonFloat('inf'), Infinity);
    assert.equal(parsePythonFloat('-inf'), -Infinity);
    assert.equal(parsePythonFloat('Infinity'), Infinity);
    assert.equal(parsePythonFloat('  1e-05 '), 1e-5);
    assert.equal(parsePythonFloat('abc'), undefined);
    assert.equal(parsePythonFloat(''), undefined);
  });
});
