// The `mlcycle` executable as users run it: the bundled dist/cli.js under plain Node.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDemoWorkspace } from '../../tools/lib/demoWorkspace';
import { writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { corpusWorkspace } from '../helpers/corpus';
import { tempDir } from '../helpers/temp';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function mlcycle(...args: string[]): Result {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(...args: string[]): T {
  const r = mlcycle(...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

interface RunJson {
  id: string;
  name: string | null;
  experiment: string | null;
  source: { kind: string; path: string };
  status: string;
  startTime: string | null;
  endTime: string | null;
  params: Record<string, string>;
  metrics: Record<string, { last: number | string; min: number | string | null; max: number | string | null; lastStep: number; count: number; history?: { step: number; timestamp: string | null; value: number | string }[] }>;
  tags: Record<string, string>;
  parentId: string | null;
  deleted: boolean;
}

describe('mlcycle CLI', function () {
  this.timeout(120_000);

  before(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'esbuild.mjs')], { cwd: ROOT, stdio: 'inherit' });
  });

  it('prints help, and exits 2 on usage errors and 1 on failures', () => {
    const help = mlcycle('--help');
    assert.equal(help.code, 0);
    for (const c of ['scan', 'runs', 'show', 'models', 'compare', 'watch']) assert.match(help.stdout, new RegExp(`\\n  ${c} `));
    for (const c of ['scan', 'runs', 'show', 'models']) {
      const r = mlcycle(c, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^mlcycle ${c}`));
    }
    assert.equal(mlcycle().code, 2);
    assert.equal(mlcycle('frobnicate').code, 2);
    const badOption = mlcycle('runs', '--colour');
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Unknown option '--colour'/);
    assert.equal(mlcycle('show').code, 2);
    const missing = mlcycle('runs', path.join(tempDir(), 'nope'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /folder not found/);
    const noRun = mlcycle('show', 'deadbeef', tempDir());
    assert.equal(noRun.code, 1);
    assert.match(noRun.stderr, /no run matches "deadbeef"/);
  });

  it('scan prints sources, runs per source and diagnostics naming file and line; a rescan reads nothing', async () => {
    const folder = path.join(tempDir(), 'demo');
    const demo = await writeDemoWorkspace(folder);
    const first = mlcycle('scan', folder);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /9 sources found/);
    assert.match(first.stdout, /mlflow-sqlite\s+fraud\/mlflow\.db\s+3\s+3\s+0/);
    assert.match(first.stdout, /mlflow\s+mlruns\s+11\s+11\s+1/);
    const rel = path.relative(folder, demo.malformedFile).split(path.sep).join('/');
    assert.ok(first.stdout.includes(`error   ${rel}:2  value "0.9x3" is not a number`), first.stdout);
    const again = json<{ sources: { kind: string; runs: number; runsRead: number }[] }>('scan', folder, '--json');
    assert.deepEqual(
      again.sources.map((s) => [s.kind, s.runs, s.runsRead]),
      [
        ['huggingface', 1, 0],
        ['dvc', 1, 0],
        ['mlflow-sqlite', 3, 0],
        ['keras', 1, 0],
        ['lightning', 2, 0],
        ['mlflow', 11, 0],
        ['plain', 1, 0],
        ['ultralytics', 1, 0],
        ['tensorboard', 1, 0],
      ],
    );
  });

  it('runs --json gives the documented objects, NaN and Infinity as strings, deleted runs on request', () => {
    const folder = tempDir();
    const mlruns = path.join(folder, 'mlruns');
    writeExperiment(mlruns, { id: '0', name: 'Default' });
    writeExperiment(mlruns, { id: '5', name: 'vision' });
    const parent = '1'.repeat(32);
    writeRun(mlruns, { experimentId: '5', runId: parent, name: 'sweep', startTime: 1_750_000_000_000, endTime: 1_750_000_060_000, params: { trials: '2' } });
    writeRun(mlruns, {
      experimentId: '5',
      runId: '2'.repeat(32),
      name: 'trial-a',
      parentRunId: parent,
      startTime: 1_750_000_001_000,
      endTime: 1_750_000_031_000,
      params: { lr: '0.01', 'model name': 'resnet 18' },
      tags: { team: 'vision' },
      metrics: {
        loss: [
          { timestamp: 1_750_000_002_000, value: 0.9, step: 0 },
          { timestamp: 1_750_000_003_000, value: 0.4, step: 1 },
          { timestamp: 1_750_000_004_000, value: 0.55, step: 2 },
        ],
        grad: [
          { timestamp: 1_750_000_002_000, value: Infinity, step: 0 },
          { timestamp: 1_750_000_003_000, value: NaN, step: 1 },
        ],
      },
    });
    writeRun(mlruns, { experimentId: '5', runId: '3'.repeat(32), name: 'oops', deleted: true, status: 'KILLED', startTime: 1_740_000_000_000, endTime: 1_740_000_000_500 });
    const runs = json<RunJson[]>('runs', folder, '--json');
    assert.deepEqual(
      runs.map((r) => r.id),
      ['2'.repeat(32), parent],
    );
    const trial = runs[0]!;
    assert.deepEqual(trial, {
      id: '2'.repeat(32),
      name: 'trial-a',
      experiment: 'vision',
      source: { kind: 'mlflow', path: 'mlruns' },
      status: 'FINISHED',
      startTime: '2025-06-15T15:06:41.000Z',
      endTime: '2025-06-15T15:07:11.000Z',
      params: { lr: '0.01', 'model name': 'resnet 18' },
      metrics: {
        grad: { last: 'NaN', min: 'Infinity', max: 'Infinity', lastStep: 1, count: 2 },
        loss: { last: 0.55, min: 0.4, max: 0.9, lastStep: 2, count: 3 },
      },
      tags: { 'mlflow.runName': 'trial-a', 'mlflow.user': 'alice', 'mlflow.parentRunId': parent, team: 'vision' },
      parentId: parent,
      deleted: false,
      path: `mlruns/5/${'2'.repeat(32)}`,
      git: { commit: null, branch: null, dirty: null, remote: null },
    });
    const all = json<RunJson[]>('runs', folder, '--json', '--deleted', '--no-scan');
    const deleted = all.find((r) => r.id === '3'.repeat(32))!;
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.status, 'KILLED');

    const table = mlcycle('runs', folder, '--no-scan');
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^ID\s+NAME\s+EXPERIMENT\s+STATUS\s+STARTED\s+TIME\s+METRICS/);
    assert.match(table.stdout, /222222222222\s+trial-a\s+vision\s+FINISHED\s+2025-06-15 15:06\s+30s\s+grad=NaN loss=0\.55/);
  });

  it('show prints a run with full histories (by id, prefix or name); an ambiguous prefix fails with the candidates', () => {
    const folder = corpusWorkspace('mlflow', '10-Academy-Batch-4-Week-4__Swahili-Speech-To-Text');
    const run = json<RunJson>('show', 'ed05f9cd', folder, '--json');
    assert.equal(run.id, 'ed05f9cd599442fe9a0c9222184710b8');
    const history = run.metrics['loss']!.history!;
    assert.equal(history.length, 10);
    assert.deepEqual(history[9], { step: 9, timestamp: '2021-08-11T16:03:47.236Z', value: 234.7978057861328 });
    const text = mlcycle('show', 'ed05f9cd599442fe9a0c9222184710b8', folder, '--no-scan');
    assert.equal(text.code, 0);
    assert.match(text.stdout, /History of loss \(10 points\):/);
    assert.match(text.stdout, /model\/MLmodel/);

    const kobe = corpusWorkspace('mlflow', 'LucasGasparello__KobeDatasetMlflow');
    const byName = json<RunJson>('show', 'Treinamento', kobe, '--json');
    assert.equal(byName.id, 'd4776bb367ce4bce888d188b4c13c48c');
    const ambiguous = mlcycle('show', 'Logistic Regression', kobe, '--no-scan');
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /matches 3 runs; give more of the id:\n {2}6d23471ad2f74e5988838f249d418597 /);
  });

  it('models lists MLflow registries with versions, stages and aliases', async () => {
    const folder = path.join(tempDir(), 'demo');
    await writeDemoWorkspace(folder);
    const models = json<{ name: string; aliases: Record<string, number>; versions: { version: number; stage: string; aliases: string[] }[] }[]>(
      'models',
      folder,
      '--json',
    );
    assert.equal(models.length, 1);
    assert.equal(models[0]!.name, 'churn-classifier');
    assert.deepEqual(models[0]!.aliases, { champion: 2, previous: 1 });
    assert.deepEqual(
      models[0]!.versions.map((v) => [v.version, v.stage, v.aliases]),
      [
        [1, 'Archived', ['previous']],
        [2, 'Production', ['champion']],
      ],
    );
  });

  it('compare prints params that differ and the best run per metric, as text, JSON and CSV', async () => {
    const folder = path.join(tempDir(), 'demo');
    await writeDemoWorkspace(folder);
    const text = mlcycle('compare', 'gbt-tuned', 'gbt-deep', 'baseline-logreg', '--dir', folder);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Params that differ \(2 of 5\):/);
    assert.match(text.stdout, /learning_rate\s+0\.03\s+0\.05\s+0\.1/);
    const cmp = json<{ runs: { name: string }[]; params: { key: string; differs: boolean }[]; metrics: { key: string; direction: string; best: string | null }[] }>(
      'compare', 'gbt-tuned', 'gbt-deep', '--dir', folder, '--json', '--no-scan',
    );
    assert.deepEqual(cmp.runs.map((r) => r.name), ['gbt-tuned', 'gbt-deep']);
    const loss = cmp.metrics.find((m) => m.key === 'train_loss')!;
    assert.equal(loss.direction, 'min');
    const tuned = json<RunJson[]>('runs', folder, '--json', '--no-scan').find((r) => r.name === 'gbt-tuned')!;
    assert.equal(loss.best, tuned.id);
    const csv = mlcycle('compare', 'gbt-tuned', 'gbt-deep', '--dir', folder, '--csv', '--no-scan');
    assert.match(csv.stdout, /^kind,key,gbt-tuned,gbt-deep\r?\n/);
    assert.equal(mlcycle('compare', 'gbt-tuned', '--dir', folder).code, 2);
  });

  it('runs --json covers every source kind of the corpus, source.kind naming the reader', () => {
    const folder = corpusWorkspace();
    const runs = json<RunJson[]>('runs', folder, '--json');
    assert.deepEqual(
      [...new Set(runs.map((r) => r.source.kind))].sort(),
      ['dvc', 'huggingface', 'keras', 'lightning', 'mlflow', 'tensorboard', 'ultralytics'],
    );
    const yolo = runs.find((r) => r.source.kind === 'ultralytics' && r.source.path.includes('Resume_OCR_YOLOv11'))!;
    assert.equal(yolo.experiment, 'detect');
    assert.ok(Object.keys(yolo.metrics).includes('metrics/mAP50(B)'));
  });

  it('never writes into the scanned tree except .mlcycle/', async () => {
    const folder = path.join(tempDir(), 'demo');
    await writeDemoWorkspace(folder);
    const before = listTree(folder);
    assert.equal(mlcycle('scan', folder).code, 0);
    const added = listTree(folder).filter((p) => !before.includes(p));
    assert.ok(added.length > 0 && added.every((p) => p.startsWith('.mlcycle')), added.join(', '));
  });
});

function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      out.push(path.relative(root, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}
