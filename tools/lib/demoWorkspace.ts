// The demo workspace: realistic outputs in the formats MLCycle reads, generated here because a
// user's clone has no test corpus. Deterministic (seeded), so screenshots and tests are stable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { MLFLOW_DDL, experimentOps, runOps, type MetricPoint as DbMetricPoint } from './mlflowDb';
import { writeDemoFormats } from './demoFormats';
import { prng } from './random';
import { writeExperiment, writeRegisteredModel, writeRun, type MetricPoint } from './mlflowFiles';

export function hexId(rand: () => number, length = 32): string {
  let s = '';
  while (s.length < length) s += Math.floor(rand() * 16).toString(16);
  return s;
}

interface CurveOptions {
  steps: number;
  start: number;
  end: number;
  noise: number;
  t0: number;
  stepMs: number;
}

/** A noisy exponential approach from start to end, the shape of real loss and accuracy curves. */
export function curve(rand: () => number, o: CurveOptions): MetricPoint[] {
  const points: MetricPoint[] = [];
  let t = o.t0;
  for (let step = 0; step < o.steps; step++) {
    const progress = 1 - Math.exp((-4 * step) / Math.max(1, o.steps - 1));
    const value = o.start + (o.end - o.start) * progress + (rand() - 0.5) * o.noise;
    t += Math.round(o.stepMs * (0.8 + rand() * 0.4));
    points.push({ timestamp: t, value, step });
  }
  return points;
}

/** What mlflow.sklearn.log_model leaves in a run's artifacts: MLmodel, the pickle, requirements. */
function writeModelArtifact(dir: string, rand: () => number, runId: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'MLmodel'),
    `artifact_path: model\nflavors:\n  python_function:\n    env:\n      virtualenv: python_env.yaml\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    predict_fn: predict\n    python_version: 3.11.7\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n    sklearn_version: 1.5.2\nmlflow_version: 2.18.0\nmodel_uuid: ${hexId(rand)}\nrun_id: ${runId}\nutc_time_created: '2025-11-27 05:34:10.000000'\n`,
  );
  const bytes = Buffer.alloc(4096 + Math.floor(rand() * 4096));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  fs.writeFileSync(path.join(dir, 'model.pkl'), bytes);
  fs.writeFileSync(path.join(dir, 'requirements.txt'), 'mlflow==2.18.0\nscikit-learn==1.5.2\ncloudpickle==3.1.0\n');
}

export interface DemoSummary {
  folder: string;
  runs: number;
  malformedFile: string;
  /** Runs left RUNNING, for a live writer to grow (tools/lib/demoLive.ts). */
  live: { mlflowRunDir: string; lightningCsv: string };
}

