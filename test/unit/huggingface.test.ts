// The Hugging Face Trainer adapter on every `hf` source of the shared corpus (real output folders
// written by transformers 4.26 to 4.51), then on generated folders: non-finite values, bad input,
// live runs and incremental rescans. Expected values were read from the files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hfTiming } from '../../src/core/ingest/huggingface/trainer';
import { getRun, type RunSummary } from '../../src/core/store/queries';
import type { Workspace } from '../../src/core/workspace';
import { corpusWorkspace, readCorpus } from '../helpers/corpus';
import { rescan, runById, scanFolder } from '../helpers/scan';
import { tempDir, writeFile } from '../helpers/temp';

const HF = 'hf';
const HOUR = 3600_000;

/** Sets every file and folder under dir to an old mtime: a run nobody writes to any more. */
function age(dir: string, ms = 2 * HOUR): void {
  const t = new Date(Date.now() - ms);
  const walk = (p: string): void => {
    if (fs.statSync(p).isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    fs.utimesSync(p, t, t);
  };
  walk(dir);
}

function hfRuns(runs: RunSummary[]): RunSummary[] {
  return runs.filter((r) => r.source.kind === 'huggingface');
}

function history(ws: Workspace, run: RunSummary, key: string): { steps: number[]; values: number[]; times: number[] | null } {
  const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
  const h = detail.histories[key];
  assert.ok(h, `no history ${key} in ${Object.keys(detail.histories).join(', ')}`);
  return h;
}

function valueAt(ws: Workspace, run: RunSummary, key: string, step: number): number[] {
  const h = history(ws, run, key);
  return h.values.filter((_, i) => h.steps[i] === step);
}

describe('Hugging Face Trainer: real corpus', () => {
  it('t5 summarization (4.51, Seq2SeqTrainer): output dir = repo root, *_results.json as final points, TB files left alone', async () => {
    const folder = corpusWorkspace(HF, '10844110__t5-summarization-demo');
    age(folder);
    const { runs, summary, diagnostics, ws } = await scanFolder(folder);
    // The run's TensorBoard files under runs/ belong to it: no TensorBoard source for them.
    assert.deepEqual(
      summary.sources.map((s) => [s.kind, s.path, s.runs]),
      [['huggingface', '10844110__t5-summarization-demo', 1]],
    );
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, '.');
    assert.equal(run.name, '10844110__t5-summarization-demo');
    assert.equal(run.status, 'FINISHED'); // a train_runtime entry closes log_history
    assert.equal(run.startTime, 1742826235000); // events.out.tfevents.1742826235.* (recorded)
    assert.equal(run.experimentId, null);
    // log_history: 430 train entries every 500 steps, then the summary at 215337.
    assert.equal(run.metrics['loss']!.count, 430);
    assert.deepEqual(valueAt(ws, run, 'loss', 500), [1.9963]);
    assert.deepEqual(valueAt(ws, run, 'grad_norm', 500), [3.155489444732666]);
    assert.equal(run.metrics['loss']!.last, 1.7423);
    assert.equal(run.metrics['loss']!.lastStep, 215000);
    assert.equal(run.metrics['train_runtime']!.last, 54713.1806);
    // No eval entry in log_history: ROUGE (scaled 0-100) comes from the *_results.json files.
    assert.deepEqual([run.metrics['eval_rouge1']!.count, run.metrics['eval_rouge1']!.last, run.metrics['eval_rouge1']!.lastStep], [1, 41.6324, 215337]);
    assert.equal(run.metrics['eval_gen_len']!.last, 73.5213195691203);
    assert.equal(run.metrics['train_samples']!.last, 287113);
    // `epoch` is a metric too, one point per step (the summary repeats 3.0 at 215337).
    assert.equal(run.metrics['epoch']!.last, 3);
    assert.equal(run.metrics['epoch']!.count, 431);
    assert.equal(history(ws, run, 'loss').times, null); // Trainer records no wall times
    assert.equal(run.params['model_type'], 't5');
    assert.equal(run.params['architectures'], 'T5ForConditionalGeneration');
    assert.equal(run.params['train_batch_size'], '4');
    assert.equal(run.params['max_steps'], '215337');
    assert.equal(run.params['logging_steps'], '500');
    assert.equal(run.tags['transformers_version'], '4.51.0.dev0');
    assert.equal('best_metric' in run.tags, false); // null in the file
  });

  it('whisper (4.26, push_to_hub): top-level state over last-checkpoint/, best metric, LFS-pointer TB files', async () => {
    const folder = corpusWorkspace(HF, 'P4P4N1CK__whisper-large-v2-japanese-5k-steps');
    age(folder);
    const { runs, summary, diagnostics, ws } = await scanFolder(folder);
    assert.deepEqual(summary.sources.map((s) => [s.kind, s.runs]), [['huggingface', 1]]);
    // The TensorBoard files are Git LFS pointers; skipped with runs/, so no diagnostic either.
    assert.deepEqual(diagnostics, []);
    const run = runById(runs, '.');
    assert.equal(run.status, 'FINISHED');
    // The TB file names still give the start, pointers or not.
    assert.equal(run.startTime, 1674974582000);
    // The top-level state has 206 entries (the summary included); last-checkpoint/ has 205.
    assert.equal(run.metrics['train_runtime']!.last, 77350.9963);
    assert.equal(run.metrics['total_flos']!.last, 5.27162132754432e20);
    assert.equal(run.metrics['eval_wer']!.last, 0.7449365679946583);
    assert.equal(run.metrics['eval_wer']!.count, 5);
    assert.deepEqual(valueAt(ws, run, 'loss', 25), [0.3048]);
    assert.deepEqual(valueAt(ws, run, 'epoch', 25), [0.19]); // rounded to 2 decimals in 4.26
    // eval_results.json's final evaluation ran again after training: its runtime differs from
    // the last logged one at the same step, and both are kept (the later one is the last).
    assert.deepEqual(valueAt(ws, run, 'eval_runtime', 5000), [1710.8673, 1712.6978]);
    assert.equal(run.metrics['eval_runtime']!.last, 1712.6978);
    assert.deepEqual(valueAt(ws, run, 'eval_loss', 5000), [0.4200145900249481]); // same value: one point
    assert.equal(run.metrics['eval_samples']!.last, 4485);
    assert.equal(run.tags['best_metric'], '0.7431560204762965');
    // An absolute path from another machine, kept as written.
    assert.equal(run.tags['best_model_checkpoint'], '/storage/elsayedissa/whisper-large-v2-japanese-24h/checkpoint-3000');
    assert.equal(run.tags['transformers_version'], '4.26.0.dev0');
    // Old schema: no logging_steps / eval_steps / save_steps.
    assert.equal(run.params['max_steps'], '5000');
    assert.equal(run.params['num_train_epochs'], '39');
    assert.equal('logging_steps' in run.params, false);
    assert.equal(run.params['model_type'], 'whisper');
    assert.equal(run.params['d_model'], '1280');
    // last-checkpoint/ is an artifact with its global step (read from its state).
    const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
    assert.deepEqual(detail.artifacts.map((a) => [a.path, a.kind]), [['last-checkpoint', 'model']]);
    assert.equal(run.tags['checkpoint_steps'], '5000');
  });

  it('LoRA RoBERTa (PEFT, new schema): newest of 3 checkpoints, train and eval at the same steps, adapter_config params', async () => {
    const folder = corpusWorkspace(HF, 'AguLeon__LoRA_RoBERTa_AGNews');
    age(folder);
    const { runs, summary, diagnostics, ws } = await scanFolder(folder);
    const hf = summary.sources.filter((s) => s.kind === 'huggingface');
    assert.deepEqual(hf.map((s) => [s.path, s.runs]), [['AguLeon__LoRA_RoBERTa_AGNews/results', 1]]);
    assert.deepEqual(diagnostics.filter((d) => d.file.includes('/results/')), []);
    const [run] = hfRuns(runs);
    assert.ok(run);
    assert.equal(run.id, '.');
    assert.equal(run.name, 'results');
    assert.equal(run.status, 'FINISHED'); // global_step 1200 == max_steps, should_training_stop
    assert.equal(run.endTime !== null, true);
    // checkpoint-1200 (24 entries): 12 train and 12 eval entries, at the same 12 steps.
    assert.equal(run.metrics['loss']!.count, 12);
    assert.equal(run.metrics['eval_accuracy']!.count, 12);
    assert.deepEqual(valueAt(ws, run, 'loss', 100), [1.2893]);
    assert.deepEqual(valueAt(ws, run, 'eval_loss', 100), [0.7435560822486877]);
    assert.equal(run.metrics['eval_accuracy']!.last, 0.9135802469135802);
    assert.equal(run.metrics['learning_rate']!.last, 0);
    // Both entries of a step carry `epoch`: one point per step.
    assert.equal(run.metrics['epoch']!.count, 12);
    assert.equal(run.metrics['epoch']!.last, 0.32171581769436997);
    // PEFT checkpoints have adapter_config.json and no config.json.
    assert.equal(run.params['peft.peft_type'], 'LORA');
    assert.equal(run.params['peft.r'], '4');
    assert.equal(run.params['peft.lora_alpha'], '16');
    assert.equal(run.params['peft.base_model_name_or_path'], 'roberta-base');
    assert.equal('model_type' in run.params, false);
    assert.equal(run.params['train_batch_size'], '32');
    assert.equal(run.params['eval_steps'], '100');
    assert.equal('best_metric' in run.tags, false); // best_metric null, best_global_step null
    assert.equal(run.tags['checkpoint_steps'], '500,1000,1200');
    const detail = ws.store.read((db) => getRun(db, run.uid, ws.store.series))!;
    assert.deepEqual(
      detail.artifacts.map((a) => [a.path, a.kind]),
      [
        ['checkpoint-1000', 'model'],
        ['checkpoint-1200', 'model'],
        ['checkpoint-500', 'model'],
      ],
    );
    // A checkpoint's size is the sum of its files (as copied: no weights).
    const ckDir = path.join(folder, 'AguLeon__LoRA_RoBERTa_AGNews', 'results', 'checkpoint-1200');
    const expected = fs.readdirSync(ckDir).reduce((n, f) => n + fs.statSync(path.join(ckDir, f)).size, 0);
    assert.equal(detail.artifacts.find((a) => a.path === 'checkpoint-1200')!.size, expected);
  });

  it('UniTSyn (PEFT, 7 cumulative checkpoints): abandoned at 3500 of 176652, an older training left in checkpoint-500', async () => {
    const folder = corpusWorkspace(HF, 'SecurityLab-UCD__UniTSyn');
    age(folder);
    const { runs, diagnostics, ws } = await scanFolder(folder);
    const [run] = hfRuns(runs);
    assert.ok(run);
    assert.equal(hfRuns(runs).length, 1); // one run, not one per checkpoint
    // No end marker and nothing written lately: UNKNOWN, not FINISHED.
    assert.equal(run.status, 'UNKNOWN');
    assert.equal(run.endTime, null);
    // checkpoint-3500 read: 350 train-loss entries every 10 steps, no eval entries.
    assert.equal(run.metrics['loss']!.count, 350);
    assert.deepEqual(valueAt(ws, run, 'loss', 10), [34.9679]);
    assert.equal(run.metrics['loss']!.last, 2.2922);
    assert.equal(run.metrics['loss']!.lastStep, 3500);
    assert.deepEqual(valueAt(ws, run, 'epoch', 10), [0]); // rounded to 0.0 at early steps
    assert.equal('eval_loss' in run.metrics, false);
    assert.equal(run.params['max_steps'], '176652');
    assert.equal(run.params['logging_steps'], '10');
    assert.equal(run.params['peft.r'], '16');
    assert.equal(run.params['peft.target_modules'], '["qkv_proj"]');
    assert.equal(run.tags['checkpoint_steps'], '500,1000,1500,2000,2500,3000,3500');
    // checkpoint-500 has max_steps 555: another training, reported and not merged.
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.file]),
      [['info', 'SecurityLab-UCD__UniTSyn/results/checkpoint-500/trainer_state.json']],
    );
    assert.match(diagnostics[0]!.message, /max_steps 555.*176652/);
  });

  it('requirement classification (4.41): unfinished, eval per epoch and train every 500 steps at unrelated steps', async () => {
    const folder = corpusWorkspace(HF, 'Franmartin09__Requirement-Classification-Fine-Tuning');
    age(folder);
    const { runs, diagnostics, ws } = await scanFolder(folder);
    const [run] = hfRuns(runs);
    assert.ok(run);
    assert.equal(run.status, 'UNKNOWN'); // 4500 of 9800 steps, should_training_stop false
    // checkpoint-4500 is read, not checkpoint-500 (another training: its eval at 98 was 0.5714…).
    assert.deepEqual(valueAt(ws, run, 'eval_accuracy', 98), [0.5408163265306123]);
    assert.deepEqual(valueAt(ws, run, 'loss', 500), [0.935]);
    assert.equal(run.metrics['eval_accuracy']!.count, 45);
    assert.equal(run.metrics['loss']!.count, 9);
    assert.deepEqual(history(ws, run, 'eval_loss').steps.slice(0, 3), [98, 196, 294]);
    assert.deepEqual(history(ws, run, 'loss').steps.slice(0, 3), [500, 1000, 1500]);
    assert.equal(run.metrics['epoch']!.last, 45.91836734693877);
    assert.equal(run.params['model_type'], 'bert');
    assert.equal(run.params['num_labels'], '14'); // from id2label, LABEL_0..13
    assert.equal(run.params['num_train_epochs'], '100');
    assert.equal(run.params['_name_or_path'], 'bert-base-uncased');
    assert.equal(run.tags['transformers_version'], '4.41.2');
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.file]), [['info', 'Franmartin09__Requirement-Classification-Fine-Tuning/results/checkpoint-500/trainer_state.json']]);
    assert.match(diagnostics[0]!.message, /max_steps 686/);
  });
});

