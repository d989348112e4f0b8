// The Keras CSVLogger adapter on every `keras` source of the shared corpus (standalone Keras 2 to
// Keras 3), then on generated files: NA, lists, non-finite cells, bad input, live files and
// incremental rescans. Expected values were read from the files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kerasTiming } from '../../src/core/ingest/keras/csvLogger';
import { getRun, type RunSummary } from '../../src/core/store/queries';
import type { Workspace } from '../../src/core/workspace';
import { corpusWorkspace, readCorpus } from '../helpers/corpus';
import { rescan, runById, scanFolder } from '../helpers/scan';
import { tempDir, writeFile } from '../helpers/temp';

const KERAS = 'keras';
const HOUR = 3600_000;

function age(p: string, ms = 2 * HOUR): void {
  const t = new Date(Date.now() - ms);
  if (fs.statSync(p).isDirectory()) for (const n of fs.readdirSync(p)) age(path.join(p, n), ms);
  fs.utimesSync(p, t, t);
}

function history(ws: Workspace, run: RunSummary, key: string): { steps: number[]; values: number[]; times: number[] | null } {
  const h = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!.histories[key];
  assert.ok(h, `no history ${key}`);
  return h;
}

function at(ws: Workspace, run: RunSummary, key: string, epoch: number): number | undefined {
  const h = history(ws, run, key);
  const i = h.steps.indexOf(epoch);
  return i === -1 ? undefined : h.values[i];
}

function kerasRuns(runs: RunSummary[]): RunSummary[] {
  return runs.filter((r) => r.source.kind === 'keras');
}

async function scanCorpus(name: string): Promise<Awaited<ReturnType<typeof scanFolder>>> {
  const folder = corpusWorkspace(KERAS, name);
  age(folder);
  return scanFolder(folder);
}

