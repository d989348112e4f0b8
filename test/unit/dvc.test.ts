// The DVC / DVCLive adapter on every DVC source of the shared corpus (real projects written by DVC
// 2.x–3.x and DVCLive 0.x–3.x), on broken copies, and across incremental rescans. Expected values
// were read from the files themselves; where cheap, the test reads the raw file as well.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getRun, type RunSummary } from '../../src/core/store/queries';
import type { Series } from '../../src/core/store/seriesCodec';
import type { Workspace } from '../../src/core/workspace';
import { corpusPath, corpusWorkspace, readCorpus } from '../helpers/corpus';
import { rescan, runById, scanFolder, type ScanResult } from '../helpers/scan';
import { copyTree, tempDir, writeFile } from '../helpers/temp';

const DVC = 'dvc';

function history(ws: Workspace, run: RunSummary, key: string): Series {
  const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
  const h = detail.histories[key];
  assert.ok(h, `no history ${key} in ${Object.keys(detail.histories).join(', ')}`);
  return h;
}

interface Edge {
  from: string;
  fromKind: string;
  fromHash: string | null;
  relation: string;
  to: string;
  toKind: string;
  toHash: string | null;
  meta: Record<string, unknown> | null;
}

/**
 * The lineage edges, with the keys of source-scoped nodes (stages, params, models: stored as
 * `<source path>:<key>`) shown relative to their source, as the adapter named them.
 */
function lineage(ws: Workspace): Edge[] {
  const rows = ws.store.read((db) =>
    db.exec('SELECT l.from_kind, l.from_key, l.from_hash, l.relation, l.to_kind, l.to_key, l.to_hash, l.meta, s.path FROM lineage l JOIN sources s ON s.id = l.source_id ORDER BY l.rowid'),
  );
  const local = (kind: unknown, key: unknown, source: unknown): string => {
    const k = String(key);
    if (kind === 'file' || kind === 'dir' || kind === 'run') return k;
    assert.ok(k.startsWith(`${String(source)}:`), `${k} is not scoped to its source ${String(source)}`);
    return k.slice(String(source).length + 1);
  };
  return (rows[0]?.values ?? []).map(([fromKind, from, fromHash, relation, toKind, to, toHash, meta, source]) => ({
    fromKind: String(fromKind),
    from: local(fromKind, from, source),
    fromHash: fromHash === null ? null : String(fromHash),
    relation: String(relation),
    toKind: String(toKind),
    to: local(toKind, to, source),
    toHash: toHash === null ? null : String(toHash),
    meta: meta === null ? null : (JSON.parse(String(meta)) as Record<string, unknown>),
  }));
}

function only(r: ScanResult | Awaited<ReturnType<typeof rescan>>): { runs: number; runsRead: number; kind: string; path: string } {
  assert.equal(r.summary.sources.length, 1, JSON.stringify(r.summary.sources));
  const s = r.summary.sources[0]!;
  assert.equal(s.error, undefined);
  return s;
}