interface Entry {
  [key: string]: number | string;
}

/** trainer_state.json as Trainer writes it: sorted keys, indent 2, NaN/Infinity bare. */
function trainerState(globalStep: number, maxSteps: number, history: Entry[], extra: Record<string, unknown> = {}): string {
  const state: Record<string, unknown> = {
    best_metric: null,
    best_model_checkpoint: null,
    epoch: globalStep / maxSteps,
    global_step: globalStep,
    is_hyper_param_search: false,
    log_history: history,
    logging_steps: 10,
    max_steps: maxSteps,
    num_train_epochs: 1,
    save_steps: 10,
    train_batch_size: 8,
    ...extra,
  };
  const sorted = Object.fromEntries(Object.entries(state).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted, null, 2).replace(/"(NaN|-?Infinity)"/g, '$1') + '\n';
}

function trainEntries(from: number, to: number): Entry[] {
  const out: Entry[] = [];
  for (let step = from; step <= to; step += 10) out.push({ epoch: step / 100, learning_rate: 1e-4, loss: 1 / step, step });
  return out;
}

function writeCheckpoint(out: string, step: number, maxSteps: number, history: Entry[]): void {
  writeFile(path.join(out, `checkpoint-${step}`, 'trainer_state.json'), trainerState(step, maxSteps, history));
}