/** Writes the demo workspace into `folder` (which is emptied first). */
export async function writeDemoWorkspace(folder: string): Promise<DemoSummary> {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const rand = prng(20261126);
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default', creationTime: 1_764_000_000_000 });
  const churnId = '412776398450262915';
  writeExperiment(mlruns, {
    id: churnId,
    name: 'churn-prediction',
    creationTime: 1_764_100_000_000,
    tags: { 'mlflow.note.content': 'Gradient-boosted trees predicting customer churn from 12 months of usage.' },
  });

  const day = 86_400_000;
  let t0 = 1_764_200_000_000;
  const runs: { id: string; name: string; lr: number; depth: number; acc: number }[] = [];
  const configs = [
    { name: 'baseline-logreg', lr: 0.1, depth: 1, acc: 0.812, status: 'FINISHED' as const },
    { name: 'gbt-shallow', lr: 0.1, depth: 3, acc: 0.861, status: 'FINISHED' as const },
    { name: 'gbt-deep', lr: 0.05, depth: 8, acc: 0.874, status: 'FINISHED' as const },
    { name: 'gbt-deep-lr-high', lr: 0.5, depth: 8, acc: 0.702, status: 'FAILED' as const },
    { name: 'gbt-tuned', lr: 0.03, depth: 6, acc: 0.893, status: 'FINISHED' as const },
  ];
  for (const c of configs) {
    const id = hexId(rand);
    const steps = c.status === 'FAILED' ? 12 : 40;
    const stepMs = 1_500;
    writeRun(mlruns, {
      experimentId: churnId,
      runId: id,
      name: c.name,
      status: c.status,
      startTime: t0,
      endTime: t0 + steps * stepMs + 2_000,
      user: 'alice',
      params: {
        learning_rate: String(c.lr),
        max_depth: String(c.depth),
        n_estimators: '300',
        subsample: '0.8',
        features: 'usage_12m,tenure,plan,support_calls',
      },
      tags: {
        'mlflow.source.name': 'train.py',
        'mlflow.source.type': 'LOCAL',
        'mlflow.source.git.commit': hexId(rand, 40),
      },
      metrics: {
        train_loss: curve(rand, { steps, start: 0.69, end: 0.18 + (1 - c.acc) / 2, noise: 0.02, t0, stepMs }),
        val_loss: curve(rand, { steps, start: 0.7, end: 0.25 + (1 - c.acc) / 2, noise: 0.03, t0, stepMs }),
        accuracy: curve(rand, { steps, start: 0.5, end: c.acc, noise: 0.01, t0, stepMs }),
        f1: curve(rand, { steps, start: 0.3, end: c.acc - 0.08, noise: 0.02, t0, stepMs }),
      },
    });
    runs.push({ id, name: c.name, lr: c.lr, depth: c.depth, acc: c.acc });
    if (c.status === 'FINISHED') writeModelArtifact(path.join(mlruns, churnId, id, 'artifacts', 'model'), rand, id);
    t0 += day / 4;
  }

  // A hyper-parameter search: a parent run with nested trials (mlflow.parentRunId).
  const parentId = hexId(rand);
  writeRun(mlruns, {
    experimentId: churnId,
    runId: parentId,
    name: 'optuna-search',
    startTime: t0,
    endTime: t0 + 600_000,
    params: { n_trials: '3', sampler: 'TPE' },
  });
  for (let trial = 0; trial < 3; trial++) {
    const lr = [0.02, 0.04, 0.08][trial]!;
    writeRun(mlruns, {
      experimentId: churnId,
      runId: hexId(rand),
      name: `trial-${trial}`,
      startTime: t0 + trial * 180_000,
      endTime: t0 + (trial + 1) * 180_000,
      parentRunId: parentId,
      params: { learning_rate: String(lr), max_depth: '6' },
      metrics: { accuracy: curve(rand, { steps: 20, start: 0.55, end: 0.88 + trial * 0.004, noise: 0.01, t0, stepMs: 9_000 }) },
    });
  }
  t0 += day / 2;

  // A run still training: `npm start` keeps appending to it (tools/lib/demoLive.ts).
  const liveT0 = Date.now() - 60_000;
  const liveDir = writeRun(mlruns, {
    experimentId: churnId,
    runId: hexId(rand),
    name: 'gbt-live',
    status: 'RUNNING',
    startTime: liveT0,
    params: { learning_rate: '0.04', max_depth: '6', n_estimators: '600', subsample: '0.8' },
    tags: { 'mlflow.source.name': 'train.py', 'mlflow.source.type': 'LOCAL' },
    metrics: {
      train_loss: curve(rand, { steps: 8, start: 0.69, end: 0.3, noise: 0.02, t0: liveT0, stepMs: 5000 }),
      accuracy: curve(rand, { steps: 8, start: 0.5, end: 0.8, noise: 0.01, t0: liveT0, stepMs: 5000 }),
    },
  });

  // A run deleted from the MLflow UI: it stays on disk, marked deleted.
  writeRun(mlruns, {
    experimentId: churnId,
    runId: hexId(rand),
    name: 'scratch-debug',
    deleted: true,
    startTime: t0,
    endTime: t0 + 30_000,
    params: { learning_rate: '1.0' },
  });

  // Registry: version 1 from the shallow model, version 2 (champion) from the tuned one.
  const shallow = runs.find((r) => r.name === 'gbt-shallow')!;
  const tuned = runs.find((r) => r.name === 'gbt-tuned')!;
  writeRegisteredModel(
    mlruns,
    'churn-classifier',
    [
      { version: 1, runId: shallow.id, source: `runs:/${shallow.id}/model`, stage: 'Archived', creationTime: 1_764_300_000_000 },
      { version: 2, runId: tuned.id, source: `runs:/${tuned.id}/model`, stage: 'Production', creationTime: 1_764_400_000_000 },
    ],
    { champion: 2, previous: 1 },
    'Predicts churn within 30 days.',
  );

  // One malformed file, as a crash mid-write leaves it: the scan reports it and goes on.
  const malformedRun = runs.find((r) => r.name === 'gbt-deep')!;
  const malformed = path.join(mlruns, churnId, malformedRun.id, 'metrics', 'val_auc');
  fs.writeFileSync(malformed, '1764250000000 0.91 0\n1764250001500 0.9x3 1\n1764250003000 0.93 2\n');

  const dbRuns = await writeFraudDatabase(path.join(folder, 'fraud', 'mlflow.db'), rand);
  const formats = writeDemoFormats(folder);

  fs.writeFileSync(
    path.join(folder, 'README.md'),
    '# MLCycle demo workspace\n\nGenerated by `npm start` (tools/demo.ts). It holds an MLflow file store (`mlruns/`) with\n' +
      'finished, failed, nested and deleted runs, a model registry with aliases, and one malformed metric file;\n' +
      'an MLflow tracking database (`fraud/mlflow.db`, the default backend since MLflow 3.7), and runs of DVC/DVCLive,\n' +
      'PyTorch Lightning (one still training), Hugging Face, Keras, TensorBoard, Ultralytics and a plain script folder.\n',
  );
  return {
    folder,
    runs: configs.length + 1 + 3 + 1 + 1 + dbRuns + formats.runs,
    malformedFile: malformed,
    live: { mlflowRunDir: liveDir, lightningCsv: formats.lightningLiveCsv },
  };
}