describe('DVC / DVCLive: real corpus', () => {
  it('measuring-quality-of-life (DVCLive 3.x, Keras): dvclive/ and its nested fold_0..4 are six runs', async () => {
    const folder = corpusWorkspace(DVC, 'Emily-RoseSteyn__measuring-quality-of-life-gauteng');
    const r = await scanFolder(folder);
    const source = only(r);
    assert.deepEqual([source.kind, source.path, source.runs], ['dvc', 'Emily-RoseSteyn__measuring-quality-of-life-gauteng', 6]);
    assert.deepEqual(r.runs.map((x) => x.id).sort(), ['dvclive', 'dvclive/fold_0', 'dvclive/fold_1', 'dvclive/fold_2', 'dvclive/fold_3', 'dvclive/fold_4']);
    assert.deepEqual(r.diagnostics, []);

    // Each fold is its own run, nested under the final one, with its own history length.
    const counts = ['fold_0', 'fold_1', 'fold_2', 'fold_3', 'fold_4'].map((f) => runById(r.runs, `dvclive/${f}`).metrics['train/loss']!.count);
    assert.deepEqual(counts, [37, 51, 46, 44, 40]);
    const fold0 = runById(r.runs, 'dvclive/fold_0');
    assert.equal(fold0.parentId, 'dvclive');
    assert.equal(fold0.status, 'FINISHED');
    assert.equal(Object.keys(fold0.metrics).length, 12);
    const r2 = history(r.ws, fold0, 'eval/r2_score');
    assert.equal(r2.steps[1], 1);
    assert.equal(r2.values[1], -71.35050964355469); // fold_0/plots/metrics/eval/r2_score.tsv line 3
    assert.equal(r2.values[36], -71.3502426147461);
    assert.equal(r2.times, null); // Keras callback: no timestamp column
    assert.equal(history(r.ws, runById(r.runs, 'dvclive/fold_3'), 'eval/r2_score').values[4], -78.28850555419922);

    const final = runById(r.runs, 'dvclive');
    assert.equal(final.parentId, null);
    assert.equal(final.metrics['eval/r2_score']!.last, Number('-73.62197875976562')); // negative r2_score, as the TSV spells it
    assert.equal(final.metrics['eval/r2_score']!.count, 1);
    // The project's params.yaml, nested keys dotted, quoted 'all' and comments ignored.
    assert.equal(final.params['train.learning_rate'], '0.0001');
    assert.equal(final.params['preprocessing.year'], 'all');
    assert.equal(final.params['model.resnet50v2.activation'], 'sigmoid');
    assert.equal(final.params['split.group_by_ward'], 'true');
    assert.equal(fold0.params['train.epochs'], '100');
    // outputs/eval/metrics.json is a project metrics file: with DVCLive folders present there is
    // no project run to carry it.
    assert.equal(r.runs.some((x) => 'test_compile_metrics' in x.metrics), false);

    // dvc.yaml artifacts: models, with the dvc.lock hash where the lock has one.
    const edges = lineage(r.ws);
    const final2 = edges.find((e) => e.fromKind === 'model' && e.from === 'final');
    assert.ok(final2);
    assert.deepEqual([final2.relation, final2.to, final2.toHash], ['artifact', 'Emily-RoseSteyn__measuring-quality-of-life-gauteng/outputs/model/final.keras', 'md5:2e0cf650a376ce3fdd648a396ce64c58']);
    assert.equal(edges.filter((e) => e.fromKind === 'model').length, 7);
  });

  it('dvclive-exp-tracking (DVCLive 2.x, no DVC project): the log folder’s parent is the source, epoch.tsv is a metric', async () => {
    const folder = corpusWorkspace(DVC, 'iterative__dvclive-exp-tracking');
    const r = await scanFolder(folder);
    const source = only(r);
    assert.deepEqual([source.path, source.runs], ['iterative__dvclive-exp-tracking', 1]);
    const run = runById(r.runs, 'dvclive');
    assert.equal(run.path, 'iterative__dvclive-exp-tracking/dvclive');
    assert.deepEqual(run.params, { encoder_size: '64', lr: '0.001' });
    assert.deepEqual(Object.keys(run.metrics).sort(), ['epoch', 'train/loss']); // top-level "step" is not a metric
    const loss = history(r.ws, run, 'train/loss');
    assert.equal(loss.values.length, 20);
    assert.deepEqual(loss.steps.slice(0, 3), [49, 99, 149]);
    assert.equal(loss.values[loss.steps.indexOf(549)], 0.046842802315950394);
    assert.equal(run.metrics['train/loss']!.last, 0.05616318807005882);
    assert.equal(run.metrics['train/loss']!.lastStep, 999);
    assert.deepEqual(history(r.ws, run, 'epoch').values.slice(-2), [4, 4]);
    assert.deepEqual(r.diagnostics, []);
  });

  it('dvclive-optuna: the renamed log folder dvclive-optuna is a run; its artifacts and .dvc pointers become lineage', async () => {
    const folder = corpusWorkspace(DVC, 'tibor-mach__dvclive-optuna');
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 1);
    const run = runById(r.runs, 'dvclive-optuna');
    // Project params.yaml and the run's own params.yaml.
    assert.deepEqual(run.params, { seed: '43', n_trials: '20', learning_rate: '0.7646960397142553', n_estimators: '80' });
    assert.equal(run.metrics['recall']!.last, 0.9495798319327731);
    assert.equal(run.metrics['precision']!.last, 0.9186991869918699);
    assert.equal(run.metrics['recall']!.count, 1);
    assert.deepEqual(r.diagnostics, []);

    const edges = lineage(r.ws);
    const model = edges.find((e) => e.fromKind === 'model' && e.relation === 'artifact');
    assert.ok(model);
    assert.deepEqual([model.from, model.to, model.toHash], ['dvclive-optuna:model', 'tibor-mach__dvclive-optuna/dvclive-optuna/model.pkl', 'md5:2e77f899cff4cde2ef0d9677244e54ea']);
    assert.ok(edges.some((e) => e.fromKind === 'run' && e.from === 'tibor-mach__dvclive-optuna#dvclive-optuna' && e.relation === 'produced' && e.to === 'dvclive-optuna:model'));
    // dvc.lock without `hash:` (DVC 2.x): deps still carry their md5.
    const dep = edges.find((e) => e.relation === 'dep' && e.from.endsWith('/dvclive_optuna.py'));
    assert.deepEqual([dep?.fromHash, dep?.to], ['md5:95f163397d3ddcbfcbb1158d7b6318da', 'dvc.yaml:dvc_optuna']);
    // The study is not a model (type dvclive-experiments): only its file, produced by the run.
    assert.equal(edges.some((e) => e.from.endsWith(':study')), false);
    assert.ok(edges.some((e) => e.relation === 'produced' && e.to === 'tibor-mach__dvclive-optuna/dvclive-optuna/study.pkl' && e.toHash === 'md5:0d0ba1d4314bca4bb8ad47cb6a76427f'));
  });

  it('fastai demo (DVCLive 3.x): 3 steps, nested and flat summary keys, a Python repr param stays text', async () => {
    const folder = corpusWorkspace(DVC, 'ankxyz__fastai-with-dvclive-demo');
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 1);
    const run = runById(r.runs, 'dvclive');
    assert.equal(run.params['transforms'], "[Pipeline: PILBase.create, Pipeline: parent_label -> Categorize -- {'vocab': None, 'sort': True, 'add_na': False}]");
    assert.equal(run.params['frozen'], 'false');
    assert.equal(run.params['batch_size'], '8');
    assert.deepEqual(Object.keys(run.metrics).sort(), ['accuracy', 'error_rate', 'eval/loss', 'train/loss']);
    assert.deepEqual(history(r.ws, run, 'train/loss'), { steps: [0, 1, 2], times: null, values: [0.9541604518890381, 0.82637619972229, 0.8826702237129211] });
    assert.equal(run.metrics['accuracy']!.last, 0.9285714030265808);
    assert.deepEqual(r.diagnostics, []);
    // The duplicated dvclive/dvc.yaml entries (a DVCLive bug) do not duplicate anything.
    assert.equal(lineage(r.ws).length, 2);
  });

  it('test_img_clf (DVCLive 0.x): dvclive.json + scalars/*.tsv with timestamps, CRLF lines', async () => {
    const folder = corpusWorkspace(DVC, 'deep-diver__test_img_clf');
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 1);
    const run = runById(r.runs, 'dvclive');
    assert.equal(readCorpus(DVC, 'deep-diver__test_img_clf/dvclive/scalars/loss.tsv'), 'timestamp\tstep\tloss\r\n1653669443083\t0\t12.44875717163086\r\n');
    assert.deepEqual(history(r.ws, run, 'loss'), { steps: [0], times: [1653669443083], values: [12.44875717163086] });
    assert.deepEqual(Object.keys(run.metrics).sort(), ['loss', 'sparse_categorical_accuracy', 'val_loss', 'val_sparse_categorical_accuracy']);
    assert.equal(run.metrics['val_sparse_categorical_accuracy']!.last, 0.125);
    // Times come from the TSV timestamps.
    assert.deepEqual([run.startTime, run.endTime], [1653669443083, 1653669443084]);
    assert.equal(run.params['train.lr'], '0.001');
    assert.equal(run.params['evaluate.metrics'], 'outputs/metrics.json');
    // The train stage writes the scalars: it produced the run.
    const edges = lineage(r.ws);
    assert.ok(edges.some((e) => e.from === 'dvc.yaml:train' && e.relation === 'produced' && e.to === 'deep-diver__test_img_clf#dvclive'));
    const modelOut = edges.find((e) => e.relation === 'out' && e.to === 'deep-diver__test_img_clf/outputs/model');
    assert.deepEqual([modelOut?.toKind, modelOut?.toHash], ['dir', 'md5:f6293e11516acc31a9f5d1b086195c86.dir']);
    assert.deepEqual(r.diagnostics, []);
  });

  it('example-get-started (DVC 3, schema 2.0 with hash: md5): eval/live is a run; deps, outs and stages connect by hash', async () => {
    const folder = corpusWorkspace(DVC, 'iterative__example-get-started');
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 1);
    const run = runById(r.runs, 'eval/live');
    assert.equal(run.metrics['avg_prec/test']!.last, 0.9449556493816984); // {avg_prec: {train, test}}
    assert.equal(run.metrics['roc_auc/train']!.last, 0.9873675866013153);
    assert.equal(Object.keys(run.metrics).length, 4);
    assert.equal(run.params['prepare.split'], '0.2'); // written 0.20
    assert.equal(run.params['train.n_est'], '50');
    assert.deepEqual(r.diagnostics, []); // roc/*.json (bare Infinity) are plots, not metrics

    const edges = lineage(r.ws);
    const P = 'iterative__example-get-started';
    const dep = edges.find((e) => e.relation === 'dep' && e.from === `${P}/data/data.xml` && e.to === 'dvc.yaml:prepare');
    assert.deepEqual([dep?.fromKind, dep?.fromHash], ['file', 'md5:4bd325a30d5f1d5ea1a451d98767ddde']);
    const out = edges.find((e) => e.relation === 'out' && e.from === 'dvc.yaml:prepare');
    assert.deepEqual([out?.toKind, out?.to, out?.toHash], ['dir', `${P}/data/prepared`, 'md5:f8934609be51496ee500f80eea539c6f.dir']);
    // prepare → featurize → train through the folders they share (same path, same hash).
    const consumer = (node: Edge | undefined): string[] =>
      edges.filter((e) => e.relation === 'dep' && e.from === node?.to && e.fromHash === node?.toHash).map((e) => e.to);
    assert.deepEqual(consumer(out), ['dvc.yaml:featurize']);
    const features = edges.find((e) => e.relation === 'out' && e.from === 'dvc.yaml:featurize');
    assert.deepEqual(consumer(features), ['dvc.yaml:train', 'dvc.yaml:evaluate']);
    assert.ok(edges.some((e) => e.from === 'dvc.yaml:evaluate' && e.relation === 'produced' && e.to === `${P}#eval/live`));
    const param = edges.find((e) => e.relation === 'param' && e.from === 'params.yaml:train.n_est');
    assert.deepEqual([param?.to, param?.meta], ['dvc.yaml:train', { value: '50' }]);
    // The data.xml.dvc pointer of `dvc import`: where the data came from.
    const imported = edges.find((e) => e.relation === 'import');
    assert.deepEqual([imported?.from, imported?.to, imported?.toHash], ['https://github.com/iterative/dataset-registry/get-started/data.xml', `${P}/data/data.xml`, 'md5:4bd325a30d5f1d5ea1a451d98767ddde']);
    const model = edges.find((e) => e.fromKind === 'model');
    assert.deepEqual([model?.from, model?.to, model?.toHash], ['text-classification', `${P}/model.pkl`, 'md5:f2a839292ef2bd52c0b56c109194a1cb']);
    assert.deepEqual(model?.meta?.['labels'], ['nlp', 'classification', 'stackoverflow']);
    assert.ok(edges.some((e) => e.fromKind === 'dataset' && e.from === 'stackoverflow-dataset' && e.relation === 'artifact'));
  });

  it('example-get-started@d4228b5 (DVC 2.x, no DVCLive): the project is one run with scores.json', async () => {
    const folder = corpusWorkspace(DVC, 'iterative__example-get-started@d4228b5');
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 1);
    const run = runById(r.runs, '.');
    assert.equal(run.name, 'iterative__example-get-started@d4228b5');
    assert.equal(run.path, 'iterative__example-get-started@d4228b5');
    assert.deepEqual(Object.keys(run.metrics).sort(), ['avg_prec', 'roc_auc']);
    assert.equal(run.metrics['avg_prec']!.last, 0.5262519282855344);
    assert.equal(run.params['train.min_split'], '64');
    assert.equal(run.params['featurize.max_features'], '2800');
    assert.equal(run.status, 'FINISHED');
    assert.deepEqual(r.diagnostics, []);
    // Old lock form (no `hash:` key): same md5 values, same connections.
    const edges = lineage(r.ws);
    const out = edges.find((e) => e.relation === 'out' && e.from === 'dvc.yaml:featurize');
    assert.equal(out?.toHash, 'md5:4c48a0a435a9b9e44c55382448c9812c.dir');
    assert.ok(edges.some((e) => e.relation === 'dep' && e.to === 'dvc.yaml:train' && e.from === out?.to && e.fromHash === out?.toHash));
    assert.ok(edges.some((e) => e.relation === 'out' && e.from === 'dvc.yaml:evaluate' && e.to.endsWith('/scores.json') && e.toHash === 'md5:3ddde25b2548bcb4fa955628f2b2c9ff'));
  });

  it('demo-bank-customer-churn: templated dvc.yaml (${base.model_dir}) reads; deep params; lineage from the resolved lock', async () => {
    const folder = corpusWorkspace(DVC, 'iterative__demo-bank-customer-churn');
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 1);
    assert.deepEqual(r.diagnostics, []);
    const run = runById(r.runs, '.');
    assert.equal(run.params['train.params.n_estimators'], '150');
    assert.equal(run.params['base.cat_cols'], '["Geography"]');
    assert.equal(run.params['base.model_dir'], 'model/');
    assert.equal(run.metrics['f1']!.last, 0.5853051058530511);
    assert.equal(run.metrics['roc_auc']!.last, 0.8585411620999085);
    assert.equal('step' in run.metrics, false);
    const P = 'iterative__demo-bank-customer-churn';
    const edges = lineage(r.ws);
    // `model//clf-model` in the lock: one node, out of train and into eval.
    const out = edges.find((e) => e.relation === 'out' && e.from === 'dvc.yaml:train' && e.to === `${P}/model/clf-model`);
    assert.equal(out?.toHash, 'md5:c8a06d11eee4053037d215f4fe6b7ae5');
    assert.ok(edges.some((e) => e.relation === 'dep' && e.to === 'dvc.yaml:eval' && e.from === `${P}/model/clf-model` && e.fromHash === out?.toHash));
    const xTrain = edges.filter((e) => e.from === `${P}/data/X_train.pkl` || e.to === `${P}/data/X_train.pkl`).map((e) => `${e.relation}:${e.fromHash ?? e.toHash}`);
    assert.deepEqual(xTrain, ['out:md5:7caa1ff6b9fd082639f697e702dacb15', 'dep:md5:7caa1ff6b9fd082639f697e702dacb15']);
    // Whole param groups in the lock are flattened like params.yaml.
    assert.ok(edges.some((e) => e.relation === 'param' && e.from === 'params.yaml:train.params.max_depth' && e.to === 'dvc.yaml:train' && e.meta?.['value'] === '20'));
    // GTO's artifacts.yaml.
    assert.ok(edges.some((e) => e.fromKind === 'model' && e.from === 'randomforest-model' && e.relation === 'artifact'));
  });

  it('every corpus source at once: one source per project, nothing claimed twice, no diagnostics', async () => {
    const folder = tempDir();
    const names = [
      'Emily-RoseSteyn__measuring-quality-of-life-gauteng',
      'ankxyz__fastai-with-dvclive-demo',
      'deep-diver__test_img_clf',
      'iterative__demo-bank-customer-churn',
      'iterative__dvclive-exp-tracking',
      'iterative__example-get-started',
      'iterative__example-get-started@d4228b5',
      'tibor-mach__dvclive-optuna',
    ];
    for (const n of names) copyTree(corpusPath(DVC, n), path.join(folder, n));
    const r = await scanFolder(folder);
    assert.deepEqual(
      r.summary.sources.map((s) => [s.kind, s.path, s.runs]),
      names.map((n) => ['dvc', n, n.includes('gauteng') ? 6 : 1]),
    );
    assert.equal(r.runs.length, 13);
    assert.deepEqual(r.diagnostics, []);
  });
});