describe('Hugging Face Trainer: generated folders', () => {
  afterEach(() => {
    hfTiming.liveWindowMs = 15 * 60_000;
  });

  it('NaN and Infinity in log_history are values; results-only folders and hyperparameter-search trials are runs', async () => {
    const folder = tempDir();
    const out = path.join(folder, 'out');
    writeFile(
      path.join(out, 'trainer_state.json'),
      trainerState(20, 20, [
        { epoch: 0.5, grad_norm: 'NaN', loss: 2.5, step: 10 },
        { epoch: 1, grad_norm: 'Infinity', loss: '-Infinity', step: 20 },
        { epoch: 1, step: 20, train_loss: 'NaN', train_runtime: 1.5 },
      ]),
    );
    // A hyperparameter search: run-<trial>/checkpoint-N, trial params in the state.
    writeFile(
      path.join(out, 'run-0', 'checkpoint-10', 'trainer_state.json'),
      trainerState(10, 20, trainEntries(10, 10), { trial_name: 'run-0', trial_params: { learning_rate: 3e-5, seed: 7 } }),
    );
    age(folder);
    const { runs, diagnostics, ws, summary } = await scanFolder(folder);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(summary.sources.map((s) => [s.kind, s.path, s.runs]), [['huggingface', 'out', 2]]);
    const main = runById(runs, '.');
    assert.deepEqual(history(ws, main, 'grad_norm').values, [NaN, Infinity]);
    assert.deepEqual(history(ws, main, 'loss').values, [2.5, -Infinity]);
    assert.ok(Number.isNaN(main.metrics['train_loss']!.last));
    assert.equal(main.status, 'FINISHED');
    const trial = runById(runs, 'run-0');
    assert.equal(trial.name, 'run-0');
    assert.equal(trial.params['learning_rate'], '0.00003');
    assert.equal(trial.params['seed'], '7');
    assert.equal(trial.tags['trial_name'], 'run-0');
    assert.equal(trial.status, 'UNKNOWN');
  });

  it('bad input: a JSON syntax error falls back to the previous checkpoint; LFS pointer, binary garbage, a 50 MB line; the rest ingests', async () => {
    const folder = tempDir();
    // good/: healthy. broken/: top-level state cut mid-write, checkpoint-10 intact.
    writeFile(path.join(folder, 'good', 'trainer_state.json'), trainerState(10, 10, trainEntries(10, 10)));
    writeFile(path.join(folder, 'broken', 'trainer_state.json'), '{\n  "best_metric": null,\n  "log_history": [\n    {"loss": 1.0,,}\n');
    writeCheckpoint(path.join(folder, 'broken'), 10, 30, trainEntries(10, 10));
    // lfs/: the state never pulled from Git LFS.
    writeFile(path.join(folder, 'lfs', 'trainer_state.json'), 'version https://git-lfs.github.com/spec/v1\noid sha256:4892b52e8f59224fef36070b5f31b08de01fe51b1044f89d2bf292dd43063bd3\nsize 358\n');
    // garbage/: binary bytes under the known name.
    writeFile(path.join(folder, 'garbage', 'trainer_state.json'), Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x00, 0x01, 0x02]));
    // huge/: 50 MB on one line, not valid JSON.
    writeFile(path.join(folder, 'huge', 'trainer_state.json'), '{"log_history": [' + '1,'.repeat(25 * 1024 * 1024));
    // results/: eval_results.json with a syntax error next to a good train_results.json.
    writeFile(path.join(folder, 'results', 'config.json'), '{"model_type": "bert"}');
    writeFile(path.join(folder, 'results', 'train_results.json'), '{"train_loss": 0.5, "train_runtime": 10.0}');
    writeFile(path.join(folder, 'results', 'eval_results.json'), '{\n  "eval_loss": 0.4\n  "eval_acc": 0.9\n}');
    age(folder);
    const { runs, diagnostics, ws } = await scanFolder(folder);
    assert.equal(hfRuns(runs).length, 6);
    const byFile = (rel: string): (typeof diagnostics)[number][] => diagnostics.filter((d) => d.file === rel);

    const good = hfRuns(runs).find((r) => r.path === 'good')!;
    assert.equal(good.status, 'FINISHED');
    assert.equal(good.metrics['loss']!.last, 0.1);

    const broken = hfRuns(runs).find((r) => r.path === 'broken')!;
    const syntax = byFile('broken/trainer_state.json').find((d) => d.severity === 'error');
    const fallback = byFile('broken/trainer_state.json').find((d) => d.severity === 'warning');
    assert.equal(byFile('broken/trainer_state.json').length, 2);
    assert.match(syntax!.message, /invalid JSON/);
    assert.equal(syntax!.line, 4);
    assert.match(fallback!.message, /read checkpoint-10\/trainer_state.json instead/);
    assert.equal(broken.metrics['loss']!.last, 0.1); // from the checkpoint
    assert.equal(broken.params['max_steps'], '30');

    assert.match(byFile('lfs/trainer_state.json')[0]!.message, /Git LFS pointer/);
    assert.match(byFile('garbage/trainer_state.json')[0]!.message, /binary data/);
    assert.match(byFile('huge/trainer_state.json')[0]!.message, /longer than 1 MB/);
    assert.equal(byFile('huge/trainer_state.json')[0]!.line, 1);
    for (const p of ['lfs', 'garbage', 'huge']) {
      const r = hfRuns(runs).find((x) => x.path === p)!;
      assert.equal(r.status, 'UNKNOWN');
      assert.deepEqual(r.metrics, {});
    }

    const results = hfRuns(runs).find((r) => r.path === 'results')!;
    assert.equal(byFile('results/eval_results.json')[0]!.line, 3);
    assert.equal(results.metrics['train_loss']!.last, 0.5);
    assert.equal(results.status, 'FINISHED'); // train_results.json has train_runtime
    assert.equal(results.params['model_type'], 'bert');
    const again = await rescan(ws);
    assert.deepEqual(again.summary.sources.map((s) => s.runsRead), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(again.diagnostics, diagnostics);
  });

  it('a live run: RUNNING while written, new checkpoints re-read, UNKNOWN when it goes quiet, FINISHED with save_state()', async () => {
    hfTiming.liveWindowMs = 2000;
    const folder = tempDir();
    const out = path.join(folder, 'out');
    writeCheckpoint(out, 10, 30, trainEntries(10, 10));
    const { ws, runs } = await scanFolder(folder);
    assert.equal(runById(runs, '.').status, 'RUNNING');

    let r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 0); // nothing changed, still live

    writeCheckpoint(out, 20, 30, trainEntries(10, 20));
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 1);
    let run = runById(r.runs, '.');
    assert.equal(run.metrics['loss']!.count, 2);
    assert.equal(run.tags['checkpoint_steps'], '10,20');
    assert.equal(run.status, 'RUNNING');

    // Quiet for longer than the window: only the status changes.
    await new Promise((res) => setTimeout(res, 2200));
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 1);
    run = runById(r.runs, '.');
    assert.equal(run.status, 'UNKNOWN');
    assert.equal(run.metrics['loss']!.count, 2);
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 0);

    // The script calls trainer.save_state() at the end: the summary entry arrives.
    writeFile(path.join(out, 'trainer_state.json'), trainerState(30, 30, [...trainEntries(10, 30), { epoch: 0.3, step: 30, train_loss: 0.5, train_runtime: 9.5 }]));
    r = await rescan(ws);
    run = runById(r.runs, '.');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.metrics['loss']!.count, 3);
    assert.equal(run.metrics['train_runtime']!.last, 9.5);
    assert.equal(run.endTime !== null, true);
    r = await rescan(ws);
    assert.equal(r.summary.sources[0]!.runsRead, 0);
  });

  it('a rewritten state (a new training in the same folder, fewer steps) is read whole', async () => {
    const folder = tempDir();
    const out = path.join(folder, 'out');
    writeFile(path.join(out, 'trainer_state.json'), trainerState(30, 30, trainEntries(10, 30)));
    age(folder);
    const { ws } = await scanFolder(folder);
    writeFile(path.join(out, 'trainer_state.json'), trainerState(10, 10, [{ epoch: 1, loss: 0.42, step: 10 }]));
    const r = await rescan(ws);
    const run = runById(r.runs, '.');
    assert.deepEqual([run.metrics['loss']!.count, run.metrics['loss']!.last], [1, 0.42]);
    assert.equal('learning_rate' in run.metrics, false);
    assert.equal(run.params['max_steps'], '10');
  });

  it('reads the corpus file it says it reads (the raw log_history of the whisper state)', () => {
    const raw = readCorpus(HF, 'P4P4N1CK__whisper-large-v2-japanese-5k-steps', 'trainer_state.json');
    assert.match(raw, /"train_runtime": 77350\.9963/);
    assert.doesNotMatch(readCorpus(HF, 'P4P4N1CK__whisper-large-v2-japanese-5k-steps', 'last-checkpoint', 'trainer_state.json'), /train_runtime/);
  });
});
