// The Ultralytics adapter on every `ultralytics` source of the shared corpus (YOLOv5, YOLOv8 8.0 to
// 8.1, YOLO11, YOLO26), then on generated run folders: weights, live runs, incremental rescans and
// bad input. Expected values were read from the files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ultralyticsTiming } from '../../src/core/ingest/ultralytics/yolo';
import { getRun, listExperiments, type RunSummary } from '../../src/core/store/queries';
import type { Workspace } from '../../src/core/workspace';
import { corpusPath, corpusWorkspace } from '../helpers/corpus';
import { rescan, runById, scanFolder } from '../helpers/scan';
import { copyTree, tempDir, writeFile } from '../helpers/temp';

const UL = 'ultralytics';
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

async function scanCorpus(name: string): Promise<Awaited<ReturnType<typeof scanFolder>>> {
  const folder = corpusWorkspace(UL, name);
  age(folder);
  return scanFolder(folder);
}

describe('Ultralytics: real corpus', () => {
  it('YOLO26 (8.4+): unpadded CSV with a time column, 1-based epochs, Colab paths kept, runs/ as the source, task as experiment', async () => {
    const { runs, summary, diagnostics, ws } = await scanCorpus('AbishekEchno77__yolo26-nutrition-detector');
    assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['ultralytics', 'AbishekEchno77__yolo26-nutrition-detector/runs', 1]]);
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, 'detect/train');
    assert.equal(run.name, 'train');
    assert.equal(run.experiment, 'detect');
    assert.equal(run.status, 'FINISHED'); // 50 rows, epochs: 50
    assert.equal(run.path, 'AbishekEchno77__yolo26-nutrition-detector/runs/detect/train');
    assert.equal(run.metrics['metrics/mAP50(B)']!.count, 50);
    assert.deepEqual(history(ws, run, 'metrics/mAP50(B)').steps.slice(0, 2), [1, 2]);
    assert.equal(run.metrics['metrics/mAP50(B)']!.last, 0.97783);
    assert.equal(run.metrics['metrics/mAP50(B)']!.lastStep, 50);
    assert.equal(at(ws, run, 'train/cls_loss', 1), 8.41319);
    assert.equal(run.metrics['lr/pg0']!.last, 4.96766e-5);
    // The time column (seconds since the start) is a metric, and gives the points their times.
    assert.equal(run.metrics['time']!.last, 1482.73);
    const times = history(ws, run, 'train/box_loss').times!;
    assert.equal(times[1]! - times[0]!, Math.round((116.739 - 93.2846) * 1000));
    assert.equal(run.endTime! - run.startTime!, 1482730);
    assert.equal(run.params['data'], '/content/yolo26-nutrition-detector/dataset/data.yaml');
    assert.equal(run.params['save_dir'], '/content/runs/detect/train');
    assert.equal(run.params['model'], 'yolo26n.pt');
    assert.equal(run.params['device'], '0'); // quoted in the file
    assert.equal(run.params['end2end'], 'null');
    assert.equal(run.params['fraction'], '1.0'); // as written, not 1
    assert.equal(run.params['epochs'], '50');
    assert.deepEqual(
      ws.store.read((db) => listExperiments(db)).map((e) => [e.id, e.runs]),
      [['detect', 1]],
    );
  });

  it('YOLO11 (8.3): a Windows save_dir with backslashes and a relative data path, kept as written', async () => {
    const { runs, ws } = await scanCorpus('4Kings-Rakamin__Resume_OCR_YOLOv11');
    const run = runById(runs, 'detect/train');
    assert.equal(run.params['save_dir'], 'C:\\Users\\Agung\\Videos\\cvreader2\\runs\\detect\\train');
    assert.equal(run.params['data'], 'data.yaml');
    assert.equal(run.params['batch'], '8');
    assert.equal(run.status, 'FINISHED');
    assert.equal(at(ws, run, 'time', 1), 84.3061);
    assert.equal(run.metrics['metrics/mAP50-95(B)']!.last, 0.54382);
    assert.equal(at(ws, run, 'lr/pg0', 50), 1.65688e-5);
  });

  it('YOLOv8 8.0: space-padded header and cells, 0-based epochs, no time column; its TensorBoard file is not read', async () => {
    const { runs, summary, ws } = await scanCorpus('Abonia1__YOLOv8-Fire-and-Smoke-Detection');
    assert.deepEqual(summary.sources.map((s) => s.kind), ['ultralytics']); // no tensorboard source
    const run = runById(runs, 'detect/train');
    assert.equal(run.status, 'FINISHED'); // 25 rows (epochs 0..24), epochs: 25
    assert.deepEqual(Object.keys(run.metrics).includes('epoch'), false);
    assert.deepEqual(history(ws, run, 'train/box_loss').steps.slice(0, 2), [0, 1]);
    assert.equal(at(ws, run, 'train/box_loss', 0), 1.6878);
    assert.equal(run.metrics['lr/pg2']!.last, 0.000892);
    assert.equal(run.metrics['metrics/mAP50-95(B)']!.lastStep, 24);
    assert.equal(history(ws, run, 'lr/pg0').times, null);
    assert.equal(run.startTime, 1675348815000); // events.out.tfevents.1675348815.* (recorded)
    assert.equal(run.params['v5loader'], 'false');
    assert.equal(run.params['name'], 'null');
    assert.equal(run.params['data'], '/content/drive/MyDrive/FireDetection/datasets/fire-8/data.yaml');
  });

  it('YOLOv8 segmentation (8.0/8.1): padded but 1-based, (M) mask metrics and seg losses, experiment "segment"', async () => {
    const { runs, ws } = await scanCorpus('BhushanMalusare__Car-Segmentation-using-YOLOv8');
    const run = runById(runs, 'segment/train');
    assert.equal(run.experiment, 'segment');
    assert.equal(run.status, 'FINISHED'); // 10 rows, epochs: 10
    assert.equal(Object.keys(run.metrics).length, 19);
    assert.equal(at(ws, run, 'metrics/precision(B)', 1), 0.00333);
    assert.equal(at(ws, run, 'metrics/recall(B)', 1), 1);
    assert.equal(at(ws, run, 'metrics/mAP50-95(M)', 10), 0.97103);
    assert.equal(run.metrics['train/seg_loss']!.last, 0.56479);
    assert.equal(run.metrics['val/dfl_loss']!.last, 1.0515);
    assert.equal(run.startTime, 1704028631000);
  });

  it('YOLOv5 (v6.x): runs/train/exp with opt.yaml + hyp.yaml, other column names, 0-based epochs', async () => {
    const { runs, summary, ws } = await scanCorpus('483172__yolov5-custom_lego_dataset-2022-06-15');
    assert.deepEqual(summary.sources.map((s) => [s.kind, s.path]), [['ultralytics', '483172__yolov5-custom_lego_dataset-2022-06-15/runs']]);
    const run = runById(runs, 'train/exp');
    assert.equal(run.experiment, 'detect');
    assert.equal(run.status, 'FINISHED'); // epochs 0..49, opt.yaml epochs: 50
    assert.equal(run.metrics['metrics/mAP_0.5:0.95']!.last, 0.93362);
    assert.equal(at(ws, run, 'train/obj_loss', 0), 0.038913);
    assert.equal(run.metrics['x/lr2']!.last, 0.000496);
    assert.equal(at(ws, run, 'x/lr2', 0), 0.070191);
    // opt.yaml and hyp.yaml together.
    assert.equal(run.params['batch_size'], '16');
    assert.equal(run.params['hyp'], 'data/hyps/hyp.scratch-low.yaml');
    assert.equal(run.params['freeze'], '[0]');
    assert.equal(run.params['lr0'], '0.01');
    assert.equal(run.params['anchor_t'], '4.0');
    assert.equal(run.params['cache'], 'ram');
    assert.equal(run.startTime, 1655416124000);
  });
});