// ---------------------------------------------------------------------------------------------
// A small project written here: a DVC pipeline whose train stage logs with DVCLive to dvclive/,
// plus a second DVCLive folder (other/) that must keep arriving whatever happens to the first.

const T0 = 1_700_000_000_000;

function project(): { folder: string; proj: string; live: string } {
  const folder = tempDir();
  const proj = path.join(folder, 'proj');
  writeFile(path.join(proj, 'dvc.yaml'), 'stages:\n  train:\n    cmd: python train.py\n    deps:\n    - train.py\n    params:\n    - train\n    outs:\n    - dvclive\n');
  writeFile(path.join(proj, 'params.yaml'), 'train:\n  lr: 0.01\n  layers: [64, 32]\n');
  writeFile(path.join(proj, 'dvc.lock'), "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: train.py\n      hash: md5\n      md5: 0123456789abcdef0123456789abcdef\n      size: 10\n");
  const live = path.join(proj, 'dvclive');
  writeFile(path.join(live, 'metrics.json'), '{\n    "train": {\n        "loss": 0.5\n    },\n    "acc": 0.9,\n    "best": 0.95,\n    "step": 2\n}\n');
  writeFile(path.join(live, 'params.yaml'), 'batch: 32\n');
  writeFile(path.join(live, 'plots', 'metrics', 'train', 'loss.tsv'), `timestamp\tstep\tloss\n${T0}\t0\t0.9\n${T0 + 1000}\t1\t0.7\n${T0 + 2000}\t2\t0.5\n`);
  writeFile(path.join(live, 'plots', 'metrics', 'acc.tsv'), 'step\tacc\n0\t0.5\n1\t0.8\n2\t0.9\n');
  const other = path.join(proj, 'other');
  writeFile(path.join(other, 'metrics.json'), '{"f1": 0.7, "step": 1}\n');
  writeFile(path.join(other, 'plots', 'metrics', 'f1.tsv'), 'step\tf1\n0\t0.6\n1\t0.7\n');
  return { folder, proj, live };
}

