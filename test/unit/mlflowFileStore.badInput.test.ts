// Bad input in an MLflow file store: each case gives a diagnostic naming the file (and line where
// there is one), and every other run still arrives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getRun } from '../../src/core/store/queries';
import { writeExperiment, writeRun, type MetricPoint } from '../../tools/lib/mlflowFiles';
import { runById, scanFolder } from '../helpers/scan';
import { tempDir, writeFile } from '../helpers/temp';

const GOOD = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const BAD = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const T0 = 1_750_000_000_000;

function points(values: number[]): MetricPoint[] {
  return values.map((value, step) => ({ timestamp: T0 + step * 1000, value, step }));
}

/** A workspace with experiment 1 holding one healthy run and one run to spoil. */
function workspace(): { folder: string; mlruns: string; badDir: string } {
  const folder = tempDir();
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default' });
  writeExperiment(mlruns, { id: '1', name: 'exp' });
  writeRun(mlruns, { experimentId: '1', runId: GOOD, name: 'good', startTime: T0, endTime: T0 + 5000, params: { lr: '0.1' }, metrics: { loss: points([0.9, 0.5, 0.3]) } });
  const badDir = writeRun(mlruns, { experimentId: '1', runId: BAD, name: 'bad', startTime: T0 + 10, endTime: T0 + 6000, params: { lr: '0.2' }, metrics: { loss: points([0.8, 0.4]) } });
  return { folder, mlruns, badDir };
}

function assertGoodRunArrived(runs: Awaited<ReturnType<typeof scanFolder>>['runs']): void {
  const good = runById(runs, GOOD);
  assert.equal(good.status, 'FINISHED');
  assert.equal(good.params['lr'], '0.1');
  assert.equal(good.metrics['loss']!.last, 0.3);
}

function rel(folder: string, file: string): string {
  return path.relative(folder, file).split(path.sep).join('/');
}

