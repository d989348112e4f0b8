// The benchmark's workload generator writes what MLflow writes, and MLCycle reads all of it back.
// (The benchmark's timings are never asserted in tests: see bench/ingest.ts and docs/BENCHMARKS.md.)
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedCounts, generateMlruns, pythonFloatRepr, pyyamlScalar, type MlrunsOptions } from '../../bench/lib/mlrunsGenerator';
import { readFloor, statFloor, walkFloor } from '../../bench/lib/floors';
import { Workspace } from '../../src/core/workspace';
import { tempDir } from '../helpers/temp';

describe('bench workload generator', () => {
  it("formats floats as Python's repr()", () => {
    // Expected strings printed by CPython 3.11's repr().
    const cases: [number, string][] = [
      [400, '400.0'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [0.0001, '0.0001'],
      [1e-5, '1e-05'],
      [1.5e-5, '1.5e-05'],
      [-3e-5, '-3e-05'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [-0, '-0.0'],
      [NaN, 'nan'],
      [-Infinity, '-inf'],
      [123456789012345680, '1.2345678901234568e+17'],
      [2.5e-7, '2.5e-07'],
      [1e22, '1e+22'],
      [0.6931471805599453, '0.6931471805599453'],
    ];
    for (const [x, want] of cases) assert.equal(pythonFloatRepr(x), want, `repr(${x})`);
  });

  it("quotes scalars as PyYAML's safe_dump does", () => {
    assert.equal(pyyamlScalar('0'), "'0'");
    assert.equal(pyyamlScalar('606783375233873416'), "'606783375233873416'");
    assert.equal(pyyamlScalar(''), "''");
    assert.equal(pyyamlScalar('1.5'), "'1.5'");
    assert.equal(pyyamlScalar('true'), "'true'");
    assert.equal(pyyamlScalar('burly-owl-617'), 'burly-owl-617');
    assert.equal(pyyamlScalar('Credit Risk Model'), 'Credit Risk Model');
    assert.equal(pyyamlScalar('file:///home/u/mlruns/0'), 'file:///home/u/mlruns/0');
    assert.equal(pyyamlScalar(null), 'null');
    assert.equal(pyyamlScalar([]), '[]');
    assert.equal(pyyamlScalar(1721450907221), '1721450907221');
  });

  it('writes the expected layout, and a scan stores every run, param, tag and point', async () => {
    const options: MlrunsOptions = { runs: 12, experiments: 3, params: 20, metrics: 10, steps: 7, tags: 5, seed: 3 };
    const folder = tempDir();
    const mlruns = path.join(folder, 'mlruns');
    const summary = generateMlruns(mlruns, options);
    const expected = expectedCounts(options);
    assert.deepEqual(
      { runs: summary.runs, experiments: summary.experiments, files: summary.files, folders: summary.folders, points: summary.points },
      expected,
    );

    // Same seed, same content.
    const again = path.join(tempDir(), 'mlruns');
    generateMlruns(again, options);
    const runDir = fs.readdirSync(path.join(mlruns, '0')).find((n) => /^[0-9a-f]{32}$/.test(n))!;
    for (const f of ['metrics/train_loss', 'params/train_transforms', 'tags/mlflow.source.git.commit']) {
      assert.equal(fs.readFileSync(path.join(again, '0', runDir, f), 'utf8'), fs.readFileSync(path.join(mlruns, '0', runDir, f), 'utf8'));
    }
    const meta = fs.readFileSync(path.join(mlruns, '0', runDir, 'meta.yaml'), 'utf8').split('\n');
    assert.deepEqual(
      meta.filter((l) => l !== '').map((l) => l.split(':')[0]),
      ['artifact_uri', 'end_time', 'entry_point_name', 'experiment_id', 'lifecycle_stage', 'run_id', 'run_name', 'run_uuid',
        'source_name', 'source_type', 'source_version', 'start_time', 'status', 'tags', 'user_id'],
    );
    assert.ok(meta.includes("experiment_id: '0'"));
    const line = fs.readFileSync(path.join(mlruns, '0', runDir, 'metrics', 'train_loss'), 'utf8').split('\n')[0]!;
    assert.match(line, /^\d{13} \d+\.\d+(e-\d\d)? 0$/);

    // The floors see the same store.
    const floor = readFloor(mlruns);
    assert.equal(floor.runs, expected.runs);
    assert.equal(floor.points, expected.points);
    assert.equal(floor.files, expected.files);
    assert.equal(statFloor(mlruns).files, expected.files);
    assert.equal(walkFloor(mlruns).folders, expected.folders + 1); // the walk counts mlruns/ itself

    const ws = await Workspace.open(folder);
    try {
      await ws.ingestor.scan();
      const one = (sql: string): number => Number(ws.store.read((db) => db.exec(sql)[0]?.values[0]?.[0] ?? 0));
      assert.equal(one('SELECT count(*) FROM runs'), options.runs);
      assert.equal(one('SELECT count(*) FROM experiments'), options.experiments);
      assert.equal(one('SELECT count(*) FROM params'), options.runs * options.params);
      assert.equal(one('SELECT count(*) FROM tags'), options.runs * options.tags);
      assert.equal(one('SELECT sum(count) FROM metrics'), expected.points);
      assert.equal(one('SELECT count(*) FROM diagnostics'), 0);
    } finally {
      ws.close();
    }
  });
});