function assertOtherArrived(runs: RunSummary[]): void {
  const other = runById(runs, 'other');
  assert.equal(other.metrics['f1']!.count, 2);
  assert.equal(other.metrics['f1']!.last, 0.7);
}

function rel(folder: string, file: string): string {
  return path.relative(folder, file).split(path.sep).join('/');
}

describe('DVC / DVCLive: a project written here', () => {
  it('reads histories with timestamps, summary-only metrics as single points, params from both files', async () => {
    const { folder } = project();
    const r = await scanFolder(folder);
    assert.equal(only(r).runs, 2);
    assert.deepEqual(r.diagnostics, []);
    const run = runById(r.runs, 'dvclive');
    assert.deepEqual(run.params, { 'train.lr': '0.01', 'train.layers': '[64,32]', batch: '32' });
    assert.deepEqual(history(r.ws, run, 'train/loss'), { steps: [0, 1, 2], times: [T0, T0 + 1000, T0 + 2000], values: [0.9, 0.7, 0.5] });
    assert.deepEqual(history(r.ws, run, 'best'), { steps: [2], times: null, values: [0.95] }); // logged with plot=False
    assert.equal(run.metrics['acc']!.count, 3); // the TSV wins over the summary
    assert.deepEqual([run.startTime, run.endTime, run.status], [T0, T0 + 2000, 'FINISHED']);
    assertOtherArrived(r.runs);
    const edges = lineage(r.ws);
    assert.deepEqual(
      edges.filter((e) => e.relation === 'produced').map((e) => e.to),
      ['proj#dvclive'],
    );
  });

  it('NaN and ±Infinity: bare tokens in metrics.json, nan/inf/-inf in TSV cells, all numbers', async () => {
    const { folder, live } = project();
    fs.writeFileSync(path.join(live, 'metrics.json'), '{\n    "diverged": NaN,\n    "ratio": Infinity,\n    "margin": -Infinity,\n    "step": 3\n}\n');
    fs.appendFileSync(path.join(live, 'plots', 'metrics', 'acc.tsv'), '3\tnan\n4\tinf\n5\t-inf\n');
    const r = await scanFolder(folder);
    assert.deepEqual(r.diagnostics, []);
    const run = runById(r.runs, 'dvclive');
    assert.deepEqual(history(r.ws, run, 'diverged').values, [NaN]);
    assert.deepEqual(history(r.ws, run, 'ratio').values, [Infinity]);
    assert.deepEqual(history(r.ws, run, 'margin'), { steps: [3], times: null, values: [-Infinity] });
    assert.deepEqual(history(r.ws, run, 'acc').values, [0.5, 0.8, 0.9, NaN, Infinity, -Infinity]);
  });

  it('a running DVCLive (signal file with a live pid) is RUNNING and its half-written line waits; a dead pid is FINISHED', async () => {
    const { folder, proj, live } = project();
    // The other run was written long before this session started.
    const old = new Date(Date.now() - 3_600_000);
    for (const f of ['metrics.json', 'plots/metrics/f1.tsv']) fs.utimesSync(path.join(proj, 'other', f), old, old);
    const signal = path.join(proj, '.dvc', 'tmp', 'exps', 'run', 'DVCLIVE_ONLY');
    writeFile(signal, JSON.stringify({ exp_name: 'jolly-lamb', pid: process.pid }));
    fs.appendFileSync(path.join(live, 'plots', 'metrics', 'acc.tsv'), '3\t0.9'); // no line break yet
    const { ws, runs } = await scanFolder(folder);
    let run = runById(runs, 'dvclive');
    assert.equal(run.status, 'RUNNING');
    assert.equal(run.endTime, null);
    assert.equal(run.tags['dvc.exp_name'], 'jolly-lamb');
    assert.equal(run.metrics['acc']!.count, 3);
    assert.equal(runById(runs, 'other').status, 'FINISHED');

    fs.appendFileSync(path.join(live, 'plots', 'metrics', 'acc.tsv'), '5\n');
    let again = await rescan(ws);
    run = runById(again.runs, 'dvclive');
    assert.equal(again.summary.sources[0]!.runsRead, 1);
    assert.deepEqual(history(ws, run, 'acc').values, [0.5, 0.8, 0.9, 0.95]);

    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.writeFileSync(signal, JSON.stringify({ exp_name: 'jolly-lamb', pid: dead }));
    again = await rescan(ws);
    run = runById(again.runs, 'dvclive');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.endTime, T0 + 2000);
    assert.equal(run.tags['dvc.exp_name'], 'jolly-lamb');
    assert.deepEqual(again.diagnostics, []);
  });

  it('without a DVC project: a renamed log folder is its own source; dvclive/ beside it makes its parent one', async () => {
    const folder = tempDir();
    writeFile(path.join(folder, 'exp', 'logs', 'metrics.json'), '{"loss": 0.3, "step": 1}\n');
    writeFile(path.join(folder, 'exp', 'logs', 'plots', 'metrics', 'loss.tsv'), 'step\tloss\n0\t0.4\n1\t0.3\n');
    writeFile(path.join(folder, 'exp', 'logs', 'params.yaml'), 'optimizer:\n  name: adam\n  lr: 0.001\n');
    writeFile(path.join(folder, 'other', 'dvclive.json'), '{"acc": 0.5, "step": 0}\n'); // 0.x, no project
    writeFile(path.join(folder, 'other', 'dvclive', 'scalars', 'acc.tsv'), `timestamp\tstep\tacc\n${T0}\t0\t0.5\n`);
    const r = await scanFolder(folder);
    assert.deepEqual(r.summary.sources.map((s) => [s.kind, s.path, s.runs]), [['dvc', 'exp/logs', 1], ['dvc', 'other', 1]]);
    const logs = r.runs.find((x) => x.source.path === 'exp/logs')!;
    assert.deepEqual([logs.id, logs.name, logs.params['optimizer.lr']], ['.', 'logs', '0.001']);
    assert.deepEqual(history(r.ws, logs, 'loss').values, [0.4, 0.3]);
    const old = runById(r.runs, 'dvclive');
    assert.deepEqual([old.startTime, old.metrics['acc']!.last], [T0, 0.5]);
    assert.deepEqual(r.diagnostics, []);
  });

  it('TOML params files named in dvc.yaml are skipped without a diagnostic', async () => {
    const { folder, proj } = project();
    fs.appendFileSync(path.join(proj, 'dvc.yaml'), 'params:\n- extra.toml\n');
    writeFile(path.join(proj, 'extra.toml'), '[model]\ndepth = 3\n');
    const r = await scanFolder(folder);
    assert.deepEqual(r.diagnostics, []);
    assert.equal('model.depth' in runById(r.runs, 'dvclive').params, false);
  });

  it('a project without DVCLive: metrics files from dvc.yaml (stage and top level) make the project run', async () => {
    const folder = tempDir();
    const proj = path.join(folder, 'pipeline');
    writeFile(path.join(proj, 'dvc.yaml'), 'stages:\n  eval:\n    cmd: python eval.py\n    metrics:\n    - eval/scores.json:\n        cache: false\nmetrics:\n- summary.yaml\n');
    writeFile(path.join(proj, 'eval', 'scores.json'), '{"auc": 0.91, "per_class": {"a": 0.5, "b": NaN}}');
    writeFile(path.join(proj, 'summary.yaml'), 'auc: 0.9\nrmse: 1.5\n');
    const r = await scanFolder(folder);
    assert.deepEqual(r.diagnostics, []);
    const run = runById(r.runs, '.');
    // Top-level metrics first; a key seen again is named by its file, as `dvc metrics show` does.
    assert.deepEqual(Object.keys(run.metrics).sort(), ['auc', 'eval/scores.json:auc', 'per_class/a', 'per_class/b', 'rmse']);
    assert.equal(run.metrics['auc']!.last, 0.9);
    assert.equal(run.metrics['eval/scores.json:auc']!.last, 0.91);
    assert.deepEqual(history(r.ws, run, 'per_class/b').values, [NaN]);
    assert.deepEqual(run.params, {});
  });
});