describe('Keras CSVLogger: real corpus', () => {
  it('BraTS (tf.keras 2.x): default training.log, float32 lr reprs from ReduceLROnPlateau, auto-suffixed metric names', async () => {
    const { runs, summary, diagnostics, ws } = await scanCorpus('4hmetcakmak__BraTS2020CapstoneProject');
    assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['keras', '4hmetcakmak__BraTS2020CapstoneProject/training.log', 1]]);
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, 'training.log');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.path, '4hmetcakmak__BraTS2020CapstoneProject');
    assert.equal(Object.keys(run.metrics).length, 11); // 12 columns, epoch is the step
    assert.equal(run.metrics['loss']!.count, 24);
    assert.deepEqual(history(ws, run, 'loss').steps.slice(0, 3), [0, 1, 2]); // 0-based epochs
    assert.equal(at(ws, run, 'lr', 8), 4.0000003e-5); // float32 repr kept as written
    assert.equal(at(ws, run, 'lr', 13), 8.000001e-6);
    assert.equal(at(ws, run, 'lr', 16), 1.6000001e-6);
    assert.equal(run.metrics['lr']!.last, 1e-6);
    assert.equal(run.metrics['mean_io_u_5']!.last, 0.8222532272338867);
    assert.equal(run.metrics['val_mean_io_u_5']!.last, 0.8133872747421265);
    assert.equal(run.metrics['dice_coef']!.last, 0.4510401785373688);
    assert.equal(history(ws, run, 'loss').times, null);
    assert.deepEqual(run.params, {});
  });

  it('ECG (tf 2.12): a diverging custom loss, hugely negative; LF line endings; four columns', async () => {
    const { runs, ws } = await scanCorpus('Agusbs98__Interface_of_automatic-ecg-diagnosis');
    const run = runById(runs, 'training.log');
    assert.deepEqual(Object.keys(run.metrics).sort(), ['loss', 'lr', 'val_loss']);
    assert.equal(at(ws, run, 'loss', 0), -33834.9765625);
    assert.equal(run.metrics['val_loss']!.last, -134061704);
    assert.equal(run.metrics['val_loss']!.min, -134061704);
    assert.equal(run.metrics['lr']!.min, 0.001);
    assert.equal(run.metrics['lr']!.max, 0.001);
    assert.equal(run.metrics['loss']!.count, 70);
  });

  it('sleep apnea (Keras 3): append=True with two trainings in one file become two runs; learning_rate column', async () => {
    const { runs, summary, diagnostics, ws } = await scanCorpus('AhmedZ41__cnn-sleep-apnea-xai');
    // The KerasTuner folder next to it (oracle.json, trial.json) is not a CSVLogger file.
    assert.deepEqual(summary.sources.filter((s) => s.kind === 'keras').map((s) => [s.path, s.runs]), [['AhmedZ41__cnn-sleep-apnea-xai/training_log.csv', 2]]);
    assert.deepEqual(diagnostics, []);
    const first = runById(runs, 'training_log.csv');
    const second = runById(runs, 'training_log.csv#2');
    for (const r of [first, second]) {
      assert.equal(r.metrics['loss']!.count, 50);
      assert.deepEqual([history(ws, r, 'loss').steps[0], r.metrics['loss']!.lastStep], [0, 49]);
      assert.equal(r.status, 'FINISHED');
    }
    assert.equal(at(ws, first, 'accuracy', 0), 0.6663243770599365);
    assert.equal(at(ws, first, 'learning_rate', 0), 0.0010000000474974513);
    assert.equal(first.metrics['learning_rate']!.last, 0.0000625000029685907);
    assert.equal(second.metrics['accuracy']!.last, 0.7782208323478699);
    assert.equal(second.metrics['learning_rate']!.last, 0.0001250000059371814);
    assert.equal(first.endTime, null); // only the last segment ends when the file was last written
    assert.equal(second.startTime, null);
  });

  it('digits (Keras 3): \\r\\r\\n line endings (excel dialect through a text-mode file), halving float32 learning rates', async () => {
    const { runs, diagnostics, ws } = await scanCorpus('Deepender25__Handwritten-Digit-Recognition---CNN-with-99.65-Accuracy');
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, 'training_log.csv');
    assert.equal(run.metrics['loss']!.count, 30);
    assert.equal(at(ws, run, 'loss', 0), 0.3654542565345764);
    assert.equal(run.metrics['val_loss']!.last, 0.009158278815448284); // no \r left in the last cell
    const lr = [...new Set(history(ws, run, 'learning_rate').values)];
    assert.deepEqual(lr.slice(0, 2), [0.0010000000474974513, 0.0005000000237487257]);
    assert.equal(run.metrics['learning_rate']!.last, 0.0002500000118743628);
  });

  it('AI4Mars (tf 2.9): a 1-byte file (just a newline) is a diagnostic, the two real logs next to it are runs', async () => {
    const { runs, summary, diagnostics } = await scanCorpus('Lidbey__AI4Mars');
    assert.deepEqual(
      summary.sources.map((s) => [s.path, s.runs]),
      [
        ['Lidbey__AI4Mars/model_history_log.csv', 0],
        ['Lidbey__AI4Mars/model_history_logdef.csv', 1],
        ['Lidbey__AI4Mars/model_history_logweights.csv', 1],
      ],
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.file, d.line]),
      [['warning', 'Lidbey__AI4Mars/model_history_log.csv', 1]],
    );
    assert.match(diagnostics[0]!.message, /no header line \(1 byte\)/);
    const def = runById(runs, 'model_history_logdef.csv');
    assert.equal(def.metrics['categorical_accuracy']!.count, 82);
    assert.equal(def.metrics['mean_absolute_error']!.last, 0.02082585170865059);
    const weights = runById(runs, 'model_history_logweights.csv');
    assert.equal(weights.metrics['val_categorical_accuracy']!.lastStep, 6);
    assert.equal(weights.metrics['val_loss']!.last, 0.5884678959846497);
  });

  it('pathology GAN (Keras 2 on TF1): acc/val_acc kept as written, custom *_history.csv names, a degenerate val_acc', async () => {
    const { runs, summary, ws } = await scanCorpus('karray__pathology_gan');
    assert.equal(summary.sources.length, 4);
    assert.equal(kerasRuns(runs).length, 4);
    const top = runById(runs, 'history_log.csv');
    assert.deepEqual(Object.keys(top.metrics).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
    assert.equal(top.metrics['acc']!.last, 0.9366653943871415);
    const stuck = runById(runs, 'cnn_bn_10percent_history.csv');
    assert.equal(stuck.path, 'karray__pathology_gan/models/cnn_bn_10percent');
    assert.equal(stuck.metrics['acc']!.count, 140);
    // val_acc stuck at 0.4995… for the first epochs.
    assert.deepEqual(history(ws, stuck, 'val_acc').values.slice(0, 3), [0.499542236328125, 0.499542236328125, 0.499542236328125]);
    assert.equal(runById(runs, 'cnn_bn_history.csv').metrics['val_loss']!.last, 0.5574980303645134);
    assert.equal(runById(runs, 'cnn_bn_10percent_aug_history.csv').metrics['loss']!.count, 25);
  });

  it('YoPoCo (TF 1.13): 100 epochs, acc/val_acc, long float64 reprs', async () => {
    const { runs, ws } = await scanCorpus('nosyarlin__YoPoCo');
    const run = runById(runs, 'model_history_log.csv');
    assert.equal(run.metrics['acc']!.count, 100);
    assert.equal(at(ws, run, 'acc', 0), 0.7477631446787182);
    assert.equal(run.metrics['val_loss']!.last, 0.16953247102972183);
    assert.equal(run.metrics['val_acc']!.max, Math.max(...history(ws, run, 'val_acc').values));
  });

  it('cnnBricks (tf 2.1): epoch 0 three times under one header = three one-epoch runs; short float32 reprs', async () => {
    const { runs, ws } = await scanCorpus('rkn2__cnnBricks');
    assert.deepEqual(kerasRuns(runs).map((r) => r.id).sort(), ['model_history_log.csv', 'model_history_log.csv#2', 'model_history_log.csv#3']);
    assert.deepEqual(
      ['model_history_log.csv', 'model_history_log.csv#2', 'model_history_log.csv#3'].map((id) => at(ws, runById(runs, id), 'accuracy', 0)),
      [0.79875517, 0.46887967, 0.6991701],
    );
    assert.equal(runById(runs, 'model_history_log.csv#2').metrics['loss']!.last, 314.4385927562521);
    assert.deepEqual(Object.keys(runById(runs, 'model_history_log.csv').metrics).sort(), ['accuracy', 'loss']); // no validation columns
    assert.match(readCorpus(KERAS, 'rkn2__cnnBricks', 'model_history_log.csv'), /^epoch,accuracy,loss\n0,/);
  });
});