describe('MLflow file store: bad input', () => {
  it('a truncated run meta.yaml: diagnostic with its line, the run kept with status UNKNOWN', async () => {
    const { folder, badDir } = workspace();
    const meta = path.join(badDir, 'meta.yaml');
    const text = fs.readFileSync(meta, 'utf8');
    fs.writeFileSync(meta, text.slice(0, text.indexOf('lifecycle_stage') + 9)); // cut inside a key
    const { runs, diagnostics } = await scanFolder(folder);
    assertGoodRunArrived(runs);
    const d = diagnostics.find((x) => x.file === rel(folder, meta));
    assert.ok(d, JSON.stringify(diagnostics));
    assert.equal(d.severity, 'error');
    assert.match(d.message, /invalid YAML/);
    assert.equal(typeof d.line, 'number');
    const bad = runById(runs, BAD);
    assert.equal(bad.status, 'UNKNOWN');
    assert.equal(bad.params['lr'], '0.2');
  });

  it('an empty run meta.yaml and an empty experiment meta.yaml', async () => {
    const { folder, mlruns, badDir } = workspace();
    fs.writeFileSync(path.join(badDir, 'meta.yaml'), '');
    writeExperiment(mlruns, { id: '2', name: 'to-empty' });
    writeRun(mlruns, { experimentId: '2', runId: 'c'.repeat(32), name: 'orphan', startTime: T0, endTime: T0 + 1 });
    fs.writeFileSync(path.join(mlruns, '2', 'meta.yaml'), '');
    const { runs, diagnostics } = await scanFolder(folder);
    assertGoodRunArrived(runs);
    assert.ok(diagnostics.some((d) => d.file === rel(folder, path.join(badDir, 'meta.yaml')) && /empty/.test(d.message)));
    assert.ok(diagnostics.some((d) => d.file === 'mlruns/2/meta.yaml' && /empty/.test(d.message)));
    // The run of the experiment with the broken meta.yaml still arrives, under the experiment id.
    const orphan = runById(runs, 'c'.repeat(32));
    assert.equal(orphan.experiment, '2');
    assert.equal(orphan.status, 'FINISHED');
  });

  it('metric lines: a non-numeric value, two fields (legacy), five fields (MLflow 3), four fields, no final newline', async () => {
    const { folder, badDir } = workspace();
    const metrics = path.join(badDir, 'metrics');
    writeFile(path.join(metrics, 'acc'), `${T0} 0.5 0\n${T0 + 1} abc 1\n${T0 + 2} 0.7 2\n`);
    writeFile(path.join(metrics, 'legacy'), `${T0} 0.25\n${T0 + 5} 0.5\n`);
    writeFile(path.join(metrics, 'mlflow3'), `${T0} 0.61 3 eval_ds 1a2b3c\n`);
    writeFile(path.join(metrics, 'four'), `${T0} 0.1 0\n${T0 + 1} 0.2 1 extra\n`);
    writeFile(path.join(metrics, 'cut'), `${T0} 0.1 0\n${T0 + 1} 0.2 1`);
    const { runs, diagnostics, ws } = await scanFolder(folder);
    assertGoodRunArrived(runs);
    const at = (name: string): typeof diagnostics => diagnostics.filter((d) => d.file === rel(folder, path.join(metrics, name)));
    assert.deepEqual(
      at('acc').map((d) => [d.severity, d.line, d.message]),
      [['error', 2, 'value "abc" is not a number']],
    );
    assert.deepEqual(at('legacy'), []);
    assert.deepEqual(at('mlflow3'), []);
    assert.deepEqual(
      at('four').map((d) => [d.line, d.message]),
      [[2, 'expected "timestamp value step" (3 fields, or 2 or 5), found 4 fields']],
    );
    assert.deepEqual(
      at('cut').map((d) => [d.severity, d.line]),
      [['warning', 2]],
    );
    const bad = runById(runs, BAD);
    const detail = ws.store.read((db) => getRun(db, bad.uid, ws.store.series))!;
    assert.deepEqual(detail.histories['acc']!.values, [0.5, 0.7]);
    assert.deepEqual(detail.histories['acc']!.steps, [0, 2]);
    assert.deepEqual(detail.histories['legacy']!.steps, [0, 0]);
    assert.equal(bad.metrics['legacy']!.last, 0.5); // same step: the later timestamp wins
    assert.equal(bad.metrics['mlflow3']!.lastStep, 3);
    assert.deepEqual(detail.histories['four']!.values, [0.1]);
    assert.deepEqual(detail.histories['cut']!.values, [0.1, 0.2]);
  });

  it('nan and inf values are numbers, not errors; min and max skip NaN', async () => {
    const { folder, badDir } = workspace();
    writeFile(path.join(badDir, 'metrics', 'grad_norm'), `${T0} 1.5 0\n${T0 + 1} inf 1\n${T0 + 2} -inf 2\n${T0 + 3} nan 3\n`);
    const { runs, diagnostics, ws } = await scanFolder(folder);
    assert.deepEqual(diagnostics, []);
    const bad = runById(runs, BAD);
    assert.ok(Number.isNaN(bad.metrics['grad_norm']!.last));
    assert.equal(bad.metrics['grad_norm']!.min, -Infinity);
    assert.equal(bad.metrics['grad_norm']!.max, Infinity);
    const h = ws.store.read((db) => getRun(db, bad.uid, ws.store.series))!.histories['grad_norm']!;
    assert.deepEqual(h.values.slice(0, 3), [1.5, Infinity, -Infinity]);
    assert.ok(Number.isNaN(h.values[3]));
  });

  it('a run folder without meta.yaml is kept (status UNKNOWN) with a warning; an empty folder is skipped', async () => {
    const { folder, mlruns, badDir } = workspace();
    fs.rmSync(path.join(badDir, 'meta.yaml'));
    fs.mkdirSync(path.join(mlruns, '1', 'not-a-run'));
    const { runs, diagnostics } = await scanFolder(folder);
    assertGoodRunArrived(runs);
    const bad = runById(runs, BAD);
    assert.equal(bad.status, 'UNKNOWN');
    assert.equal(bad.metrics['loss']!.last, 0.4);
    assert.ok(diagnostics.some((d) => d.file === rel(folder, path.join(badDir, 'meta.yaml')) && d.severity === 'warning'));
    assert.ok(diagnostics.some((d) => d.file === 'mlruns/1/not-a-run' && /not a run/.test(d.message)));
    assert.equal(runs.length, 2);
  });

  it('keys with spaces and nested "/" (metrics/train/loss)', async () => {
    const { folder, mlruns } = workspace();
    writeRun(mlruns, {
      experimentId: '1',
      runId: 'd'.repeat(32),
      name: 'nested',
      startTime: T0,
      endTime: T0 + 1,
      params: { 'model name': 'resnet 50', 'optimizer/lr': '0.01' },
      metrics: { 'train/loss': points([1, 0.5]), 'val accuracy': points([0.7]) },
    });
    const { runs, diagnostics } = await scanFolder(folder);
    assert.deepEqual(diagnostics, []);
    const r = runById(runs, 'd'.repeat(32));
    assert.equal(r.params['model name'], 'resnet 50');
    assert.equal(r.params['optimizer/lr'], '0.01');
    assert.equal(r.metrics['train/loss']!.last, 0.5);
    assert.equal(r.metrics['val accuracy']!.count, 1);
  });

  it('a Windows file:///C:/ artifact URI of a copied store lists the local artifacts', async () => {
    const { folder, badDir } = workspace();
    const meta = path.join(badDir, 'meta.yaml');
    fs.writeFileSync(
      meta,
      fs.readFileSync(meta, 'utf8').replace(/^artifact_uri: .*$/m, `artifact_uri: file:///C:/Users/Jane%20Doe/proj/mlruns/1/${BAD}/artifacts`),
    );
    writeFile(path.join(badDir, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');
    writeFile(path.join(badDir, 'artifacts', 'model', 'model.pkl'), 'x'.repeat(42));
    const { runs, diagnostics, ws } = await scanFolder(folder);
    assert.deepEqual(diagnostics, []);
    const detail = ws.store.read((db) => getRun(db, runById(runs, BAD).uid, ws.store.series))!;
    assert.equal(detail.artifactUri, `file:///C:/Users/Jane%20Doe/proj/mlruns/1/${BAD}/artifacts`);
    assert.deepEqual(detail.artifacts, [
      { path: 'model', kind: 'model', size: null },
      { path: 'model/MLmodel', kind: 'file', size: 12 },
      { path: 'model/model.pkl', kind: 'file', size: 42 },
    ]);
  });

  it('an artifact URI pointing outside the workspace is not followed', async () => {
    const { folder, badDir } = workspace();
    const outside = tempDir('mlcycle-outside-');
    writeFile(path.join(outside, 'secret.txt'), 'do not list me');
    const meta = path.join(badDir, 'meta.yaml');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(/^artifact_uri: .*$/m, `artifact_uri: file://${outside}`));
    const { runs, ws } = await scanFolder(folder);
    const detail = ws.store.read((db) => getRun(db, runById(runs, BAD).uid, ws.store.series))!;
    assert.deepEqual(detail.artifacts, []);
  });

  it('a symbolic link loop is reported and the scan completes', async () => {
    const { folder, mlruns } = workspace();
    fs.mkdirSync(path.join(folder, 'data'));
    fs.symlinkSync('..', path.join(folder, 'data', 'loop'));
    fs.symlinkSync(path.join(mlruns, '1'), path.join(mlruns, '1', GOOD, 'artifacts', 'up')); // a loop inside artifacts
    const { runs, diagnostics } = await scanFolder(folder);
    assertGoodRunArrived(runs);
    assert.ok(diagnostics.some((d) => d.file === 'data/loop' && /loop/.test(d.message)), JSON.stringify(diagnostics));
    assert.equal(runs.length, 2);
  });

  it('an unreadable folder is reported and everything else still arrives', async function () {
    const { folder, mlruns } = workspace();
    writeExperiment(mlruns, { id: '7', name: 'locked' });
    writeRun(mlruns, { experimentId: '7', runId: 'e'.repeat(32), name: 'locked-run', startTime: T0, endTime: T0 + 1 });
    fs.chmodSync(path.join(mlruns, '7'), 0o000);
    try {
      if (process.getuid?.() === 0) {
        // root reads anything: run the CLI as an unprivileged user so permissions apply for real.
        for (const p of [folder, mlruns, path.join(mlruns, '0'), path.join(mlruns, '1')]) fs.chmodSync(p, 0o777);
        fs.chmodSync(os.tmpdir(), fs.statSync(os.tmpdir()).mode);
        fs.chmodSync(path.dirname(folder), 0o1777);
        const nobody = 65534;
        spawnChownTree(folder, mlruns, nobody);
        const res = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.resolve('src/cli/bin.ts'), 'scan', folder, '--json'], {
          uid: nobody,
          gid: nobody,
          encoding: 'utf8',
          cwd: path.resolve('.'),
          env: { ...process.env, HOME: folder, TSX_TSCONFIG_PATH: path.resolve('tsconfig.json') },
        });
        if (res.error && (res.error as NodeJS.ErrnoException).code === 'EPERM') this.skip();
        assert.equal(res.status, 0, res.stderr);
        const out = JSON.parse(res.stdout) as { sources: { runs: number }[]; diagnostics: { file: string; message: string }[] };
        assert.equal(out.sources[0]!.runs, 2);
        assert.ok(out.diagnostics.some((d) => d.file === 'mlruns/7' && /permission denied/.test(d.message)), res.stdout);
      } else {
        const { runs, diagnostics } = await scanFolder(folder);
        assertGoodRunArrived(runs);
        assert.ok(diagnostics.some((d) => d.file === 'mlruns/7' && /permission denied/.test(d.message)));
      }
    } finally {
      fs.chmodSync(path.join(mlruns, '7'), 0o755);
    }
  });
});

/** Gives the workspace (but not the locked experiment's contents) to an unprivileged user. */
function spawnChownTree(folder: string, mlruns: string, uid: number): void {
  const locked = path.join(mlruns, '7');
  const walk = (p: string): void => {
    fs.lchownSync(p, uid, uid);
    if (p === locked) return;
    if (fs.lstatSync(p).isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(folder);
}