describe('DVC / DVCLive: bad input', () => {
  it('metrics.json with a syntax error: a diagnostic with its line; the histories and the other run still arrive', async () => {
    const { folder, live } = project();
    const file = path.join(live, 'metrics.json');
    fs.writeFileSync(file, '{\n    "acc": 0.9,\n    "best": 0.95\n    "step": 2\n}\n');
    const r = await scanFolder(folder);
    const d = r.diagnostics.find((x) => x.file === rel(folder, file));
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.equal(d.severity, 'error');
    assert.match(d.message, /invalid JSON/);
    assert.equal(d.line, 4);
    assert.equal(runById(r.runs, 'dvclive').metrics['acc']!.count, 3);
    assertOtherArrived(r.runs);
  });

  it('a TSV row with the wrong number of cells: a diagnostic naming the line, the other rows read', async () => {
    const { folder, live } = project();
    const file = path.join(live, 'plots', 'metrics', 'acc.tsv');
    fs.writeFileSync(file, 'step\tacc\n0\t0.5\n1\t0.8\t7\n2\t0.9\n');
    const r = await scanFolder(folder);
    assert.deepEqual(r.diagnostics.map((x) => [x.file, x.line, x.severity]), [[rel(folder, file), 3, 'error']]);
    assert.match(r.diagnostics[0]!.message, /3 cells, the header has 2/);
    assert.deepEqual(history(r.ws, runById(r.runs, 'dvclive'), 'acc'), { steps: [0, 2], times: null, values: [0.5, 0.9] });
    assertOtherArrived(r.runs);
  });

  it('a 1-byte TSV: a diagnostic on line 1; the run keeps its other metrics', async () => {
    const { folder, live } = project();
    const file = path.join(live, 'plots', 'metrics', 'acc.tsv');
    fs.writeFileSync(file, 's');
    const r = await scanFolder(folder);
    const d = r.diagnostics.filter((x) => x.file === rel(folder, file));
    assert.ok(d.some((x) => x.line === 1 && x.severity === 'error' && /no step column/.test(x.message)), JSON.stringify(d));
    const run = runById(r.runs, 'dvclive');
    assert.equal(run.metrics['train/loss']!.count, 3);
    assert.equal(run.metrics['acc']!.count, 1); // from the summary, as for a metric without history
    assertOtherArrived(r.runs);
  });

  it('binary garbage under known names (a TSV, params.yaml) and a Git LFS pointer instead of metrics.json', async () => {
    const { folder, proj, live } = project();
    const tsv = path.join(live, 'plots', 'metrics', 'acc.tsv');
    const params = path.join(proj, 'params.yaml');
    const summary = path.join(live, 'metrics.json');
    const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256));
    fs.writeFileSync(tsv, garbage);
    fs.writeFileSync(params, garbage);
    fs.writeFileSync(summary, 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n');
    const r = await scanFolder(folder);
    const byFile = (f: string): string => r.diagnostics.filter((x) => x.file === rel(folder, f)).map((x) => x.message).join(' | ');
    assert.match(byFile(tsv), /binary data/);
    assert.match(byFile(params), /binary data/);
    assert.match(byFile(summary), /Git LFS pointer/);
    const run = runById(r.runs, 'dvclive');
    assert.equal(run.metrics['train/loss']!.count, 3);
    assert.deepEqual(run.params, { batch: '32' });
    assertOtherArrived(r.runs);
  });

  it('a 50 MB single-line TSV and a 50 MB metrics.json are refused with a diagnostic', async function () {
    this.timeout(120_000);
    const { folder, live } = project();
    const tsv = path.join(live, 'plots', 'metrics', 'acc.tsv');
    const summary = path.join(live, 'metrics.json');
    const line = Buffer.alloc(50 * 1024 * 1024, 0x31); // '1' × 50 MB, no line break
    fs.writeFileSync(tsv, line);
    fs.writeFileSync(summary, line);
    const r = await scanFolder(folder);
    const tsvDiag = r.diagnostics.find((x) => x.file === rel(folder, tsv));
    assert.ok(tsvDiag, JSON.stringify(r.diagnostics));
    assert.equal(tsvDiag.line, 1);
    assert.match(tsvDiag.message, /longer than/);
    assert.match(r.diagnostics.find((x) => x.file === rel(folder, summary))?.message ?? '', /50 MB/);
    assert.equal(runById(r.runs, 'dvclive').metrics['train/loss']!.count, 3);
    assertOtherArrived(r.runs);
  });

  it('YAML errors in dvc.yaml, dvc.lock and a run’s params.yaml: diagnostics with lines, runs still read', async () => {
    const { folder, proj, live } = project();
    const yaml = path.join(proj, 'dvc.yaml');
    const lock = path.join(proj, 'dvc.lock');
    const params = path.join(live, 'params.yaml');
    fs.writeFileSync(yaml, 'stages:\n  train:\n    cmd: [python train.py\n    outs:\n    - dvclive\n');
    fs.writeFileSync(lock, "schema: '2.0'\nstages:\n  train:\n    deps:\n    - path: a\n     md5: x\n");
    fs.writeFileSync(params, 'batch: 32\n  lr: [1\n');
    const r = await scanFolder(folder);
    for (const f of [yaml, lock, params]) {
      const d = r.diagnostics.find((x) => x.file === rel(folder, f));
      assert.ok(d, `${f}: ${JSON.stringify(r.diagnostics)}`);
      assert.match(d.message, /invalid YAML/);
      assert.equal(typeof d.line, 'number');
    }
    const run = runById(r.runs, 'dvclive');
    assert.equal(run.metrics['train/loss']!.count, 3);
    assert.equal(run.params['train.lr'], '0.01');
    assert.equal(only(r).runs, 2);
    assertOtherArrived(r.runs);
  });
});

