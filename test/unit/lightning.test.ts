// PyTorch Lightning logs: every Lightning source of the corpus (CSVLogger, TensorBoardLogger,
// TestTube, pytorch-forecasting's hparams.yaml), damaged files and incremental rescans.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paramsFromYaml } from '../../src/core/ingest/lightning/hparams';
import type { Diagnostic } from '../../src/core/ingest/types';
import { getRun, listExperiments, type RunSummary } from '../../src/core/store/queries';
import { appendEvents, eventFileName, hparamsSessionStart, simpleScalar, writeEventFile, type EventSpec } from '../../tools/lib/tfeventsWriter';
import { CORPUS, corpusWorkspace } from '../helpers/corpus';
import { rescan, scanFolder } from '../helpers/scan';
import { tempDir, writeFile } from '../helpers/temp';

interface RefReader {
  readRecords(buf: Uint8Array, offset: number): { records: Uint8Array[] };
  parseEvent(b: Uint8Array): { kind: string; tag?: string; step: number; wallTime: number; value?: number }[];
}
const reference = createRequire(__filename)(path.resolve(CORPUS, '..', '..', 'recipes', 'formats', 'tfevents.js')) as RefReader;

function runOf(runs: RunSummary[], source: string, id: string): RunSummary {
  const r = runs.find((x) => x.source.path === source && x.id === id);
  if (!r) throw new Error(`run ${source} ${id} not found among ${runs.map((x) => `${x.source.path}#${x.id}`).join(', ')}`);
  return r;
}

function rel(folder: string, file: string): string {
  return path.relative(folder, file).split(path.sep).join('/');
}

/** Sets every file and folder below dir to an old mtime: logs written long ago. */
function age(dir: string, seconds = 86_400): void {
  const t = Date.now() / 1000 - seconds;
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    fs.utimesSync(p, t, t);
  };
  walk(dir);
}

/** Python csv's excel dialect: CRLF line ends. */
function csv(header: string[], rows: (string | number)[][]): string {
  return [header.join(','), ...rows.map((r) => r.join(','))].map((l) => `${l}\r\n`).join('');
}

const T0 = 1_700_000_000;

