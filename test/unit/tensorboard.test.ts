// TensorBoard event files: the decoder on every scalar encoding, every TensorBoard source of the
// corpus (values cross-checked against the shared reference decoder, recipes/formats/tfevents.js),
// damaged files, incremental rescans and a 1,000,000-scalar file.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEventRun } from '../../src/core/ingest/tensorboard/eventRun';
import { crc32c, readEventFile, sortEventFiles, type EventVisitor, type HParamValue } from '../../src/core/ingest/tensorboard/events';
import { tensorboardAdapter } from '../../src/core/ingest/tensorboard/adapter';
import type { Diagnostic } from '../../src/core/ingest/types';
import { getRun, type RunSummary } from '../../src/core/store/queries';
import type { Series } from '../../src/core/store/seriesCodec';
import {
  appendEvents,
  eventBytes,
  eventFile,
  eventFileName,
  eventRecord,
  frameRecord,
  hparamsSessionEnd,
  hparamsSessionStart,
  histogramSummary,
  imageSummary,
  scalarFileValue,
  simpleScalar,
  tensorScalar,
  textSummary,
  writeEventFile,
  writeScalarEventFile,
  type EventSpec,
} from '../../tools/lib/tfeventsWriter';
import { CORPUS, corpusWorkspace } from '../helpers/corpus';
import { rescan, scanFolder } from '../helpers/scan';
import { tempDir, writeFile } from '../helpers/temp';

// The reference reader shared with the team (validated against protobufjs), loaded read-only.
interface RefItem {
  kind: string;
  tag?: string;
  step: number;
  wallTime: number;
  value?: number;
}
interface RefReader {
  readRecords(buf: Uint8Array, offset: number): { records: Uint8Array[]; consumed: number };
  parseEvent(b: Uint8Array): RefItem[];
}
const reference = createRequire(__filename)(path.resolve(CORPUS, '..', '..', 'recipes', 'formats', 'tfevents.js')) as RefReader;

/** Histories of a run's folders decoded by the reference reader (prefix per folder). */
function referenceHistories(folders: { dir: string; prefix: string }[]): Record<string, Series> {
  const out: Record<string, Series> = {};
  for (const { dir, prefix } of folders) {
    for (const name of sortEventFiles(fs.readdirSync(dir).filter((n) => n.startsWith('events.out.tfevents.')))) {
      const buf = new Uint8Array(fs.readFileSync(path.join(dir, name)));
      for (const rec of reference.readRecords(buf, 0).records) {
        for (const item of reference.parseEvent(rec)) {
          if (item.kind !== 'scalar') continue;
          const s = (out[prefix + item.tag] ??= { steps: [], times: [], values: [] });
          s.steps.push(item.step);
          s.times!.push(Math.round(item.wallTime * 1000));
          s.values.push(item.value!);
        }
      }
    }
  }
  return out;
}