describe('DVC / DVCLive: incremental rescans', () => {
  it('a rescan with no change reads no run and writes nothing', async () => {
    const { folder } = project();
    const { ws } = await scanFolder(folder);
    const before = fs.statSync(ws.store.dbPath).mtimeMs;
    const again = await rescan(ws);
    assert.equal(only(again).runsRead, 0);
    assert.equal((await rescan(ws)).summary.sources[0]!.runsRead, 0);
    assert.equal(fs.statSync(ws.store.dbPath).mtimeMs, before);
  });

  it('an appended TSV row re-reads only that run, from the offset where the last read stopped', async () => {
    const { folder, live } = project();
    const { ws } = await scanFolder(folder);
    const acc = path.join(live, 'plots', 'metrics', 'acc.tsv');
    fs.appendFileSync(acc, '3\t0.95\n');
    const loss = path.join(live, 'plots', 'metrics', 'train', 'loss.tsv');
    // A same-length edit of the first row: a whole re-read would see it, a read from the offset
    // where the last one stopped does not.
    fs.writeFileSync(loss, fs.readFileSync(loss, 'utf8').replace(`${T0}\t0\t0.9`, `${T0}\t0\t0.8`));
    fs.appendFileSync(loss, `${T0 + 3000}\t3\t0.4\n`);
    const again = await rescan(ws);
    assert.equal(only(again).runsRead, 1);
    const run = runById(again.runs, 'dvclive');
    assert.deepEqual(history(ws, run, 'acc'), { steps: [0, 1, 2, 3], times: null, values: [0.5, 0.8, 0.9, 0.95] });
    assert.deepEqual(history(ws, run, 'train/loss'), { steps: [0, 1, 2, 3], times: [T0, T0 + 1000, T0 + 2000, T0 + 3000], values: [0.9, 0.7, 0.5, 0.4] });
    assert.equal(run.endTime, T0 + 3000);
    assert.equal(run.metrics['best']!.last, 0.95);
    assertOtherArrived(again.runs);
    assert.equal(only(await rescan(ws)).runsRead, 0);
  });

  it('a rewritten (shorter) TSV is read whole again; so is a longer one written anew (DVCLive restarted)', async () => {
    const { folder, live } = project();
    const { ws } = await scanFolder(folder);
    const file = path.join(live, 'plots', 'metrics', 'acc.tsv');
    fs.writeFileSync(file, 'step\tacc\n0\t0.42\n');
    let again = await rescan(ws);
    assert.deepEqual(history(ws, runById(again.runs, 'dvclive'), 'acc').values, [0.42]);
    fs.rmSync(file);
    fs.writeFileSync(file, 'step\tacc\n0\t0.1\n1\t0.2\n2\t0.3\n3\t0.4\n4\t0.5\n');
    again = await rescan(ws);
    assert.deepEqual(history(ws, runById(again.runs, 'dvclive'), 'acc'), { steps: [0, 1, 2, 3, 4], times: null, values: [0.1, 0.2, 0.3, 0.4, 0.5] });
  });

  it('a header that changed is read whole again', async () => {
    const { folder, live } = project();
    const { ws } = await scanFolder(folder);
    const file = path.join(live, 'plots', 'metrics', 'acc.tsv');
    fs.writeFileSync(file, `timestamp\tstep\tacc\n${T0}\t0\t0.3\n${T0 + 5}\t1\t0.4\n${T0 + 9}\t2\t0.6\n`);
    const again = await rescan(ws);
    assert.deepEqual(history(ws, runById(again.runs, 'dvclive'), 'acc'), { steps: [0, 1, 2], times: [T0, T0 + 5, T0 + 9], values: [0.3, 0.4, 0.6] });
  });

  it('files deleted at Live() start, then written again: the run stays, empty, then shows the new run', async () => {
    const { folder, live } = project();
    const { ws } = await scanFolder(folder);
    fs.rmSync(path.join(live, 'plots'), { recursive: true });
    fs.rmSync(path.join(live, 'metrics.json'));
    let again = await rescan(ws);
    let run = runById(again.runs, 'dvclive');
    assert.deepEqual(run.metrics, {});
    assert.equal(run.params['batch'], '32');
    writeFile(path.join(live, 'plots', 'metrics', 'acc.tsv'), 'step\tacc\n0\t0.11\n');
    writeFile(path.join(live, 'metrics.json'), '{"acc": 0.11, "step": 0}\n');
    again = await rescan(ws);
    run = runById(again.runs, 'dvclive');
    assert.deepEqual(Object.keys(run.metrics), ['acc']);
    assert.deepEqual(history(ws, run, 'acc').values, [0.11]);
    assertOtherArrived(again.runs);
  });

  it('a changed params.yaml re-reads the runs that carry it; a removed DVCLive folder removes its run', async () => {
    const { folder, proj } = project();
    const { ws } = await scanFolder(folder);
    fs.writeFileSync(path.join(proj, 'params.yaml'), 'train:\n  lr: 0.02\n');
    let again = await rescan(ws);
    assert.equal(only(again).runsRead, 2);
    assert.equal(runById(again.runs, 'dvclive').params['train.lr'], '0.02');
    assert.equal(runById(again.runs, 'other').params['train.lr'], '0.02');
    fs.rmSync(path.join(proj, 'other'), { recursive: true });
    again = await rescan(ws);
    assert.deepEqual(again.runs.map((x) => x.id), ['dvclive']);
  });
});