/** An MLflow tracking database with MLflow's own schema, as `mlflow` ≥ 3.7 writes by default. */
async function writeFraudDatabase(file: string, rand: () => number): Promise<number> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.exec(MLFLOW_DDL);
  const ops = [...experimentOps(0, 'Default'), ...experimentOps(1, 'fraud-detection', { created: 1_764_500_000_000 })];
  const models = [
    { name: 'xgb-baseline', eta: '0.3', depth: '6', auc: 0.941 },
    { name: 'xgb-regularized', eta: '0.1', depth: '4', auc: 0.957 },
    { name: 'lightgbm', eta: '0.05', depth: '-1', auc: 0.962 },
  ];
  let t0 = 1_764_600_000_000;
  for (const m of models) {
    const id = hexId(rand);
    const points: DbMetricPoint[] = [];
    for (const key of ['auc', 'logloss']) {
      const c = curve(rand, { steps: 25, start: key === 'auc' ? 0.7 : 0.6, end: key === 'auc' ? m.auc : 1 - m.auc, noise: 0.004, t0, stepMs: 2_000 });
      for (const p of c) points.push({ key, value: p.value, step: p.step, timestamp: p.timestamp });
    }
    ops.push(
      ...runOps({
        id,
        experimentId: 1,
        name: m.name,
        status: 'FINISHED',
        start: t0,
        end: t0 + 52_000,
        params: { eta: m.eta, max_depth: m.depth, scale_pos_weight: '12' },
        tags: { 'mlflow.source.name': 'train_fraud.py' },
        metrics: points,
      }),
    );
    t0 += 3_600_000;
  }
  for (const [sql, params] of ops) db.run(sql, params ?? []);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, db.export());
  db.close();
  return models.length;
}