function runOf(runs: RunSummary[], source: string, id: string): RunSummary {
  const r = runs.find((x) => x.source.path === source && x.id === id);
  if (!r) throw new Error(`run ${source} ${id} not found among ${runs.map((x) => `${x.source.path}#${x.id}`).join(', ')}`);
  return r;
}

function rel(folder: string, file: string): string {
  return path.relative(folder, file).split(path.sep).join('/');
}

const T0 = 1_700_000_000; // seconds

function scalars(from: number, to: number, tag = 'loss', value = (s: number) => 1 / (s + 1), t0 = T0): EventSpec[] {
  const out: EventSpec[] = [];
  for (let s = from; s < to; s++) out.push({ wallTime: t0 + s, step: s, values: [simpleScalar(tag, value(s))] });
  return out;
}

/** Offsets of the records of a file (to damage one on purpose). */
function recordOffsets(file: string): number[] {
  const b = fs.readFileSync(file);
  const out: number[] = [];
  for (let p = 0; p + 12 <= b.length; p += 12 + b.readUInt32LE(p) + 4) out.push(p);
  return out;
}

interface Collected {
  scalars: [string, number, number, number][];
  texts: [string, string][];
  starts: Record<string, HParamValue>[];
  ends: [number, number | undefined][];
  logs: [number, number][];
}

function decodeFile(file: string, diags: Diagnostic[] = []): Collected & { consumed: number; incomplete: boolean } {
  const c: Collected = { scalars: [], texts: [], starts: [], ends: [], logs: [] };
  const visitor: EventVisitor = {
    scalar: (tag, step, wallTime, value) => c.scalars.push([tag, step, wallTime, value]),
    text: (tag, _s, _w, text) => c.texts.push([tag, text]),
    sessionStart: (h) => c.starts.push(h),
    sessionEnd: (status, end) => c.ends.push([status, end]),
    sessionLog: (status, step) => c.logs.push([status, step]),
  };
  const r = readEventFile(file, 0, visitor, diags)!;
  return { ...c, consumed: r.consumed, incomplete: r.incomplete };
}

describe('TensorBoard event files', () => {
  describe('decoder', () => {
    it('CRC-32C matches the standard test vector', () => {
      assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
      const long = Buffer.alloc(1000, 7);
      // slice-by-8 and the byte loop agree at every split
      assert.equal(crc32c(long, 3, 997), crc32c(Buffer.from(long.subarray(3, 997))));
    });

    it('reads scalars as simple_value and as tensors (float, double, half, bfloat16; content or typed list)', () => {
      const dir = tempDir();
      const file = writeEventFile(dir, eventFileName(T0), [
        { wallTime: T0 + 1, step: 1, values: [simpleScalar('simple', 0.5)] },
        { wallTime: T0 + 2, step: 2, values: [tensorScalar('f32c', 0.25, 'f32-content')] },
        { wallTime: T0 + 3, step: 3, values: [tensorScalar('f32v', 0.125, 'f32-val')] },
        { wallTime: T0 + 4, step: 4, values: [tensorScalar('f64c', 0.1, 'f64-content')] },
        { wallTime: T0 + 5, step: 5, values: [tensorScalar('f64v', 0.2, 'f64-val')] },
        { wallTime: T0 + 6, step: 6, values: [tensorScalar('halfc', 1.5, 'half-content')] },
        { wallTime: T0 + 7, step: 7, values: [tensorScalar('halfv', -2.25, 'half-val')] },
        { wallTime: T0 + 8, step: 8, values: [tensorScalar('bf16', 3, 'bf16-val')] },
        { wallTime: T0 + 9, step: 9, values: [imageSummary('img'), histogramSummary('hist'), simpleScalar('after', 7)] },
        { wallTime: T0 + 10, step: -1, values: [simpleScalar('negative step', 1)] },
        { wallTime: T0 + 11, step: 2 ** 40, values: [simpleScalar('big step', 2)] },
      ]);
      const diags: Diagnostic[] = [];
      const got = decodeFile(file, diags);
      assert.deepEqual(diags, []);
      assert.deepEqual(
        got.scalars.map(([tag, step, , v]) => [tag, step, v]),
        [
          ['simple', 1, 0.5],
          ['f32c', 2, 0.25],
          ['f32v', 3, 0.125],
          ['f64c', 4, 0.1],
          ['f64v', 5, 0.2],
          ['halfc', 6, 1.5],
          ['halfv', 7, -2.25],
          ['bf16', 8, 3],
          ['after', 9, 7],
          ['negative step', -1, 1],
          ['big step', 2 ** 40, 2],
        ],
      );
      assert.equal(got.scalars[0]![2], T0 + 1);
      // The reference decoder reads the same file the same way.
      const ref = reference.readRecords(new Uint8Array(fs.readFileSync(file)), 0).records.flatMap((r) => reference.parseEvent(r));
      assert.deepEqual(
        ref.filter((i) => i.kind === 'scalar' && i.tag !== 'negative step' && i.tag !== 'big step').map((i) => [i.tag, i.value]),
        got.scalars.slice(0, 9).map(([tag, , , v]) => [tag, v]),
      );
    });

    it('reads text summaries, HParams session start and end, and session logs', () => {
      const dir = tempDir();
      const file = writeEventFile(dir, eventFileName(T0), [
        { wallTime: T0, values: [textSummary('args/text_summary', '{"lr": 0.1}')] },
        { wallTime: T0, values: [hparamsSessionStart({ lr: 0.001, optimizer: 'adam', amp: true, none: null }, T0)] },
        { wallTime: T0, sessionLog: 1 },
        { wallTime: T0 + 5, values: [hparamsSessionEnd(1, T0 + 5)] },
        { wallTime: T0 + 5, values: [hparamsSessionEnd(1)] },
      ]);
      const got = decodeFile(file);
      assert.deepEqual(got.texts, [['args/text_summary', '{"lr": 0.1}']]);
      assert.deepEqual(got.starts, [{ lr: 0.001, optimizer: 'adam', amp: true, none: null }]);
      assert.deepEqual(got.ends, [
        [1, T0 + 5],
        [1, undefined],
      ]);
      assert.deepEqual(got.logs, [[1, 0]]);
    });

    it('keeps the newest value of a step, and a SessionLog START drops the points after the restart step', () => {
      const dir = tempDir();
      writeEventFile(dir, eventFileName(T0), [
        ...scalars(0, 10),
        { wallTime: T0 + 20, step: 9, values: [simpleScalar('loss', 0.5)] }, // step 9 again
        { wallTime: T0 + 21, step: 5, sessionLog: 1 }, // resumed from step 5
        ...scalars(5, 8, 'loss', (s) => s, T0 + 30),
      ]);
      const r = readEventRun([{ dir, prefix: '', id: '.' }], undefined);
      const loss = r.metrics!.get('loss')!;
      assert.deepEqual(loss.steps, [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(loss.values.slice(4), [Math.fround(1 / 5), 5, 6, 7]);
      assert.equal(loss.times![7], (T0 + 37) * 1000);
    });
  });

  describe('real corpus', () => {
    it('Alwaysproblem (TF 2.1 Keras + HParams): 11 log folders; train/ and validation/ merged into their run; hparams as params', async () => {
      const folder = corpusWorkspace('tensorboard', 'Alwaysproblem__tensorboard-review');
      const { runs, summary, diagnostics, ws } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      const base = 'Alwaysproblem__tensorboard-review';
      const hp = `${base}/log/text_hp/hparam_tuning`;
      assert.deepEqual(
        summary.sources.map((s) => [s.kind, s.path, s.runs]),
        [
          ...Array.from({ length: 9 }, (_, i) => ['tensorboard', `${hp}/run-${i}`, 1]),
          ['tensorboard', `${base}/logs/custom/20200328-162351`, 1],
          ['tensorboard', `${base}/logs/standard/20200326-221129`, 1],
        ],
      );
      assert.equal(runs.length, 11);

      // An HParams session: params from session_start_info, FINISHED at session_end_info's time.
      const run6 = runOf(runs, `${hp}/run-6`, '.');
      assert.equal(run6.name, 'run-6');
      assert.equal(run6.experiment, 'hparam_tuning');
      assert.deepEqual(run6.params, { num_units: '64', optimizers: 'RMSprop' });
      assert.equal(run6.status, 'FINISHED');
      assert.equal(run6.startTime, 1585754902000);
      assert.equal(run6.endTime, 1585754908274); // end_time_secs 1585754908.2739336
      assert.deepEqual(Object.keys(run6.metrics).sort(), ['train/epoch_accuracy', 'train/epoch_loss', 'validation/epoch_accuracy', 'validation/epoch_loss']);
      assert.deepEqual([run6.metrics['train/epoch_accuracy']!.count, run6.metrics['train/epoch_accuracy']!.last], [4, 0.8425999879837036]);
      assert.equal(run6.metrics['validation/epoch_loss']!.last, 0.4676857888698578);
      assert.deepEqual(runOf(runs, `${hp}/run-0`, '.').params, { num_units: '16', optimizers: 'RMSprop' });
      assert.deepEqual(runOf(runs, `${hp}/run-8`, '.').params, { num_units: '64', optimizers: 'sgd' });

      // tf.summary.scalar in a custom loop: tensor-valued scalars only.
      const custom = runOf(runs, `${base}/logs/custom/20200328-162351`, '.');
      assert.equal(custom.experiment, 'custom');
      assert.deepEqual([custom.metrics['logloss']!.count, custom.metrics['logloss']!.lastStep, custom.metrics['logloss']!.last], [50, 49, 0.01093563623726368]);
      assert.equal(custom.metrics['metrics']!.last, 0.9881635308265686);
      assert.equal(custom.status, 'FINISHED');

      const standard = runOf(runs, `${base}/logs/standard/20200326-221129`, '.');
      assert.deepEqual([standard.metrics['train/epoch_accuracy']!.count, standard.metrics['train/epoch_accuracy']!.last], [200, 0.9800000190734863]);
      assert.equal(standard.metrics['validation/epoch_accuracy']!.last, 1);

      // Every history equals the reference decoder's, point by point (values, steps, times).
      const cases: [RunSummary, { dir: string; prefix: string }[]][] = [
        [run6, ['', 'train/', 'validation/'].map((p) => ({ dir: path.join(folder, hp, 'run-6', p.replace('/', '')), prefix: p }))],
        [custom, [{ dir: path.join(folder, base, 'logs/custom/20200328-162351'), prefix: '' }]],
        [standard, ['train/', 'validation/'].map((p) => ({ dir: path.join(folder, base, 'logs/standard/20200326-221129', p.replace('/', '')), prefix: p }))],
      ];
      for (const [run, folders] of cases) {
        const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
        assert.deepEqual(detail.histories, referenceHistories(folders));
      }
    });

    it('piyush-kgp (TF1 Keras, 75,083 records): one run in a folder named like a float timestamp', async () => {
      const folder = corpusWorkspace('tensorboard', 'piyush-kgp__Fashion-MNIST-in-Keras');
      const { runs, summary, diagnostics, ws } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      const source = 'piyush-kgp__Fashion-MNIST-in-Keras/logs/1543806248.4115598';
      assert.deepEqual(summary.sources.map((s) => [s.path, s.runs]), [[source, 1]]);
      const run = runOf(runs, source, '.');
      assert.equal(run.experiment, 'logs');
      assert.deepEqual([run.metrics['batch_loss']!.count, run.metrics['batch_loss']!.lastStep, run.metrics['batch_loss']!.last], [37500, 37499, 0.3585526943206787]);
      assert.equal(run.metrics['batch_acc']!.last, 0.9375);
      assert.deepEqual([run.metrics['epoch_val_acc']!.count, run.metrics['epoch_val_acc']!.last], [20, 0.885200023651123]);
      assert.equal(run.metrics['epoch_loss']!.last, 0.18027238547801971);
      assert.equal(run.startTime, 1543806258000);
      assert.equal(run.endTime, 1543806330437);
      assert.equal(run.status, 'FINISHED');
      const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
      assert.deepEqual(detail.histories, referenceHistories([{ dir: path.join(folder, source), prefix: '' }]));
      assert.equal(detail.histories['batch_loss']!.values[0], 2.477816343307495);
    });

    it('FenHua (tensorboardX 1.x): 32 files of 25 bytes, each one event without data: one run, no metrics', async () => {
      const folder = corpusWorkspace('tensorboard', 'FenHua__Pytorch-notebook');
      const { runs, summary, diagnostics } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      assert.deepEqual(summary.sources.map((s) => [s.path, s.runs]), [['FenHua__Pytorch-notebook/logs', 1]]);
      const run = runOf(runs, 'FenHua__Pytorch-notebook/logs', '.');
      assert.deepEqual(run.metrics, {});
      assert.equal(run.status, 'FINISHED');
      assert.equal(run.startTime, 1555917027463); // the first file's only event
      assert.equal(run.endTime, 1555939924407);
    });

    it('MajedNaN (PyTorch SummaryWriter): 5 files flat in runs/ are one run; pr_curves are skipped', async () => {
      const folder = corpusWorkspace('tensorboard', 'MajedNaN__TimeSeriesClassification');
      const { runs, summary, diagnostics } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      assert.deepEqual(summary.sources.map((s) => [s.path, s.runs]), [['MajedNaN__TimeSeriesClassification/runs', 1]]);
      const run = runOf(runs, 'MajedNaN__TimeSeriesClassification/runs', '.');
      assert.deepEqual(run.metrics, {});
      assert.equal(run.experiment, 'MajedNaN__TimeSeriesClassification');
      assert.equal(run.startTime, 1671394417086);
      assert.equal(run.endTime, 1671398632219);
    });

    it('every event file of the corpus decodes as the reference decoder reads it (or is reported, for LFS pointers)', () => {
      const files: string[] = [];
      const walk = (dir: string): void => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          if (e.isDirectory()) walk(path.join(dir, e.name));
          else if (e.name.startsWith('events.out.tfevents.')) files.push(path.join(dir, e.name));
        }
      };
      walk(CORPUS);
      assert.ok(files.length > 100, `${files.length} event files`);
      let lfs = 0;
      for (const file of files) {
        const diags: Diagnostic[] = [];
        const got = decodeFile(file, diags);
        const buf = new Uint8Array(fs.readFileSync(file));
        if (Buffer.from(buf.subarray(0, 7)).toString() === 'version') {
          lfs++;
          assert.match(diags[0]!.message, /Git LFS pointer/);
          continue;
        }
        assert.deepEqual(diags, [], file);
        const ref = reference.readRecords(buf, 0);
        assert.equal(got.consumed, ref.consumed, file);
        const refScalars = ref.records.flatMap((r) => reference.parseEvent(r)).filter((i) => i.kind === 'scalar');
        assert.deepEqual(
          got.scalars.map(([tag, step, wallTime, value]) => [tag, step, wallTime, value]),
          refScalars.map((i) => [i.tag, i.step, i.wallTime, i.value]),
          file,
        );
      }
      assert.equal(lfs, 3); // the Hugging Face whisper run was committed without `git lfs pull`
    });
  });

  describe('folders, runs and status', () => {
    it('PyTorch add_hparams child folder is merged into its run; several are separate sessions', async () => {
      const ws = tempDir();
      const one = path.join(ws, 'runs', 'Mar01_host');
      writeEventFile(one, eventFileName(T0), scalars(0, 3));
      writeEventFile(path.join(one, '1700000010.123456'), eventFileName(T0 + 10), [
        { wallTime: T0 + 10, values: [hparamsSessionStart({ lr: 0.1, optimizer: 'adam' })] },
        { wallTime: T0 + 10, values: [hparamsSessionEnd(1)] },
        { wallTime: T0 + 10, values: [simpleScalar('hparam/accuracy', 0.75)] },
      ]);
      writeEventFile(path.join(one, 'Loss_val'), eventFileName(T0), scalars(0, 2, 'Loss')); // add_scalars child
      const multi = path.join(ws, 'runs', 'sweep');
      writeEventFile(multi, eventFileName(T0), scalars(0, 1));
      for (const [i, lr] of [
        [1, 0.1],
        [2, 0.01],
      ] as const) {
        writeEventFile(path.join(multi, `170000000${i}.5`), eventFileName(T0 + i), [{ wallTime: T0 + i, values: [hparamsSessionStart({ lr })] }]);
      }
      const { runs, summary, diagnostics } = await scanFolder(ws);
      assert.deepEqual(diagnostics, []);
      assert.deepEqual(
        summary.sources.map((s) => [s.kind, s.path, s.runs]),
        [
          ['tensorboard', 'runs/Mar01_host', 2],
          ['tensorboard', 'runs/sweep', 3],
        ],
      );
      const main = runOf(runs, 'runs/Mar01_host', '.');
      assert.deepEqual(main.params, { lr: '0.1', optimizer: 'adam' });
      assert.deepEqual(Object.keys(main.metrics).sort(), ['hparam/accuracy', 'loss']);
      assert.equal(main.experiment, 'runs');
      // PyTorch's SUCCESS placeholder (no end time) is no end signal: the files' own times decide.
      assert.equal(main.status, 'FINISHED');
      assert.equal(main.endTime, (T0 + 10) * 1000);
      assert.deepEqual(Object.keys(runOf(runs, 'runs/Mar01_host', 'Loss_val').metrics), ['Loss']);
      assert.deepEqual(runOf(runs, 'runs/sweep', '1700000002.5').params, { lr: '0.01' });
      assert.deepEqual(runOf(runs, 'runs/sweep', '.').params, {});
    });

    it('a folder whose train/ holds other files than event files is not a Keras split', () => {
      const ws = tempDir();
      const dir = path.join(ws, 'runs', 'detect');
      writeEventFile(path.join(dir, 'train'), eventFileName(T0), scalars(0, 1));
      writeFile(path.join(dir, 'train', 'results.csv'), 'epoch,loss\n1,0.5\n');
      assert.equal(tensorboardAdapter.detect({ path: dir, dirs: ['train'], files: [] }), undefined);
      fs.rmSync(path.join(dir, 'train', 'results.csv'));
      assert.deepEqual(tensorboardAdapter.detect({ path: dir, dirs: ['train'], files: [] }), {
        roots: [{ kind: 'tensorboard', path: dir }],
        skip: ['train'],
        exclusive: true,
      });
    });

    it('status: an end time in session_end_info, a SessionLog STOP, or recency', async () => {
      const ws = tempDir();
      const now = Date.now() / 1000;
      writeEventFile(path.join(ws, 'tf-ok'), eventFileName(T0), [...scalars(0, 2), { wallTime: T0 + 9, values: [hparamsSessionEnd(1, T0 + 9)] }]);
      writeEventFile(path.join(ws, 'tf-failed'), eventFileName(T0), [...scalars(0, 2), { wallTime: T0 + 9, values: [hparamsSessionEnd(2, T0 + 9)] }]);
      writeEventFile(path.join(ws, 'stopped'), eventFileName(now), [...scalars(0, 2, 'loss', (s) => s, now), { wallTime: now + 2, sessionLog: 2 }]);
      writeEventFile(path.join(ws, 'live'), eventFileName(now), [
        { wallTime: now, values: [hparamsSessionEnd(1)] }, // PyTorch's placeholder, written at the start
        ...scalars(0, 2, 'loss', (s) => s, now - 60),
      ]);
      writeEventFile(path.join(ws, 'old-events-fresh-copy'), eventFileName(T0), scalars(0, 2)); // mtime now, events from 2023
      const { runs } = await scanFolder(ws);
      const status = (p: string): [string, number | null] => {
        const r = runOf(runs, p, '.');
        return [r.status, r.endTime];
      };
      assert.deepEqual(status('tf-ok'), ['FINISHED', (T0 + 9) * 1000]);
      assert.deepEqual(status('tf-failed'), ['FAILED', (T0 + 9) * 1000]);
      assert.deepEqual(status('stopped'), ['FINISHED', Math.round((now + 2) * 1000)]);
      assert.deepEqual(status('live'), ['RUNNING', null]);
      assert.deepEqual(status('old-events-fresh-copy'), ['FINISHED', (T0 + 1) * 1000]);
    });
  });

  describe('bad input', () => {
    function goodRun(ws: string): void {
      writeEventFile(path.join(ws, 'good'), eventFileName(T0), scalars(0, 5));
    }
    async function assertGoodRun(runs: RunSummary[]): Promise<void> {
      const good = runOf(runs, 'good', '.');
      assert.deepEqual([good.metrics['loss']!.count, good.metrics['loss']!.last], [5, Math.fround(1 / 5)]);
    }

    it('a record whose data checksum fails: diagnostic with file and byte offset; the records around it are kept', async () => {
      const ws = tempDir();
      goodRun(ws);
      const file = writeEventFile(path.join(ws, 'bad'), eventFileName(T0), scalars(0, 10));
      const at = recordOffsets(file)[6]!; // header record, then steps 0..9: this is step 5
      const b = fs.readFileSync(file);
      b[at + 14] = b[at + 14]! ^ 0xff;
      fs.writeFileSync(file, b);
      const { runs, diagnostics } = await scanFolder(ws);
      await assertGoodRun(runs);
      assert.deepEqual(diagnostics, [{ severity: 'error', file: rel(ws, file), line: null, message: `record at byte ${at} fails its data checksum: skipped` }]);
      const bad = runOf(runs, 'bad', '.');
      assert.deepEqual([bad.metrics['loss']!.count, bad.metrics['loss']!.lastStep], [9, 9]);
    });

    it('a record whose length checksum fails: diagnostic; what was read before it is kept', async () => {
      const ws = tempDir();
      goodRun(ws);
      const file = writeEventFile(path.join(ws, 'bad'), eventFileName(T0), scalars(0, 10));
      const at = recordOffsets(file)[6]!;
      const b = fs.readFileSync(file);
      b[at + 9] = b[at + 9]! ^ 0x01;
      fs.writeFileSync(file, b);
      const { runs, diagnostics } = await scanFolder(ws);
      await assertGoodRun(runs);
      assert.equal(diagnostics.length, 1);
      assert.equal(diagnostics[0]!.file, rel(ws, file));
      assert.equal(diagnostics[0]!.message, `corrupt record at byte ${at} (length checksum mismatch): the rest of the file is not read`);
      const bad = runOf(runs, 'bad', '.');
      assert.deepEqual([bad.metrics['loss']!.count, bad.metrics['loss']!.lastStep], [5, 4]);
    });

    it('a Git LFS pointer named events.out.tfevents.*: diagnostic, the run is there with status UNKNOWN', async () => {
      const ws = tempDir();
      goodRun(ws);
      const file = writeFile(
        path.join(ws, 'lfs', eventFileName(T0)),
        'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 13370\n',
      );
      const { runs, diagnostics } = await scanFolder(ws);
      await assertGoodRun(runs);
      assert.deepEqual(diagnostics, [
        { severity: 'error', file: rel(ws, file), line: null, message: 'this is a Git LFS pointer, not the event file (run `git lfs pull` to fetch it)' },
      ]);
      assert.equal(runOf(runs, 'lfs', '.').status, 'UNKNOWN');
    });

    it('binary garbage, and a record with a valid checksum that is not an Event: diagnostics', async () => {
      const ws = tempDir();
      goodRun(ws);
      const garbage = Buffer.alloc(4096);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
      const g = writeFile(path.join(ws, 'garbage', eventFileName(T0)), garbage);
      const notEvent = path.join(ws, 'not-event', eventFileName(T0));
      writeFile(notEvent, Buffer.concat([eventRecord({ wallTime: T0, fileVersion: 'brain.Event:2' }), frameRecord(Uint8Array.from([0x0b, 0x01, 0x02])), eventRecord(scalars(3, 4)[0]!)]));
      const { runs, diagnostics } = await scanFolder(ws);
      await assertGoodRun(runs);
      assert.deepEqual(
        diagnostics.map((d) => [d.file, d.message]),
        [
          [rel(ws, g), 'not a TensorBoard event file: no valid record at byte 0 (length checksum mismatch)'],
          [rel(ws, notEvent), 'record at byte 40 is not a valid TensorBoard event (unsupported wire type 3): skipped'],
        ],
      );
      assert.equal(runOf(runs, 'not-event', '.').metrics['loss']!.lastStep, 3);
    });

    it('a 50 MB single-line text file under an event file name: diagnostic, the rest ingests', async () => {
      const ws = tempDir();
      goodRun(ws);
      const file = writeFile(path.join(ws, 'huge', eventFileName(T0)), Buffer.alloc(50 * 1024 * 1024, 'a'));
      const { runs, diagnostics } = await scanFolder(ws);
      await assertGoodRun(runs);
      assert.deepEqual(diagnostics.map((d) => [d.file, d.message]), [[rel(ws, file), 'not a TensorBoard event file: no valid record at byte 0 (length checksum mismatch)']]);
    });

    it('a truncated last record is tolerated silently; completed, its point arrives on the next scan', async () => {
      const ws = tempDir();
      const file = writeEventFile(path.join(ws, 'live'), eventFileName(T0), scalars(0, 3));
      const last = eventRecord(scalars(3, 4)[0]!);
      fs.appendFileSync(file, last.subarray(0, 20)); // the writer is mid-flush
      const first = await scanFolder(ws);
      assert.deepEqual(first.diagnostics, []);
      assert.deepEqual(runOf(first.runs, 'live', '.').metrics['loss']!.count, 3);
      fs.appendFileSync(file, last.subarray(20));
      await rescan(first.ws);
      // A tail of 3 bytes, then the rest of a record: read from the record's start each time.
      const next = eventRecord(scalars(4, 5)[0]!);
      fs.appendFileSync(file, next.subarray(0, 3));
      const partial = await rescan(first.ws);
      assert.deepEqual(partial.diagnostics, []);
      assert.deepEqual(runOf(partial.runs, 'live', '.').metrics['loss']!.count, 4);
      fs.appendFileSync(file, next.subarray(3));
      const again = await rescan(first.ws);
      assert.deepEqual(again.diagnostics, []);
      const run = runOf(again.runs, 'live', '.');
      assert.deepEqual([run.metrics['loss']!.count, run.metrics['loss']!.lastStep], [5, 4]);
    });
  });

  describe('incremental rescans', () => {
    it('no change: no run read; records appended: only that run is read, from its offset', async () => {
      const ws = tempDir();
      const a = writeEventFile(path.join(ws, 'a'), eventFileName(T0), scalars(0, 100));
      writeEventFile(path.join(ws, 'b'), eventFileName(T0), scalars(0, 10));
      const first = await scanFolder(ws);
      const dbMtime = fs.statSync(first.ws.store.dbPath).mtimeMs;
      const idle = await rescan(first.ws);
      assert.deepEqual(idle.summary.sources.map((s) => s.runsRead), [0, 0]);
      assert.equal(fs.statSync(first.ws.store.dbPath).mtimeMs, dbMtime);

      // Damage a record already read (same size): a read from the last offset does not see it.
      const at = recordOffsets(a)[3]!;
      const b = fs.readFileSync(a);
      b[at + 14] = b[at + 14]! ^ 0xff;
      fs.writeFileSync(a, b);
      appendEvents(a, scalars(100, 150));
      const grown = await rescan(first.ws);
      assert.deepEqual(grown.summary.sources.map((s) => [s.path, s.runsRead]), [
        ['a', 1],
        ['b', 0],
      ]);
      assert.deepEqual(grown.diagnostics, []); // the damaged record was not read again
      const run = runOf(grown.runs, 'a', '.');
      assert.deepEqual([run.metrics['loss']!.count, run.metrics['loss']!.lastStep, run.metrics['loss']!.last], [150, 149, Math.fround(1 / 150)]);
      const detail = first.ws.store.read((db) => getRun(db, run.uid, first.ws.store.series))!;
      assert.deepEqual(detail.histories['loss']!.steps, Array.from({ length: 150 }, (_, i) => i));

      // A new file of the same run (the writer restarted) is read from its start, appended.
      writeEventFile(path.join(ws, 'a'), eventFileName(T0 + 1000), scalars(150, 160, 'loss', (s) => s, T0 + 1000), { wallTime: T0 + 1000 });
      const more = await rescan(first.ws);
      assert.deepEqual(more.summary.sources.map((s) => s.runsRead), [1, 0]);
      assert.equal(runOf(more.runs, 'a', '.').metrics['loss']!.count, 160);
      assert.equal(runOf(more.runs, 'a', '.').metrics['loss']!.last, 159);
    });

    it('a step written again in the tail makes the run read whole (newest value kept)', async () => {
      const ws = tempDir();
      const a = writeEventFile(path.join(ws, 'a'), eventFileName(T0), scalars(0, 5));
      const first = await scanFolder(ws);
      appendEvents(a, [{ wallTime: T0 + 100, step: 2, values: [simpleScalar('loss', 42)] }]);
      const again = await rescan(first.ws);
      const run = runOf(again.runs, 'a', '.');
      const detail = first.ws.store.read((db) => getRun(db, run.uid, first.ws.store.series))!;
      assert.deepEqual(detail.histories['loss']!.steps, [0, 1, 2, 3, 4]);
      assert.equal(detail.histories['loss']!.values[2], 42);
    });

    it('a live run becomes FINISHED when its session ends', async () => {
      const ws = tempDir();
      const now = Date.now() / 1000;
      const file = writeEventFile(path.join(ws, 'live'), eventFileName(now), scalars(0, 3, 'loss', (s) => s, now));
      const first = await scanFolder(ws);
      assert.equal(runOf(first.runs, 'live', '.').status, 'RUNNING');
      appendEvents(file, [{ wallTime: now + 5, values: [hparamsSessionEnd(1, now + 5)] }]);
      const again = await rescan(first.ws);
      const run = runOf(again.runs, 'live', '.');
      assert.equal(run.status, 'FINISHED');
      assert.equal(run.endTime, Math.round((now + 5) * 1000));
      assert.equal(run.metrics['loss']!.count, 3);
    });
  });

  describe('a file of 1,000,000 scalars', () => {
    it('parses completely: counts, first and last values', () => {
      const dir = tempDir();
      const file = path.join(dir, eventFileName(T0));
      const written = writeScalarEventFile(file, { count: 1_000_000 });
      assert.equal(fs.statSync(file).size, written.bytes);
      let n = 0;
      let first: [number, number] | undefined;
      let last: [number, number] = [0, 0];
      const diags: Diagnostic[] = [];
      const r = readEventFile(file, 0, {
        scalar(_tag, step, _wallTime, value) {
          n++;
          first ??= [step, value];
          last = [step, value];
        },
      }, diags)!;
      assert.deepEqual(diags, []);
      assert.equal(r.records, 1_000_001);
      assert.equal(r.consumed, written.bytes);
      assert.equal(n, 1_000_000);
      assert.deepEqual(first, [0, scalarFileValue(0)]);
      assert.deepEqual(last, [999_999, scalarFileValue(999_999)]);
      // The same through the run reader (histories as stored).
      const run = readEventRun([{ dir, prefix: '', id: '.' }], undefined);
      const loss = run.metrics!.get('loss')!;
      assert.equal(loss.values.length, 1_000_000);
      assert.equal(loss.values[500_000], scalarFileValue(500_000));
      assert.equal(loss.times![999_999], Math.round((1_700_000_000 + 999_999 * 0.01) * 1000));
    });
  });

  it('the writer frames records as the reference does', () => {
    const data = eventBytes({ wallTime: T0, step: 3, values: [simpleScalar('x', 1)] });
    const ref = reference.readRecords(frameRecord(data), 0);
    assert.equal(ref.records.length, 1);
    assert.deepEqual(reference.parseEvent(ref.records[0]!).map((i) => [i.kind, i.tag, i.step, i.value]), [['scalar', 'x', 3, 1]]);
    assert.equal(eventFile([]).length, 40); // the file_version record alone, as in the corpus
  });
});
