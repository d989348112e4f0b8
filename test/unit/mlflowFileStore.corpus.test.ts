// The MLflow file-store adapter on every MLflow source of the shared corpus (real stores written by
// MLflow 1.x to 3.x). Expected values were read from the files; where cheap, the test also reads
// the raw file to show where the value comes from.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { getRun, listExperiments } from '../../src/core/store/queries';
import { corpusWorkspace, readCorpus } from '../helpers/corpus';
import { models, runById, scanFolder } from '../helpers/scan';

const MLFLOW = 'mlflow';

describe('MLflow file store: real corpus', () => {
  it('Kobe (MLflow 2.2, PyCaret): 44 runs, 20 soft-deleted, 7 failed, nested runs, names with spaces', async () => {
    const folder = corpusWorkspace(MLFLOW, 'LucasGasparello__KobeDatasetMlflow');
    const { runs, summary, diagnostics, ws } = await scanFolder(folder);
    assert.equal(summary.sources.length, 1);
    assert.equal(summary.sources[0]!.path, 'LucasGasparello__KobeDatasetMlflow/mlruns');
    assert.equal(runs.length, 44);
    assert.equal(runs.filter((r) => r.deleted).length, 20);
    assert.equal(runs.filter((r) => r.status === 'FAILED').length, 7);
    assert.deepEqual(diagnostics, []);

    // A PyCaret child run: parent through mlflow.parentRunId, a tag file named with a space.
    const child = runById(runs, '200815242c6f4c6ea6c351f7394140df');
    assert.equal(child.parentId, '72116f9b4986431096a7614db7b39c0d');
    assert.equal(child.experiment, 'clf-default-name');
    assert.equal(child.tags['Run ID'], '200815242c6f4c6ea6c351f7394140df');
    assert.equal(child.params['learning_rate'], '1.0');
    assert.equal(child.params['n_estimators'], '50');
    assert.equal(child.metrics['AUC']!.last, 0.5926);
    assert.equal(runs.filter((r) => r.parentId === '72116f9b4986431096a7614db7b39c0d').length, 17);

    // Metric keys with spaces, read from files named with spaces.
    const best = runById(runs, 'd4776bb367ce4bce888d188b4c13c48c');
    const raw = readCorpus(MLFLOW, 'LucasGasparello__KobeDatasetMlflow/mlruns/133525197617031449/d4776bb367ce4bce888d188b4c13c48c/metrics/F1_score best model');
    assert.equal(raw, '1681694524571 0.45791411042944785 0\n');
    assert.equal(best.metrics['F1_score best model']!.last, 0.45791411042944785);
    assert.equal(best.name, 'Treinamento');
    assert.equal(best.startTime !== null && best.endTime !== null && best.endTime > best.startTime, true);

    // Registry (MLflow 2.x layout, stage "None" means no stage).
    const registry = models(ws);
    assert.equal(registry.length, 1);
    assert.equal(registry[0]!.name, 'best_model');
    assert.equal(registry[0]!.versions.length, 1);
    assert.equal(registry[0]!.versions[0]!.runId, 'd4776bb367ce4bce888d188b4c13c48c');
    assert.equal(registry[0]!.versions[0]!.stage, null);
  });

  it('iris (MLflow 3.1): logged models, duplicated metric lines, a registry with two versions', async () => {
    const folder = corpusWorkspace(MLFLOW, 'Rajat-Jamblekar__mlops-iris');
    const { runs, summary, ws } = await scanFolder(folder);
    assert.deepEqual(
      summary.sources.map((s) => [s.path, s.runs]),
      [
        ['Rajat-Jamblekar__mlops-iris/api/mlruns', 0],
        ['Rajat-Jamblekar__mlops-iris/mlruns', 2],
      ],
    );
    const lr = runById(runs, '0ff4a018217a4522a883f1fac53ebb5d');
    assert.equal(lr.experiment, 'iris_classification');
    assert.equal(lr.name, 'rare-newt-593');
    assert.equal(lr.params['C'], '1.0');
    // The metric file holds the same line twice; both points are kept, as MLflow keeps them.
    assert.equal(
      readCorpus(MLFLOW, 'Rajat-Jamblekar__mlops-iris/mlruns/222440962282538811/0ff4a018217a4522a883f1fac53ebb5d/metrics/accuracy'),
      '1753616850424 0.9666666666666667 0\n1753616850424 0.9666666666666667 0\n',
    );
    assert.deepEqual(lr.metrics['accuracy'], { count: 2, last: 0.9666666666666667, lastStep: 0, lastTime: 1753616850424, min: 0.9666666666666667, max: 0.9666666666666667 });

    const logged = ws.store.read((db) => db.exec('SELECT native_id, run_native_id, name, status, metrics FROM logged_models ORDER BY native_id')[0]!.values);
    assert.deepEqual(logged[0], ['m-917c21ba74b6488aa15474cbf4d1e1b4', 'fd160e7ab17b4da0a70bb7a1c0a5b5a3', 'model', 'READY', '{"accuracy":1}']);
    assert.equal(logged.length, 2);

    const [iris] = models(ws);
    assert.equal(iris!.name, 'iris_model');
    assert.deepEqual(
      iris!.versions.map((v) => [v.version, v.runId, v.modelId, v.sourceUri]),
      [
        [1, 'fd160e7ab17b4da0a70bb7a1c0a5b5a3', 'm-917c21ba74b6488aa15474cbf4d1e1b4', 'models:/m-917c21ba74b6488aa15474cbf4d1e1b4'],
        [2, 'fd160e7ab17b4da0a70bb7a1c0a5b5a3', null, 'models:/iris_model/1'],
      ],
    );
  });

  it('TaxiFare (MLflow 1.x): runs that never ended stay RUNNING with no end time', async () => {
    const folder = corpusWorkspace(MLFLOW, '1kruidenp__TaxiFareModel');
    const { runs } = await scanFolder(folder);
    assert.equal(runs.length, 2);
    for (const r of runs) {
      assert.equal(r.status, 'RUNNING');
      assert.equal(r.endTime, null);
      assert.equal(r.experiment, 'test_experiment');
      assert.equal(r.name, null); // old meta.yaml: name: '' and no mlflow.runName tag
      assert.equal(r.metrics['rmse']!.last, 4.5);
    }
    assert.equal(runById(runs, '337531b3ddc34c38a1db55f814c1900d').params['model'], 'Randomforest');
    assert.equal(runById(runs, '337531b3ddc34c38a1db55f814c1900d').startTime, 1622557738980);
  });

  it('Swahili (MLflow 1.x, Keras autolog): nested store, Windows artifact URI mapped onto the local copy', async () => {
    const folder = corpusWorkspace(MLFLOW, '10-Academy-Batch-4-Week-4__Swahili-Speech-To-Text');
    const { runs, summary, ws } = await scanFolder(folder);
    assert.deepEqual(
      summary.sources.map((s) => s.path),
      ['10-Academy-Batch-4-Week-4__Swahili-Speech-To-Text/mlruns', '10-Academy-Batch-4-Week-4__Swahili-Speech-To-Text/mlruns/mlruns'],
    );
    const run = runById(runs, 'ed05f9cd599442fe9a0c9222184710b8');
    assert.equal(run.user, 'Maelaf ES');
    assert.equal(run.params['class_weight'], 'None');
    assert.equal(run.params['opt_name'], 'SGD');
    const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
    assert.equal(detail.histories['loss']!.values.length, 10);
    assert.equal(detail.histories['loss']!.steps[9], 9);
    assert.equal(detail.histories['loss']!.values[9], 234.7978057861328);
    // file:///C:/Users/Maelaf%20ES/... points to another machine: the local artifacts/ is listed.
    const model = detail.artifacts.find((a) => a.path === 'model');
    assert.equal(model?.kind, 'model');
    assert.ok(detail.artifacts.some((a) => a.path === 'model/MLmodel' && a.size! > 0));
    assert.ok(detail.artifacts.some((a) => a.path.startsWith('tensorboard_logs/train/events.out.tfevents.')));
  });

  it('evaluation (MLflow 2.22): dataset inputs become lineage, a failed run is marked', async () => {
    const folder = corpusWorkspace(MLFLOW, '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp');
    const { runs, ws } = await scanFolder(folder);
    assert.equal(runs.length, 7);
    assert.equal(runById(runs, 'ef106bf5f6ea4f5d85707f1ac3967148').status, 'FAILED');
    const withInput = runById(runs, 'c3945c5e322a4ff18608444382c0f2a9');
    const detail = ws.store.read((db) => getRun(db, withInput.uid, ws.store.series))!;
    assert.deepEqual(detail.inputs, [{ kind: 'dataset', refId: 'f999a911657acf4276658cbda7974b36', context: null, name: 'dataset', digest: '1fbe660b' }]);
    assert.equal(withInput.metrics['example_count']!.last, 400);
  });

  it('credit risk (MLflow 3.1): a failed run without data, empty experiments, three registered models', async () => {
    const folder = corpusWorkspace(MLFLOW, 'Yeabtssega__Credit-risk-model');
    const { runs, summary, ws } = await scanFolder(folder);
    assert.deepEqual(
      summary.sources.map((s) => [s.path, s.runs]),
      [
        ['Yeabtssega__Credit-risk-model/mlruns', 7],
        ['Yeabtssega__Credit-risk-model/src/mlruns', 2],
      ],
    );
    const failed = runById(runs, '8009727c934a4b49bd7ef62a814694cd');
    assert.equal(failed.status, 'FAILED');
    assert.deepEqual(failed.metrics, {});
    assert.deepEqual(failed.params, {});
    const experiments = ws.store.read(listExperiments).map((e) => [e.source.path, e.id, e.name, e.runs]);
    assert.deepEqual(experiments, [
      ['Yeabtssega__Credit-risk-model/mlruns', '591355787569453947', 'Credit Risk Model', 3],
      ['Yeabtssega__Credit-risk-model/mlruns', '434862511122141502', 'credit_risk_model_training', 3],
      ['Yeabtssega__Credit-risk-model/mlruns', '0', 'Default', 1],
      ['Yeabtssega__Credit-risk-model/src/mlruns', '718424956754727442', 'credit_risk_model_training', 2],
      ['Yeabtssega__Credit-risk-model/src/mlruns', '0', 'Default', 0],
    ]);
    assert.deepEqual(models(ws).map((m) => m.name).sort(), ['best_model', 'credit-risk-model-logreg', 'credit-risk-model-rf']);
  });

  it('every MLflow source of the corpus ingests without a diagnostic of severity error', async () => {
    const folder = corpusWorkspace(MLFLOW);
    const { runs, summary, diagnostics } = await scanFolder(folder);
    assert.equal(summary.sources.length, 9);
    assert.equal(runs.length, 65);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(summary.sources.every((s) => !s.error), path.basename(folder));
  });
});
