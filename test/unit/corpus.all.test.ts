// The whole shared corpus in one workspace, every adapter at once: nothing crashes, every source
// is claimed by the right reader once, and the only diagnostics are the corpus's known oddities.
import assert from 'node:assert/strict';
import { corpusWorkspace } from '../helpers/corpus';
import { scanFolder } from '../helpers/scan';

describe('the whole corpus at once', function () {
  this.timeout(180_000);

  it('ingests every file, each source by one reader, with only the expected diagnostics', async () => {
    const folder = corpusWorkspace();
    const { summary, runs, diagnostics } = await scanFolder(folder);
    const count = (f: (kind: string) => number): Record<string, number> =>
      Object.fromEntries(['dvc', 'huggingface', 'keras', 'lightning', 'mlflow', 'tensorboard', 'ultralytics'].map((k) => [k, f(k)]));
    assert.deepEqual(
      count((k) => summary.sources.filter((s) => s.kind === k).length),
      { dvc: 8, huggingface: 5, keras: 13, lightning: 5, mlflow: 9, tensorboard: 19, ultralytics: 5 },
    );
    assert.deepEqual(
      count((k) => runs.filter((r) => r.source.kind === k).length),
      { dvc: 13, huggingface: 5, keras: 15, lightning: 58, mlflow: 65, tensorboard: 19, ultralytics: 5 },
    );
    assert.ok(summary.sources.every((s) => !s.error), JSON.stringify(summary.sources.filter((s) => s.error)));
    // No folder is read by two readers.
    const paths = summary.sources.map((s) => s.path);
    assert.equal(new Set(paths).size, paths.length);
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.file.replace(/^corpus\//, ''), d.line]),
      [
        ['info', 'hf/Franmartin09__Requirement-Classification-Fine-Tuning/results/checkpoint-500/trainer_state.json', null],
        ['info', 'hf/SecurityLab-UCD__UniTSyn/results/checkpoint-500/trainer_state.json', null],
        ['warning', 'keras/Lidbey__AI4Mars/model_history_log.csv', 1],
        ['warning', 'lightning/Jhko725__Contact-Point-Detection/lightning_logs/version_2/metrics.csv', 1],
        ['warning', 'lightning/Jhko725__Contact-Point-Detection/lightning_logs/version_6/metrics.csv', 1],
      ],
    );
  });
});