function resultsCsv(rows: number, from = 1): string {
  let text = 'epoch,time,train/box_loss,metrics/mAP50(B),lr/pg0\n';
  for (let e = from; e < from + rows; e++) text += `${e},${e / 2},${(1 / e).toPrecision(6)},${(e / 100).toPrecision(6)},0.01\n`;
  return text;
}

function writeRunFolder(dir: string, epochs: number, rows: number): void {
  writeFile(path.join(dir, 'args.yaml'), `task: detect\nmode: train\nmodel: yolo11n.pt\nepochs: ${epochs}\nbatch: 16\nlr0: 0.01\nsave_dir: ${dir}\n`);
  writeFile(path.join(dir, 'results.csv'), resultsCsv(rows));
  writeFile(path.join(dir, 'weights', 'last.pt'), Buffer.alloc(1234));
}

describe('Ultralytics: generated runs', () => {
  afterEach(() => {
    ultralyticsTiming.liveWindowMs = 10 * 60_000;
  });

  it('weights and plots are artifacts; early stop with final plots is FINISHED; stopped short with none is UNKNOWN', async () => {
    const folder = tempDir();
    const runs = path.join(folder, 'runs', 'detect');
    writeRunFolder(path.join(runs, 'train'), 100, 40);
    writeFile(path.join(runs, 'train', 'weights', 'best.pt'), Buffer.alloc(99));
    writeFile(path.join(runs, 'train', 'results.png'), Buffer.alloc(10));
    writeFile(path.join(runs, 'train', 'confusion_matrix.png'), Buffer.alloc(11));
    writeRunFolder(path.join(runs, 'train2'), 100, 3);
    writeFile(path.join(runs, 'predict', 'image0.jpg'), Buffer.alloc(5)); // not a training run
    age(folder);
    const { runs: found, ws, diagnostics } = await scanFolder(folder);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(found.map((r) => r.id).sort(), ['detect/train', 'detect/train2']);
    const early = runById(found, 'detect/train');
    assert.equal(early.status, 'FINISHED');
    const detail = ws.store.read((db) => getRun(db, early.uid, ws.store.series))!;
    assert.deepEqual(
      detail.artifacts.map((a) => [a.path, a.kind, a.size]),
      [
        ['confusion_matrix.png', 'file', 11],
        ['results.png', 'file', 10],
        ['weights/best.pt', 'model', 99],
        ['weights/last.pt', 'model', 1234],
      ],
    );
    assert.equal(runById(found, 'detect/train2').status, 'UNKNOWN');
    assert.equal(runById(found, 'detect/train2').endTime, null);
  });

  it('a run folder outside runs/<task>/ (project=, name=) is a source of its own, id project/name', async () => {
    const folder = tempDir();
    writeRunFolder(path.join(folder, 'myproj', 'exp1'), 5, 5);
    // The workspace opened inside a run folder of the default layout.
    const inner = tempDir();
    copyTree(corpusPath(UL, '4Kings-Rakamin__Resume_OCR_YOLOv11', 'runs', 'detect', 'train'), path.join(inner, 'train'));
    age(folder);
    age(inner);
    // A runs_dir set to another name: each run folder is a source, with the same ids.
    writeRunFolder(path.join(folder, 'yolo-out', 'segment', 'train'), 5, 5);
    const a = await scanFolder(folder);
    assert.deepEqual(
      a.summary.sources.map((s) => [s.kind, s.path]),
      [
        ['ultralytics', 'myproj/exp1'],
        ['ultralytics', 'yolo-out/segment/train'],
      ],
    );
    assert.equal(runById(a.runs, 'segment/train').experiment, 'detect'); // args.yaml says task: detect
    const run = runById(a.runs, 'myproj/exp1');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.experiment, 'detect');
    const b = await scanFolder(inner);
    assert.deepEqual(b.summary.sources.map((s) => [s.kind, s.path]), [['ultralytics', 'train']]);
    assert.equal(runById(b.runs, path.basename(inner) + '/train').metrics['time']!.last, 4087.99);
  });

  it('a live run: RUNNING while results.csv grows, rows read from the offset with their times, UNKNOWN when it stops short', async () => {
    ultralyticsTiming.liveWindowMs = 2000;
    const folder = tempDir();
    const dir = path.join(folder, 'runs', 'detect', 'train');
    writeRunFolder(dir, 10, 2);
    const { ws, runs } = await scanFolder(folder);
    assert.equal(runById(runs, 'detect/train').status, 'RUNNING');
    let r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 0);

    fs.appendFileSync(path.join(dir, 'results.csv'), '3,1.5,0.333333,0.03,0.01\n4,2,0.25');
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 1);
    let run = runById(r.runs, 'detect/train');
    const h = history(ws, run, 'train/box_loss');
    assert.deepEqual(h.steps, [1, 2, 3]); // the half-written row waits
    assert.deepEqual(h.values, [1, 0.5, 0.333333]);
    assert.equal(h.times![2]! - h.times![0]!, 1000); // time 0.5 s → 1.5 s
    assert.equal(run.status, 'RUNNING');

    fs.appendFileSync(path.join(dir, 'results.csv'), ',0.04,0.01\n');
    r = await rescan(ws);
    run = runById(r.runs, 'detect/train');
    assert.deepEqual(history(ws, run, 'metrics/mAP50(B)').values, [0.01, 0.02, 0.03, 0.04]);

    await new Promise((res) => setTimeout(res, 2200));
    r = await rescan(ws);
    run = runById(r.runs, 'detect/train');
    assert.equal(run.status, 'UNKNOWN'); // 4 of 10 epochs, no final plots
    assert.equal(run.metrics['train/box_loss']!.count, 4);

    // It was resumed and finished: 10 rows, then the final plots.
    fs.appendFileSync(path.join(dir, 'results.csv'), resultsCsv(6, 5).split('\n').slice(1).join('\n'));
    r = await rescan(ws);
    run = runById(r.runs, 'detect/train');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.metrics['train/box_loss']!.count, 10);
    assert.equal(run.endTime! - run.startTime!, 5000); // last time: 5 s
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 0);
  });

  it('a rewritten results.csv (a new training with exist_ok) is read whole', async () => {
    const folder = tempDir();
    const dir = path.join(folder, 'runs', 'detect', 'train');
    writeRunFolder(dir, 10, 10);
    age(folder);
    const { ws } = await scanFolder(folder);
    fs.writeFileSync(path.join(dir, 'results.csv'), resultsCsv(2));
    fs.writeFileSync(path.join(dir, 'args.yaml'), 'task: detect\nepochs: 2\nbatch: 32\n');
    const r = await rescan(ws);
    const run = runById(r.runs, 'detect/train');
    assert.equal(run.metrics['train/box_loss']!.count, 2);
    assert.equal(run.params['batch'], '32');
    assert.equal('model' in run.params, false);
    assert.equal(run.status, 'FINISHED');
  });

  it('bad input: a row with the wrong number of cells, a 50 MB line, an LFS pointer, a broken args.yaml; the rest ingests', async () => {
    const folder = tempDir();
    const runs = path.join(folder, 'runs', 'detect');
    writeRunFolder(path.join(runs, 'cells'), 3, 0);
    fs.writeFileSync(path.join(runs, 'cells', 'results.csv'), 'epoch,time,loss\n1,1,0.9\n2,2\n3,3,0.7,0.1,0.2\n4,4,0.6\n');
    writeRunFolder(path.join(runs, 'huge'), 3, 0);
    fs.writeFileSync(path.join(runs, 'huge', 'results.csv'), Buffer.alloc(50 * 1024 * 1024, 0x31));
    writeRunFolder(path.join(runs, 'lfs'), 3, 0);
    fs.writeFileSync(path.join(runs, 'lfs', 'results.csv'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 9\n');
    writeRunFolder(path.join(runs, 'yaml'), 3, 3);
    fs.writeFileSync(path.join(runs, 'yaml', 'args.yaml'), 'task: detect\nepochs: [3\nbatch: 8\n');
    writeRunFolder(path.join(runs, 'good'), 3, 3);
    age(folder);
    const { runs: found, diagnostics, ws } = await scanFolder(folder);
    const of = (name: string, file: string): [string, number | null, string][] =>
      diagnostics.filter((d) => d.file === `runs/detect/${name}/${file}`).map((d) => [d.severity, d.line, d.message]);
    assert.deepEqual(of('cells', 'results.csv').map(([s, l]) => [s, l]), [['error', 3], ['error', 4]]);
    assert.deepEqual(history(ws, runById(found, 'detect/cells'), 'loss').values, [0.9, 0.6]);
    assert.deepEqual(of('huge', 'results.csv').map(([s, l]) => [s, l]), [['error', 1]]);
    assert.match(of('huge', 'results.csv')[0]![2], /longer than 1 MB/);
    assert.match(of('lfs', 'results.csv')[0]![2], /Git LFS pointer/);
    assert.equal(of('yaml', 'args.yaml')[0]![0], 'error');
    assert.match(of('yaml', 'args.yaml')[0]![2], /invalid YAML/);
    assert.equal(typeof of('yaml', 'args.yaml')[0]![1], 'number');
    // No params, so no planned epochs: the status cannot be FINISHED by row count.
    assert.deepEqual(runById(found, 'detect/yaml').params, {});
    assert.equal(runById(found, 'detect/yaml').metrics['train/box_loss']!.count, 3);
    assert.equal(runById(found, 'detect/good').status, 'FINISHED');
    assert.equal(runById(found, 'detect/huge').status, 'UNKNOWN');
    // Nothing changed: nothing is read again, the diagnostics stay.
    const again = await rescan(ws);
    assert.equal(again.summary.sources[0]!.runsRead, 0);
    assert.deepEqual(again.diagnostics, diagnostics);
  });
});
