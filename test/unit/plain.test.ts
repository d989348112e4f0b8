// The plain convention for hand-written scripts: metrics.json and/or params.yaml (or .json) next
// to model files, on generated folders; what it must not claim; bad input; incremental rescans.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getRun } from '../../src/core/store/queries';
import { rescan, runById, scanFolder } from '../helpers/scan';
import { tempDir, writeFile } from '../helpers/temp';

function plainSources<T extends { kind: string }>(sources: T[]): T[] {
  return sources.filter((s) => s.kind === 'plain');
}

/** A folder a training script wrote: Python's json.dump (NaN bare), a YAML of params, a pickle. */
function script(folder: string): string {
  const dir = path.join(folder, 'experiments', 'rf-baseline');
  writeFile(
    path.join(dir, 'metrics.json'),
    '{"accuracy": 0.93, "loss": NaN, "best": Infinity, "val": {"f1": 0.88, "per_class": [0.5, 0.75]}, "note": "ok", "converged": true}',
  );
  writeFile(path.join(dir, 'params.yaml'), 'model:\n  type: random_forest\n  depth: 12\nlr: 1.0e-3\nseed: 42\nfeatures: [a, b]\nratio: 0.50\n');
  writeFile(path.join(dir, 'model.pkl'), Buffer.alloc(2048, 1));
  writeFile(path.join(dir, 'scaler.joblib'), Buffer.alloc(100, 1));
  writeFile(path.join(dir, 'README.md'), '# notes\n');
  return dir;
}

