// The demo's runs in every other format MLCycle reads, written as each tool writes them
// (FORMATS.md §2–§7): DVC/DVCLive, Lightning, Hugging Face, Keras, TensorBoard, Ultralytics and a
// hand-written script's folder. Small, deterministic, realistic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { curve } from './demoWorkspace';
import { pythonFloatRepr } from './mlflowFiles';
import { prng } from './random';
import { eventFileName, hparamsSessionStart, simpleScalar, writeEventFile, type EventSpec } from './tfeventsWriter';

function write(file: string, content: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export interface DemoFormats {
  runs: number;
  /** A Lightning version still training: its metrics.csv grows (tools/lib/demoLive.ts). */
  lightningLiveCsv: string;
}

export function writeDemoFormats(folder: string, now = Date.now()): DemoFormats {
  const rand = prng(7);
  const py = pythonFloatRepr;

  // DVC project with a DVCLive run and a pipeline lock (lineage: data → train → model).
  const dvc = path.join(folder, 'fraud-features');
  write(path.join(dvc, 'params.yaml'), 'train:\n  lr: 0.05\n  epochs: 12\n  features: [amount, hour, merchant]\n');
  write(
    path.join(dvc, 'dvc.yaml'),
    'stages:\n  train:\n    cmd: python train.py\n    deps:\n    - data/transactions.csv\n    - train.py\n    params:\n    - train\n    outs:\n    - model.pkl\n    metrics:\n    - dvclive/metrics.json:\n        cache: false\nmetrics:\n- dvclive/metrics.json\nplots:\n- dvclive/plots/metrics:\n    x: step\n',
  );
  write(path.join(dvc, 'data', 'transactions.csv'), 'amount,hour,merchant,fraud\n12.5,13,42,0\n990.0,3,7,1\n');
  write(path.join(dvc, 'train.py'), 'from dvclive import Live\n');
  write(path.join(dvc, 'model.pkl'), 'demo model bytes\n');
  write(
    path.join(dvc, 'dvc.lock'),
    "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data/transactions.csv\n      hash: md5\n      md5: 5d41402abc4b2a76b9719d911017c592\n      size: 58\n    - path: train.py\n      hash: md5\n      md5: 7d793037a0760186574b0282f2f435e7\n      size: 24\n    params:\n      params.yaml:\n        train:\n          epochs: 12\n          lr: 0.05\n    outs:\n    - path: model.pkl\n      hash: md5\n      md5: 9e107d9d372bb6826bd81d3542a419d6\n      size: 17\n",
  );
  const dvcLoss = curve(rand, { steps: 12, start: 0.6, end: 0.12, noise: 0.01, t0: now - 3_600_000, stepMs: 30_000 });
  const dvcAuc = curve(rand, { steps: 12, start: 0.7, end: 0.95, noise: 0.005, t0: now - 3_600_000, stepMs: 30_000 });
  write(path.join(dvc, 'dvclive', 'plots', 'metrics', 'train', 'loss.tsv'), 'step\tloss\n' + dvcLoss.map((p) => `${p.step}\t${py(p.value)}`).join('\n') + '\n');
  write(path.join(dvc, 'dvclive', 'plots', 'metrics', 'eval', 'auc.tsv'), 'step\tauc\n' + dvcAuc.map((p) => `${p.step}\t${py(p.value)}`).join('\n') + '\n');
  write(
    path.join(dvc, 'dvclive', 'metrics.json'),
    JSON.stringify({ train: { loss: dvcLoss.at(-1)!.value }, eval: { auc: dvcAuc.at(-1)!.value }, step: 11 }, null, 4) + '\n',
  );
  write(path.join(dvc, 'dvclive', 'params.yaml'), 'lr: 0.05\nepochs: 12\n');

  // PyTorch Lightning CSVLogger: one finished version, one still training.
  const logs = path.join(folder, 'lightning_logs');
  const lightningVersion = (version: number, epochs: number, lr: number): string => {
    const dir = path.join(logs, `version_${version}`);
    write(path.join(dir, 'hparams.yaml'), `lr: ${lr}\nbatch_size: 64\nhidden: 256\noptimizer: adamw\n`);
    const rows = ['epoch,step,train_loss,val_acc,val_loss'];
    for (let e = 0; e < epochs; e++) {
      const loss = 1.2 * Math.exp(-e / 4) + 0.1 + rand() * 0.02;
      rows.push(`${e},${(e + 1) * 100 - 1},${py(loss)},,`);
      rows.push(`${e},${(e + 1) * 100 - 1},,${py(0.6 + 0.35 * (1 - Math.exp(-e / 3)))},${py(loss + 0.08)}`);
    }
    return write(path.join(dir, 'metrics.csv'), rows.join('\n') + '\n');
  };
  const lightningDone = lightningVersion(0, 10, 0.001);
  const lightningLiveCsv = lightningVersion(1, 3, 0.003);
  // The finished version was written an hour ago: Lightning leaves no end marker, recency decides.
  const hourAgo = new Date(now - 3_600_000);
  for (const f of [lightningDone, path.join(path.dirname(lightningDone), 'hparams.yaml')]) fs.utimesSync(f, hourAgo, hourAgo);

  // Hugging Face Trainer output folder with its state and results.
  const hf = path.join(folder, 'bert-sentiment');
  const history: Record<string, number>[] = [];
  for (let step = 50; step <= 500; step += 50) {
    history.push({ epoch: step / 250, learning_rate: 5e-5 * (1 - step / 500), loss: 0.7 * Math.exp(-step / 200) + 0.15, step });
    if (step % 250 === 0) history.push({ epoch: step / 250, eval_accuracy: 0.86 + step / 10_000, eval_loss: 0.35 - step / 5000, step });
  }
  write(
    path.join(hf, 'trainer_state.json'),
    JSON.stringify({ best_metric: 0.91, best_model_checkpoint: 'bert-sentiment/checkpoint-500', epoch: 2.0, global_step: 500, max_steps: 500, log_history: history, num_train_epochs: 2, train_batch_size: 32, logging_steps: 50 }, null, 2) + '\n',
  );
  write(path.join(hf, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForSequenceClassification'], transformers_version: '4.51.0', num_labels: 2 }, null, 2) + '\n');
  write(path.join(hf, 'all_results.json'), JSON.stringify({ eval_accuracy: 0.91, eval_loss: 0.25, train_runtime: 812.4 }, null, 4) + '\n');

  // Keras CSVLogger (0-based epochs, CRLF as Python's csv module writes).
  const kerasRows = ['epoch,accuracy,loss,val_accuracy,val_loss'];
  for (let e = 0; e < 15; e++) kerasRows.push(`${e},${py(0.7 + 0.02 * e)},${py(0.9 * Math.exp(-e / 6))},${py(0.68 + 0.018 * e)},${py(0.95 * Math.exp(-e / 7))}`);
  const kerasLog = write(path.join(folder, 'keras-cnn', 'training.log'), kerasRows.join('\r\n') + '\r\n');
  fs.utimesSync(kerasLog, hourAgo, hourAgo); // finished an hour ago (CSVLogger has no end marker)

  // TensorBoard (PyTorch SummaryWriter) with hyper-parameters.
  const tbStart = Math.floor((now - 7_200_000) / 1000);
  const events: EventSpec[] = [{ wallTime: tbStart, values: [hparamsSessionStart({ lr: 0.01, depth: 50, augment: true }, tbStart)] }];
  for (let step = 0; step < 40; step++) {
    events.push({ wallTime: tbStart + step * 15, step, values: [simpleScalar('train/loss', Math.fround(2 * Math.exp(-step / 12) + 0.2))] });
    events.push({ wallTime: tbStart + step * 15 + 1, step, values: [simpleScalar('val/top1', Math.fround(0.4 + 0.5 * (1 - Math.exp(-step / 10))))] });
  }
  writeEventFile(path.join(folder, 'tb_logs', 'resnet50'), eventFileName(tbStart, 'demo'), events);

  // Ultralytics YOLO detection run (current results.csv layout, 1-based epochs).
  const yolo = path.join(folder, 'runs', 'detect', 'train');
  write(path.join(yolo, 'args.yaml'), 'task: detect\nmode: train\nmodel: yolo11n.pt\ndata: coco8.yaml\nepochs: 10\nbatch: 16\nimgsz: 640\nlr0: 0.01\noptimizer: auto\n');
  const yoloRows = ['epoch,time,train/box_loss,train/cls_loss,metrics/precision(B),metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss'];
  for (let e = 1; e <= 10; e++) {
    const q = 1 - Math.exp(-e / 4);
    yoloRows.push([e, 30 * e, 1.4 - 0.5 * q, 1.6 - 0.9 * q, 0.5 + 0.3 * q, 0.45 + 0.3 * q, 0.4 + 0.35 * q, 0.25 + 0.25 * q, 1.3 - 0.4 * q].map((v) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString())).join(','));
  }
  write(path.join(yolo, 'results.csv'), yoloRows.join('\n') + '\n');
  write(path.join(yolo, 'weights', 'best.pt'), 'demo weights\n');
  write(path.join(yolo, 'results.png'), 'png');

  // A hand-written script's output: metrics.json and params.yaml next to a model file.
  const plain = path.join(folder, 'notebooks', 'out');
  write(path.join(plain, 'metrics.json'), JSON.stringify({ rmse: 4.12, r2: 0.87, mae: NaN }).replace('null', 'NaN') + '\n');
  write(path.join(plain, 'params.yaml'), 'model: random_forest\nn_estimators: 400\nmax_depth: 12\n');
  write(path.join(plain, 'model.joblib'), 'demo model bytes\n');

  return { runs: 8, lightningLiveCsv };
}