describe('PyTorch Lightning logs', () => {
  describe('real corpus', () => {
    it('genrisk (Lightning 2.x CSVLogger): 16 versions, hparams {}, nan cells and 1.6e+24 values', async () => {
      const folder = corpusWorkspace('lightning', 'AIRI-Institute__genrisk');
      age(folder);
      const { runs, summary, diagnostics, ws } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      const source = 'AIRI-Institute__genrisk/lightning_logs';
      assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['lightning', source, 16]]);
      assert.ok(runs.every((r) => r.status === 'FINISHED' && r.experiment === 'lightning_logs' && Object.keys(r.params).length === 0));

      const v0 = runOf(runs, source, 'version_0');
      assert.equal(v0.tags['lightning.logger'], 'csv');
      assert.deepEqual([v0.metrics['train_disc_loss']!.count, v0.metrics['train_disc_loss']!.lastStep], [320, 319]);
      assert.ok(Number.isNaN(v0.metrics['train_disc_loss']!.last));
      assert.deepEqual([v0.metrics['epoch']!.last, v0.metrics['epoch']!.lastStep], [79, 319]);
      const h0 = ws.store.read((db) => getRun(db, v0.uid, ws.store.series))!.histories;
      assert.equal(h0['train_disc_loss']!.values[0], 1.6226933508321501e24); // "1.6226933508321501e+24"
      assert.ok(Number.isNaN(h0['train_disc_loss']!.values[1]!)); // "nan"
      assert.equal(h0['train_disc_loss']!.times, null); // CSVLogger writes no times
      assert.deepEqual(h0['epoch']!.steps.slice(0, 3), [0, 1, 2]);

      const v5 = runOf(runs, source, 'version_5');
      const h5 = ws.store.read((db) => getRun(db, v5.uid, ws.store.series))!.histories;
      assert.deepEqual([h5['train_disc_loss']!.values.length, h5['train_disc_loss']!.values[0]], [40, -1.367891097838423e25]);

      const v15 = runOf(runs, source, 'version_15');
      assert.deepEqual([v15.metrics['train_gen_loss']!.count, v15.metrics['train_gen_loss']!.lastStep, v15.metrics['train_gen_loss']!.last], [100, 99, 0.38028639554977417]);
      assert.equal(v15.metrics['train_disc_loss']!.last, 0.011734843254089355);
    });

    it('CAMELS-CH (CSVLogger then TensorBoardLogger): sparse rows, runs with only hparams.yaml, event-file versions', async () => {
      const folder = corpusWorkspace('lightning', 'CooperBigFoot__CAMELS-CH');
      age(folder);
      const { runs, summary, diagnostics, ws } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      const source = 'CooperBigFoot__CAMELS-CH/lightning_logs';
      assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['lightning', source, 30]]);

      const v100 = runOf(runs, source, 'version_100');
      assert.equal(Object.keys(v100.params).length, 12);
      assert.deepEqual([v100.params['learning_rate'], v100.params['dropout'], v100.params['group_identifier']], ['0.0001', '0.3', 'gauge_id']);
      // `,0.0001,0,,,,`: LearningRateMonitor's row, without epoch.
      const h100 = ws.store.read((db) => getRun(db, v100.uid, ws.store.series))!.histories;
      assert.deepEqual([h100['lr-Adam']!.steps[0], h100['lr-Adam']!.values[0], h100['lr-Adam']!.values.length], [0, 0.0001, 8]);
      assert.deepEqual([h100['train_loss']!.steps[0], h100['train_loss']!.values[0]], [49, 0.8192790150642395]);
      assert.deepEqual([v100.metrics['train_loss']!.count, v100.metrics['train_loss']!.last, v100.metrics['train_loss']!.lastStep], [237, 0.2614116072654724, 11849]);
      assert.deepEqual([v100.metrics['val_loss']!.count, v100.metrics['val_loss']!.last, v100.metrics['val_loss']!.lastStep], [8, 0.3468776047229767, 11863]);
      assert.deepEqual([v100.metrics['epoch']!.last, v100.metrics['epoch']!.lastStep], [7, 11863]);
      assert.equal(v100.status, 'FINISHED');

      // Only hparams.yaml (a run stopped before its first flush); YAML text kept as written.
      const v104 = runOf(runs, source, 'version_104');
      assert.deepEqual(v104.metrics, {});
      assert.equal(v104.params['learning_rate'], '5.0e-05');

      // TensorBoardLogger: metrics from the event files, dated by their own wall times.
      const v125 = runOf(runs, source, 'version_125');
      assert.equal(v125.tags['lightning.logger'], 'tensorboard');
      assert.equal(Object.keys(v125.params).length, 16);
      assert.equal(v125.params['discriminator_hidden_dim'], '40');
      assert.deepEqual([v125.metrics['val_loss']!.count, v125.metrics['val_loss']!.last, v125.metrics['val_loss']!.lastStep], [28, 0.3020179271697998, 7447]);
      assert.equal(v125.metrics['hp_metric']!.last, -1);
      assert.equal(v125.startTime, 1740582978988);
      assert.equal(v125.endTime, 1740583756392);
      assert.equal(v125.status, 'FINISHED');
      // Cross-check with the reference decoder (epoch is logged twice at some steps: the last value counts).
      const h125 = ws.store.read((db) => getRun(db, v125.uid, ws.store.series))!.histories;
      const dir = path.join(folder, source, 'version_125');
      const file = path.join(dir, fs.readdirSync(dir).find((n) => n.startsWith('events.out'))!);
      const ref = reference.readRecords(new Uint8Array(fs.readFileSync(file)), 0).records.flatMap((r) => reference.parseEvent(r));
      const refVal = ref.filter((i) => i.kind === 'scalar' && i.tag === 'val_loss');
      assert.deepEqual(h125['val_loss']!.values, refVal.map((i) => i.value));
      assert.deepEqual(h125['val_loss']!.steps, refVal.map((i) => i.step));
      const refEpoch = new Map(ref.filter((i) => i.kind === 'scalar' && i.tag === 'epoch').map((i) => [i.step, i.value]));
      assert.deepEqual(h125['epoch']!.steps, [...refEpoch.keys()]);
      assert.deepEqual(h125['epoch']!.values, [...refEpoch.values()]);
    });

    it('Retail TFT (pytorch-forecasting): hparams.yaml full of Python tags, anchors, !!binary, !!set; a custom log dir', async () => {
      const folder = corpusWorkspace('lightning', '192cm__Retail-Store-Inventory-and-Demand-Forecasting-Using-TFT');
      const { runs, summary, diagnostics, ws } = await scanFolder(folder);
      assert.deepEqual(diagnostics, []);
      const source = '192cm__Retail-Store-Inventory-and-Demand-Forecasting-Using-TFT/lightning_logs';
      // One source: the event files inside are not read a second time by the TensorBoard adapter.
      assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['lightning', source, 3]]);
      assert.deepEqual(
        ws.store.read((db) => listExperiments(db)).map((e) => [e.id, e.name, e.runs]),
        [
          ['.', 'lightning_logs', 2],
          ['optuna_tft', 'optuna_tft', 1],
        ],
      );
      const v0 = runOf(runs, source, 'version_0');
      assert.equal(Object.keys(v0.params).length, 151);
      assert.equal(v0.params['dropout'], '0.2433929223767682');
      assert.equal(v0.params['learning_rate'], '0.008040444263766957');
      assert.equal(v0.params['embedding_sizes/Category'], '(5, 4)'); // !!python/tuple
      assert.equal(v0.params['embedding_labels/Store ID/S003'], '2'); // through the alias *id…
      assert.equal(v0.params['dataset_parameters/target_normalizer'], '<pytorch_forecasting.data.encoders.GroupNormalizer>');
      assert.equal(v0.params['output_transformer'], '<pytorch_forecasting.data.encoders.GroupNormalizer>');
      assert.equal(v0.params['dataset_parameters/categorical_encoders/Category'], '<pytorch_forecasting.data.encoders.NaNLabelEncoder>');
      assert.equal(v0.params['mask_bias'], '-1000000000.0');
      assert.deepEqual(v0.metrics['hp_metric'], { count: 1, last: -1, lastStep: 0, lastTime: 1771224334313, min: -1, max: -1 });

      const v11 = runOf(runs, source, 'version_11');
      assert.equal(v11.params['logging_metrics'], '<torch.nn.modules.container.ModuleList>');
      assert.equal(v11.params['reduce_on_plateau_min_lr'], '1.0e-05');

      const trial = runOf(runs, source, 'optuna_tft/trial_0');
      assert.equal(trial.name, 'trial_0');
      assert.equal(trial.experiment, 'optuna_tft');
      assert.equal(Object.keys(trial.params).length, 151);
      assert.deepEqual([trial.metrics['val_loss']!.count, trial.metrics['val_loss']!.last, trial.metrics['val_loss']!.lastStep], [3, 8.858311653137207, 443]);
      assert.deepEqual([trial.metrics['train_loss_step']!.count, trial.metrics['train_loss_step']!.last], [10, 9.0050630569458]);
      assert.equal(trial.metrics['epoch']!.last, 3);
      assert.equal(trial.status, 'FINISHED'); // its events are from February 2026
    });

    it('Contact-Point-Detection (Lightning 0.x TestTube): meta_tags.csv params, tf/ events, 1-byte metrics.csv, a copy without version_', async () => {
      const folder = corpusWorkspace('lightning', 'Jhko725__Contact-Point-Detection');
      const { runs, summary, diagnostics } = await scanFolder(folder);
      const base = 'Jhko725__Contact-Point-Detection';
      assert.deepEqual(
        summary.sources.map((s) => [s.kind, s.path, s.runs]),
        [
          ['lightning', `${base}/hall_of_fame/20200204/lightning_logs`, 1],
          ['lightning', `${base}/lightning_logs`, 8],
        ],
      );
      assert.deepEqual(
        diagnostics.map((d) => [d.severity, d.file, d.line, d.message]),
        [2, 6].map((v) => ['warning', `${base}/lightning_logs/version_${v}/metrics.csv`, 1, 'the file has no header (1 byte): no metrics read']),
      );
      const v4 = runOf(runs, `${base}/lightning_logs`, 'version_4');
      assert.deepEqual(v4.params, {
        train_dataset: '<cp_detection.NeuralODE.GeneralModeDataset object at 0x7f36b00f7590>',
        hidden_nodes: '[10, 10]',
        lr: '0.02',
        batch_size: '40',
        solver: 'dopri5',
      });
      assert.equal(v4.tags['lightning.logger'], 'testtube');
      const v0 = runOf(runs, `${base}/lightning_logs`, 'version_0');
      assert.deepEqual(v0.params, {}); // meta_tags.csv holds only its header
      assert.deepEqual([v0.metrics['train_loss']!.count, v0.metrics['train_loss']!.last, v0.metrics['train_loss']!.lastStep], [104, 15.904526710510254, 103]);
      assert.equal(v0.startTime, 1580738874871); // the tf/ event file's first wall time
      assert.equal(v0.endTime, 1580743258746);
      assert.equal(v0.status, 'FINISHED');
      assert.deepEqual(runOf(runs, `${base}/lightning_logs`, 'version_2').metrics, {});
      const v7 = runOf(runs, `${base}/lightning_logs`, 'version_7');
      assert.deepEqual([v7.metrics['train_loss']!.count, v7.metrics['train_loss']!.last], [1023, 85.02904510498047]);
      const copy = runOf(runs, `${base}/hall_of_fame/20200204/lightning_logs`, '.');
      assert.equal(copy.name, 'version_7'); // from meta.experiment
      assert.equal(copy.experiment, 'lightning_logs');
      assert.deepEqual(copy.metrics, v7.metrics);
      assert.deepEqual(copy.params, v7.params);
    });
  });

  describe('hparams.yaml', () => {
    it('Python tags, anchors, !!binary and !!set never throw; readable values are kept as text', () => {
      const diags: Diagnostic[] = [];
      const params = paramsFromYaml(
        [
          'betas: !!python/tuple',
          '- 0.9',
          '- 0.999',
          'lr: 3.0e-04',
          'model: &m',
          '  depth: 4',
          '  act: !!python/name:torch.nn.ReLU \'\'',
          'ema_model: *m',
          'blob: !!binary |',
          '  AAEC',
          'classes: !!set',
          '  cat: null',
          '  dog: null',
          'scaler: !!python/object:sklearn.preprocessing.StandardScaler',
          '  with_mean: true',
          '  mean_: !!python/object/apply:numpy.core.multiarray._reconstruct',
          '    args: [1, 2]',
          'name: null',
          'flag: true',
          'empty: {}',
          '',
        ].join('\n'),
        'hparams.yaml',
        diags,
      );
      assert.deepEqual(diags, []);
      assert.deepEqual(params, {
        betas: '(0.9, 0.999)',
        lr: '3.0e-04',
        'model/depth': '4',
        'model/act': 'torch.nn.ReLU',
        'ema_model/depth': '4',
        'ema_model/act': 'torch.nn.ReLU',
        blob: '<binary>',
        classes: '{cat, dog}',
        scaler: '<sklearn.preprocessing.StandardScaler>',
        name: 'null',
        flag: 'true',
        empty: '{}',
      });
    });

    it('a syntax error gives a diagnostic with its line', () => {
      const diags: Diagnostic[] = [];
      assert.equal(paramsFromYaml('a: 1\nb: [1, 2\nc: 3\n', 'h.yaml', diags), undefined);
      assert.equal(diags.length, 1);
      assert.match(diags[0]!.message, /^invalid YAML/);
      assert.equal(typeof diags[0]!.line, 'number');
    });
  });

  describe('bad input', () => {
    function goodVersion(logger: string): void {
      writeFile(path.join(logger, 'version_0', 'hparams.yaml'), 'lr: 0.1\n');
      writeFile(path.join(logger, 'version_0', 'metrics.csv'), csv(['epoch', 'step', 'train_loss'], [[0, 0, 0.9], [0, 1, 0.8], [0, 2, 0.7]]));
    }
    function assertGood(runs: RunSummary[], source: string): void {
      const good = runOf(runs, source, 'version_0');
      assert.deepEqual([good.params['lr'], good.metrics['train_loss']!.count, good.metrics['train_loss']!.last], ['0.1', 3, 0.7]);
    }

    it('a row with the wrong number of cells, a non-number cell, a cut last line: diagnostics with lines; the other rows are kept', async () => {
      const ws = tempDir();
      const logger = path.join(ws, 'lightning_logs');
      goodVersion(logger);
      const file = writeFile(
        path.join(logger, 'version_1', 'metrics.csv'),
        'epoch,step,val_loss\r\n0,0,0.5\r\n0,1,0.4,extra\r\n0,2,oops\r\n0,3,0.3\r\n0,4,0.2',
      );
      age(ws);
      const { runs, diagnostics } = await scanFolder(ws);
      assertGood(runs, 'lightning_logs');
      assert.deepEqual(
        diagnostics.map((d) => [d.file, d.line, d.message]),
        [
          [rel(ws, file), 3, 'line 3 has 4 cells, the header has 3: skipped'],
          [rel(ws, file), 4, 'line 4: "oops" in column val_loss is not a number: skipped'],
          [rel(ws, file), 6, 'the last line has no line break (the file was cut short?): not read'],
        ],
      );
      const v1 = runOf(runs, 'lightning_logs', 'version_1');
      assert.deepEqual([v1.metrics['val_loss']!.count, v1.metrics['val_loss']!.last], [2, 0.3]);
    });

    it('a 1-byte CSV, a header-only CSV, binary garbage and an LFS pointer as metrics.csv, a broken hparams.yaml', async () => {
      const ws = tempDir();
      const logger = path.join(ws, 'lightning_logs');
      goodVersion(logger);
      const oneByte = writeFile(path.join(logger, 'version_1', 'metrics.csv'), '\n');
      writeFile(path.join(logger, 'version_2', 'metrics.csv'), 'epoch,step,train_loss\r\n');
      const garbage = Buffer.alloc(2048);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 31 + 7) & 0xff;
      const bin = writeFile(path.join(logger, 'version_3', 'metrics.csv'), garbage);
      const lfs = writeFile(path.join(logger, 'version_4', 'metrics.csv'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 99\n');
      const badYaml = writeFile(path.join(logger, 'version_5', 'hparams.yaml'), 'lr: 0.1\nlayers: [1, 2\n');
      writeFile(path.join(logger, 'version_5', 'metrics.csv'), csv(['step', 'loss'], [[0, 1]]));
      age(ws);
      const { runs, diagnostics, ws: workspace } = await scanFolder(ws);
      assertGood(runs, 'lightning_logs');
      assert.deepEqual(
        diagnostics.map((d) => [d.file, d.message.replace(/:.*/, '')]),
        [
          [rel(ws, oneByte), 'the file has no header (1 byte)'],
          [rel(ws, bin), 'this is binary data, not text'],
          [rel(ws, lfs), 'this is a Git LFS pointer, not the data (run `git lfs pull` to fetch it)'],
          [rel(ws, badYaml), 'invalid YAML'],
        ],
      );
      assert.equal(runs.length, 6);
      assert.deepEqual(runOf(runs, 'lightning_logs', 'version_2').metrics, {});
      assert.deepEqual(runOf(runs, 'lightning_logs', 'version_5').params, {});
      assert.equal(runOf(runs, 'lightning_logs', 'version_5').metrics['loss']!.last, 1);
      // Rows appended to that run: read from the offset, and the YAML diagnostic stays.
      fs.appendFileSync(path.join(logger, 'version_5', 'metrics.csv'), '1,0.5\r\n');
      const again = await rescan(workspace);
      assert.equal(again.summary.sources[0]!.runsRead, 1);
      assert.equal(runOf(again.runs, 'lightning_logs', 'version_5').metrics['loss']!.last, 0.5);
      assert.deepEqual(again.diagnostics, diagnostics);
    });

    it('a 50 MB single-line metrics.csv: diagnostic, the rest of the workspace ingests', async () => {
      const ws = tempDir();
      const logger = path.join(ws, 'lightning_logs');
      goodVersion(logger);
      const file = writeFile(path.join(logger, 'version_1', 'metrics.csv'), Buffer.alloc(50 * 1024 * 1024, 'x'));
      writeEventFile(path.join(ws, 'tb'), eventFileName(T0), [{ wallTime: T0, step: 1, values: [simpleScalar('acc', 0.5)] }]);
      const { runs, diagnostics } = await scanFolder(ws);
      assertGood(runs, 'lightning_logs');
      assert.equal(runOf(runs, 'tb', '.').metrics['acc']!.last, 0.5);
      assert.deepEqual(diagnostics.map((d) => [d.file, d.line, d.message]), [[rel(ws, file), 1, 'line 1 is longer than 1 MB and has no line break: not a metrics file']]);
    });
  });

  describe('incremental rescans and status', () => {
    function csvRun(logger: string, version: number, rows: number): string {
      const dir = path.join(logger, `version_${version}`);
      writeFile(path.join(dir, 'hparams.yaml'), `version: ${version}\n`);
      return writeFile(
        path.join(dir, 'metrics.csv'),
        csv(['epoch', 'step', 'train_loss'], Array.from({ length: rows }, (_, i) => [0, i, (100 - i) / 100])),
      );
    }

    it('no change: nothing read, nothing written; rows appended: only that run is read, from its offset', async () => {
      const ws = tempDir();
      const logger = path.join(ws, 'lightning_logs');
      const a = csvRun(logger, 0, 10);
      csvRun(logger, 1, 5);
      const first = await scanFolder(ws);
      assert.equal(runOf(first.runs, 'lightning_logs', 'version_0').status, 'RUNNING'); // just written
      const dbMtime = fs.statSync(first.ws.store.dbPath).mtimeMs;
      const idle = await rescan(first.ws);
      assert.equal(idle.summary.sources[0]!.runsRead, 0);
      assert.equal(fs.statSync(first.ws.store.dbPath).mtimeMs, dbMtime);

      // Change a row already read (same length): a read from the offset does not see it.
      fs.writeFileSync(a, fs.readFileSync(a, 'utf8').replace('0,3,0.97', '0,3,0.55'));
      fs.appendFileSync(a, csv(['x'], [[0, 10, 0.5], [1, 11, 0.4]]).split('\r\n').slice(1).join('\r\n'));
      const grown = await rescan(first.ws);
      assert.equal(grown.summary.sources[0]!.runsRead, 1);
      const run = runOf(grown.runs, 'lightning_logs', 'version_0');
      assert.deepEqual([run.metrics['train_loss']!.count, run.metrics['train_loss']!.last, run.metrics['epoch']!.last], [12, 0.4, 1]);
      const detail = first.ws.store.read((db) => getRun(db, run.uid, first.ws.store.series))!;
      assert.equal(detail.histories['train_loss']!.values[3], 0.97); // not read again
      assert.deepEqual(grown.diagnostics, []);
    });

    it('a rewritten file (new column, wider header) is read whole', async () => {
      const ws = tempDir();
      const logger = path.join(ws, 'lightning_logs');
      const a = csvRun(logger, 0, 3);
      const first = await scanFolder(ws);
      fs.writeFileSync(
        a,
        csv(['epoch', 'step', 'train_loss', 'val_acc'], [[0, 0, 1, ''], [0, 1, 0.99, ''], [0, 2, 0.98, ''], [0, 2, '', 0.6], [0, 3, 0.97, '']]),
      );
      const again = await rescan(first.ws);
      const run = runOf(again.runs, 'lightning_logs', 'version_0');
      assert.deepEqual([run.metrics['train_loss']!.count, run.metrics['train_loss']!.last], [4, 0.97]);
      assert.deepEqual([run.metrics['val_acc']!.count, run.metrics['val_acc']!.lastStep, run.metrics['val_acc']!.last], [1, 2, 0.6]);
      assert.deepEqual(again.diagnostics, []);
    });

    it('a TensorBoardLogger version grows from its offset; a CSV row repeating a step with the same value appends nothing', async () => {
      const ws = tempDir();
      const dir = path.join(ws, 'lightning_logs', 'version_0');
      writeFile(path.join(dir, 'hparams.yaml'), 'lr: 0.01\n');
      const now = Date.now() / 1000;
      const points = (from: number, to: number): EventSpec[] =>
        Array.from({ length: to - from }, (_, i) => ({ wallTime: now + from + i, step: from + i, values: [simpleScalar('train_loss', 1 / (from + i + 1))] }));
      const file = writeEventFile(dir, eventFileName(now), [{ wallTime: now, values: [hparamsSessionStart({ lr: 0.01 })] }, { wallTime: now, values: [simpleScalar('hp_metric', -1)] }, ...points(0, 5)]);
      const first = await scanFolder(ws);
      const v0 = runOf(first.runs, 'lightning_logs', 'version_0');
      assert.equal(v0.status, 'RUNNING');
      assert.equal(v0.params['lr'], '0.01');
      appendEvents(file, points(5, 8));
      const again = await rescan(first.ws);
      assert.equal(again.summary.sources[0]!.runsRead, 1);
      const run = runOf(again.runs, 'lightning_logs', 'version_0');
      assert.deepEqual([run.metrics['train_loss']!.count, run.metrics['train_loss']!.lastStep], [8, 7]);
      assert.equal(run.params['lr'], '0.01');
      assert.equal(run.metrics['hp_metric']!.last, -1);

      // CSVLogger flushes rows in batches: `epoch` at the last step of one batch comes again in the next.
      const csvFile = writeFile(path.join(ws, 'lightning_logs', 'version_1', 'metrics.csv'), csv(['epoch', 'step', 'loss', 'val'], [[0, 99, 0.5, '']]));
      await rescan(first.ws);
      fs.appendFileSync(csvFile, '0,99,,0.7\r\n1,149,0.4,\r\n');
      const third = await rescan(first.ws);
      const v1 = runOf(third.runs, 'lightning_logs', 'version_1');
      assert.deepEqual([v1.metrics['epoch']!.count, v1.metrics['epoch']!.last, v1.metrics['val']!.last, v1.metrics['loss']!.count], [2, 1, 0.7, 2]);
    });

    it('checkpoints become artifacts and tags; a run not written for ten minutes becomes FINISHED', async () => {
      const ws = tempDir();
      const dir = path.join(ws, 'lightning_logs', 'version_0');
      writeFile(path.join(dir, 'hparams.yaml'), 'lr: 0.01\n');
      writeFile(path.join(dir, 'metrics.csv'), csv(['epoch', 'step', 'val_loss'], [[0, 99, 0.3]]));
      writeFile(path.join(dir, 'checkpoints', 'epoch=0-step=100.ckpt'), 'x');
      const first = await scanFolder(ws);
      let run = runOf(first.runs, 'lightning_logs', 'version_0');
      assert.equal(run.status, 'RUNNING');
      assert.equal(run.endTime, null);
      assert.equal(run.tags['lightning.checkpoint'], 'checkpoints/epoch=0-step=100.ckpt');
      assert.equal(run.tags['lightning.checkpoint.step'], '100');

      writeFile(path.join(dir, 'checkpoints', 'epoch=1-step=200-val_loss=0.25.ckpt'), 'xy');
      writeFile(path.join(dir, 'checkpoints', 'last.ckpt'), 'xy');
      age(ws, 3600);
      const again = await rescan(first.ws);
      run = runOf(again.runs, 'lightning_logs', 'version_0');
      assert.equal(run.status, 'FINISHED');
      assert.ok(run.endTime !== null && Math.abs(run.endTime - (Date.now() - 3_600_000)) < 60_000);
      assert.equal(run.tags['lightning.checkpoint'], 'checkpoints/epoch=1-step=200-val_loss=0.25.ckpt');
      assert.equal(run.tags['lightning.checkpoint.val_loss'], '0.25');
      const detail = first.ws.store.read((db) => getRun(db, run.uid, first.ws.store.series))!;
      assert.deepEqual(
        detail.artifacts.map((x) => [x.path, x.kind, x.size]),
        [
          ['checkpoints/epoch=0-step=100.ckpt', 'model', 1],
          ['checkpoints/epoch=1-step=200-val_loss=0.25.ckpt', 'model', 2],
          ['checkpoints/last.ckpt', 'model', 2],
        ],
      );
      const idle = await rescan(first.ws);
      assert.equal(idle.summary.sources[0]!.runsRead, 0);
    });
  });
});