describe('plain convention', () => {
  it('metrics.json as single points (nested keys joined with /, NaN and Infinity kept), params flattened with ., models as artifacts', async () => {
    const folder = tempDir();
    const dir = script(folder);
    const { runs, summary, diagnostics, ws } = await scanFolder(folder);
    assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['plain', 'experiments/rf-baseline', 1]]);
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, '.');
    assert.equal(run.name, 'rf-baseline');
    assert.equal(run.status, 'FINISHED');
    assert.deepEqual(Object.keys(run.metrics).sort(), ['accuracy', 'best', 'loss', 'val/f1', 'val/per_class/0', 'val/per_class/1']);
    assert.equal(run.metrics['accuracy']!.last, 0.93);
    assert.equal(run.metrics['accuracy']!.lastStep, 0);
    assert.ok(Number.isNaN(run.metrics['loss']!.last));
    assert.equal(run.metrics['best']!.last, Infinity);
    assert.equal(run.metrics['val/per_class/1']!.last, 0.75);
    assert.deepEqual(run.params, {
      'model.type': 'random_forest',
      'model.depth': '12',
      lr: '1.0e-3', // as written
      seed: '42',
      features: '["a","b"]',
      ratio: '0.50',
    });
    const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
    assert.deepEqual(
      detail.artifacts.map((a) => [a.path, a.kind, a.size]),
      [
        ['model.pkl', 'model', 2048],
        ['scaler.joblib', 'model', 100],
      ],
    );
    assert.equal(detail.histories['accuracy']!.times, null);
    // Start and end are the oldest and newest file mtimes.
    const mtimes = ['metrics.json', 'params.yaml', 'model.pkl', 'scaler.joblib'].map((f) => Math.round(fs.statSync(path.join(dir, f)).mtimeMs));
    assert.equal(run.startTime, Math.min(...mtimes));
    assert.equal(run.endTime, Math.max(...mtimes));
  });

  it('params.json alone next to an ONNX model; nothing without a model file; nothing in DVC or MLflow model folders', async () => {
    const folder = tempDir();
    writeFile(path.join(folder, 'a', 'params.json'), '{"epochs": 3, "opt": {"name": "adam", "betas": [0.9, 0.999]}}');
    writeFile(path.join(folder, 'a', 'model.onnx'), Buffer.alloc(10));
    writeFile(path.join(folder, 'no-model', 'metrics.json'), '{"acc": 1}');
    writeFile(path.join(folder, 'dvc', 'dvc.yaml'), 'stages: {}\n');
    writeFile(path.join(folder, 'dvc', 'params.yaml'), 'lr: 0.1\n');
    writeFile(path.join(folder, 'dvc', 'model.pkl'), Buffer.alloc(10));
    writeFile(path.join(folder, 'mlmodel', 'MLmodel'), 'flavors: {}\n');
    writeFile(path.join(folder, 'mlmodel', 'model.pkl'), Buffer.alloc(10));
    writeFile(path.join(folder, 'mlmodel', 'params.json'), '{}');
    const { runs, summary } = await scanFolder(folder);
    assert.deepEqual(plainSources(summary.sources).map((s) => s.path), ['a']);
    const run = runs.find((r) => r.source.kind === 'plain')!;
    assert.deepEqual(run.params, { epochs: '3', 'opt.name': 'adam', 'opt.betas': '[0.9,0.999]' });
    assert.deepEqual(run.metrics, {});
  });

  it('bad input: a JSON syntax error (with its line), an LFS pointer, binary params, a 50 MB line; the rest still ingests', async () => {
    const folder = tempDir();
    const dir = script(folder);
    fs.writeFileSync(path.join(dir, 'metrics.json'), '{\n  "accuracy": 0.93,\n  "loss": 0.1,,\n}\n');
    writeFile(path.join(folder, 'lfs', 'metrics.json'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 99\n');
    writeFile(path.join(folder, 'lfs', 'model.pt'), Buffer.alloc(5));
    writeFile(path.join(folder, 'bin', 'params.yaml'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
    writeFile(path.join(folder, 'bin', 'model.h5'), Buffer.alloc(5));
    writeFile(path.join(folder, 'huge', 'metrics.json'), Buffer.alloc(50 * 1024 * 1024, 0x31)); // one 50 MB line
    writeFile(path.join(folder, 'huge', 'model.keras'), Buffer.alloc(5));
    const { runs, diagnostics, ws } = await scanFolder(folder);
    const syntax = diagnostics.find((d) => d.file === 'experiments/rf-baseline/metrics.json')!;
    assert.equal(syntax.severity, 'error');
    assert.equal(syntax.line, 3);
    assert.match(syntax.message, /invalid JSON/);
    const run = runs.find((r) => r.path === 'experiments/rf-baseline')!;
    assert.deepEqual(run.metrics, {});
    assert.equal(run.params['model.depth'], '12'); // params still read
    assert.match(diagnostics.find((d) => d.file === 'lfs/metrics.json')!.message, /Git LFS pointer/);
    assert.match(diagnostics.find((d) => d.file === 'bin/params.yaml')!.message, /binary data/);
    assert.match(diagnostics.find((d) => d.file === 'huge/metrics.json')!.message, /50 MB/);
    assert.equal(runs.filter((r) => r.source.kind === 'plain').length, 4);
    const again = await rescan(ws);
    assert.deepEqual(plainSources(again.summary.sources).map((s) => s.runsRead), [0, 0, 0, 0]);
    assert.deepEqual(again.diagnostics, diagnostics);
  });

  it('a rescan with no change reads nothing; a rewritten metrics.json or a new model file re-reads the run', async () => {
    const folder = tempDir();
    const dir = script(folder);
    const { ws } = await scanFolder(folder);
    let r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 0);
    fs.writeFileSync(path.join(dir, 'metrics.json'), '{"accuracy": 0.95}');
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 1);
    const run = runById(r.runs, '.');
    assert.deepEqual(Object.keys(run.metrics), ['accuracy']);
    assert.equal(run.metrics['accuracy']!.last, 0.95);
    writeFile(path.join(dir, 'model.safetensors'), Buffer.alloc(7));
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 1);
    const detail = ws.store.read((db) => getRun(db, runById(r.runs, '.').uid, ws.store.series))!;
    assert.deepEqual(detail.artifacts.map((a) => a.path), ['model.pkl', 'model.safetensors', 'scaler.joblib']);
  });
});