describe('Keras CSVLogger: generated files', () => {
  afterEach(() => {
    kerasTiming.liveWindowMs = 10 * 60_000;
  });

  it('NA cells are missing points, nan/inf are values, "[a, b]" lists are indexed metrics, another separator', async () => {
    const folder = tempDir();
    writeFile(
      path.join(folder, 'training.log'),
      'epoch,loss,per_class,val_loss\r\n0,0.9,"[0.1, 0.2]",NA\r\n1,nan,"[0.3, 0.4]",inf\r\n2,0.5,"[0.5, 0.6]",-inf\r\n',
    );
    writeFile(path.join(folder, 'semi', 'train_history.csv'), 'epoch;loss\n0;1.5\n1;1.25\n');
    age(folder);
    const { runs, ws, diagnostics } = await scanFolder(folder);
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, 'training.log');
    assert.deepEqual(history(ws, run, 'val_loss'), { steps: [1, 2], times: null, values: [Infinity, -Infinity] });
    assert.deepEqual(history(ws, run, 'loss').values, [0.9, NaN, 0.5]);
    assert.deepEqual(history(ws, run, 'per_class/1').values, [0.2, 0.4, 0.6]);
    assert.deepEqual(history(ws, runById(runs, 'train_history.csv'), 'loss').values, [1.5, 1.25]);
  });

  it('discovery opens only files named like logs, and leaves other tools’ CSVs and ordinary logs alone', async () => {
    const folder = tempDir();
    writeFile(path.join(folder, 'train.csv'), 'id,text,label\n1,a,0\n'); // a dataset
    writeFile(path.join(folder, 'lightning', 'metrics.csv'), 'epoch,step,train_loss\n0,49,0.6\n');
    writeFile(path.join(folder, 'run', 'training.log'), 'INFO 2025-01-01 started\n'); // Python logging
    writeFile(path.join(folder, 'data', 'scores.csv'), 'epoch,loss\n0,1\n'); // name says nothing
    const { summary } = await scanFolder(folder);
    assert.deepEqual(summary.sources.filter((s) => s.kind === 'keras'), []);
  });

  it('bad input: a row with the wrong number of cells, binary garbage, an LFS pointer, a 50 MB line; the rest ingests', async () => {
    const folder = tempDir();
    writeFile(path.join(folder, 'cells', 'training.log'), 'epoch,loss,acc\n0,0.9,0.1\n1,0.8\n2,0.7,0.3\nx,0.6,0.4\n3,0.6,abc\n');
    writeFile(path.join(folder, 'binary', 'training.log'), Buffer.from([0x65, 0x70, 0x00, 0x01, 0xff, 0x0a]));
    writeFile(path.join(folder, 'lfs', 'training.log'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n');
    writeFile(path.join(folder, 'huge', 'training.log'), Buffer.concat([Buffer.from('epoch,loss,'), Buffer.alloc(50 * 1024 * 1024, 0x61)]));
    writeFile(path.join(folder, 'good', 'training.log'), 'epoch,loss\n0,1\n1,0.5\n');
    age(folder);
    const { runs, diagnostics, ws } = await scanFolder(folder);
    const of = (rel: string): [string, number | null, string][] => diagnostics.filter((d) => d.file === rel).map((d) => [d.severity, d.line, d.message]);

    const cells = of('cells/training.log');
    assert.deepEqual(cells.map(([s, l]) => [s, l]), [['error', 3], ['error', 5], ['warning', 6]]);
    assert.match(cells[0]![2], /2 cells, the header has 3/);
    assert.match(cells[1]![2], /epoch "x"/);
    const run = kerasRuns(runs).find((r) => r.source.path === 'cells/training.log')!;
    assert.deepEqual(history(ws, run, 'loss'), { steps: [0, 2, 3], times: null, values: [0.9, 0.7, 0.6] });
    assert.deepEqual(history(ws, run, 'acc').steps, [0, 2]);

    assert.match(of('binary/training.log')[0]![2], /binary data/);
    assert.match(of('lfs/training.log')[0]![2], /Git LFS pointer/);
    assert.deepEqual(of('huge/training.log').map(([s, l]) => [s, l]), [['error', 1]]);
    assert.match(of('huge/training.log')[0]![2], /longer than 1 MB/);
    assert.equal(kerasRuns(runs).filter((r) => ['binary', 'lfs', 'huge'].includes(r.path!)).length, 0);
    assert.equal(kerasRuns(runs).find((r) => r.path === 'good')!.metrics['loss']!.last, 0.5);
    const again = await rescan(ws);
    assert.deepEqual(again.summary.sources.map((s) => s.runsRead), [0, 0, 0, 0, 0]);
    assert.deepEqual(again.diagnostics, diagnostics);
  });

  it('a live file: RUNNING while written, appended rows read from the offset, a half-written row waits, FINISHED when quiet', async () => {
    kerasTiming.liveWindowMs = 2000;
    const folder = tempDir();
    const file = writeFile(path.join(folder, 'training.log'), 'epoch,loss,val_loss\r\n0,0.9,1.0\r\n');
    const other = writeFile(path.join(folder, 'other', 'history_log.csv'), 'epoch,loss\n0,1\n');
    age(other);
    const { ws, runs } = await scanFolder(folder);
    assert.equal(runById(runs, 'training.log').status, 'RUNNING');
    assert.equal(runById(runs, 'history_log.csv').status, 'FINISHED');

    let r = await rescan(ws);
    assert.deepEqual(r.summary.sources.map((s) => s.runsRead), [0, 0]);

    fs.appendFileSync(file, '1,0.8,0.95\r\n2,0.7,');
    r = await rescan(ws);
    assert.deepEqual(r.summary.sources.map((s) => [s.path, s.runsRead]), [['other/history_log.csv', 0], ['training.log', 1]]);
    let run = runById(r.runs, 'training.log');
    assert.deepEqual(history(ws, run, 'loss'), { steps: [0, 1], times: null, values: [0.9, 0.8] });

    fs.appendFileSync(file, '0.9\r\n');
    r = await rescan(ws);
    run = runById(r.runs, 'training.log');
    assert.deepEqual(history(ws, run, 'val_loss').values, [1.0, 0.95, 0.9]);
    assert.equal(run.status, 'RUNNING');

    await new Promise((res) => setTimeout(res, 2200));
    r = await rescan(ws);
    run = runById(r.runs, 'training.log');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.metrics['loss']!.count, 3);
    assert.equal(r.summary.sources.find((s) => s.path === 'training.log')!.runsRead, 1);
    r = await rescan(ws);
    assert.deepEqual(r.summary.sources.map((s) => s.runsRead), [0, 0]);
    assert.deepEqual(r.diagnostics, []);
  });

  it('append=True: a second training appended to a read file becomes run #2, and the first keeps its points', async () => {
    const folder = tempDir();
    const file = writeFile(path.join(folder, 'log.csv'), 'epoch,loss\n0,0.9\n1,0.8\n');
    age(folder);
    const { ws } = await scanFolder(folder);
    fs.appendFileSync(file, '2,0.7\n0,1.5\n1,1.4\n');
    age(folder);
    const r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 2);
    assert.deepEqual(history(ws, runById(r.runs, 'log.csv'), 'loss').values, [0.9, 0.8, 0.7]);
    assert.deepEqual(history(ws, runById(r.runs, 'log.csv#2'), 'loss'), { steps: [0, 1], times: null, values: [1.5, 1.4] });
    assert.equal(runById(r.runs, 'log.csv').status, 'FINISHED');
  });

  it('a rewritten file (shorter, or a new header) is read whole; the extra segments go', async () => {
    const folder = tempDir();
    const file = writeFile(path.join(folder, 'training.log'), 'epoch,loss\n0,0.9\n1,0.8\n0,0.7\n');
    age(folder);
    const { ws, runs } = await scanFolder(folder);
    assert.equal(kerasRuns(runs).length, 2);
    fs.writeFileSync(file, 'epoch,accuracy,loss\n0,0.5,0.42\n');
    age(folder);
    let r = await rescan(ws);
    assert.deepEqual(kerasRuns(r.runs).map((x) => x.id), ['training.log']);
    assert.deepEqual(history(ws, runById(r.runs, 'training.log'), 'loss').values, [0.42]);
    assert.equal(runById(r.runs, 'training.log').metrics['accuracy']!.last, 0.5);
    // Same header, longer rows than before but a shorter file: read whole again.
    fs.writeFileSync(file, 'epoch,accuracy,loss\n0,0.6,0.1\n');
    age(folder);
    r = await rescan(ws);
    assert.deepEqual(history(ws, runById(r.runs, 'training.log'), 'loss').values, [0.1]);
    // Rewritten to the very same length: the bytes before the old offset differ.
    fs.writeFileSync(file, 'epoch,accuracy,loss\n0,0.7,0.2\n');
    age(folder, HOUR);
    r = await rescan(ws);
    assert.deepEqual(history(ws, runById(r.runs, 'training.log'), 'loss').values, [0.2]);
  });
});
