// Settings apply without a reload: folders to include and exclude, readers on and off, watching, key metrics.
// Each test puts the setting back.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../../src/extension/extension';
import type { DemoInfo } from '../../workspaces';
import { api, appendMetric, cliRuns, cliRunsAt, idle, info, poll, runRows, runsTree, setSetting, sleep } from '../helpers';

describe('demo workspace: settings apply without a reload', function () {
  const demo = info<DemoInfo>();
  let mlcycle: MlcycleApi;
  const sourcePaths = async (): Promise<string[]> => (await runsTree(mlcycle)).map((r) => (r.node.type === 'source' ? r.node.path : '')).sort();
  let all: string[];

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
    all = await sourcePaths();
    assert.equal(all.length, 9);
  });

  it('mlcycle.exclude hides a source (tree and store); clearing it brings it back', async function () {
    await setSetting(mlcycle, 'exclude', ['tb_logs/**']);
    await poll('the TensorBoard source to go', 30_000, async () => (!(await sourcePaths()).includes('tb_logs/resnet50') ? true : undefined));
    assert.deepEqual(await sourcePaths(), all.filter((p) => p !== 'tb_logs/resnet50'));
    await poll('the store without it', 30_000, () => (cliRuns(demo.folder).every((r) => r.source.kind !== 'tensorboard') ? true : undefined));
    await setSetting(mlcycle, 'exclude', undefined);
    await poll('the TensorBoard source to come back', 30_000, async () => ((await sourcePaths()).length === all.length ? true : undefined));
  });

  it('mlcycle.include limits the scan to the folders named', async function () {
    await setSetting(mlcycle, 'include', ['lightning_logs', 'keras-cnn']);
    await poll('only two sources', 30_000, async () => ((await sourcePaths()).join() === 'keras-cnn/training.log,lightning_logs' ? true : undefined));
    await setSetting(mlcycle, 'include', undefined);
    await poll('every source again', 30_000, async () => ((await sourcePaths()).length === all.length ? true : undefined));
  });

  it('mlcycle.adapters turns a kind of reader off and on', async function () {
    await setSetting(mlcycle, 'adapters', { keras: false, 'mlflow-sqlite': false });
    await poll('Keras and the MLflow database to go', 30_000, async () => ((await sourcePaths()).length === all.length - 2 ? true : undefined));
    assert.deepEqual(await sourcePaths(), all.filter((p) => p !== 'keras-cnn/training.log' && p !== 'fraud/mlflow.db'));
    await setSetting(mlcycle, 'adapters', undefined);
    await poll('every source again', 30_000, async () => ((await sourcePaths()).length === all.length ? true : undefined));
  });

  it('mlcycle.runs.keyMetrics chooses the metrics shown next to each run', async function () {
    await vscode.workspace.getConfiguration('mlcycle').update('runs.keyMetrics', ['f1'], vscode.ConfigurationTarget.Workspace);
    try {
      const row = await poll('gbt-tuned with f1 only', 10_000, async () => {
        const r = runRows(await runsTree(mlcycle)).find((x) => x.label === 'gbt-tuned');
        return r && /(^| · )f1 /.test(r.description) && !r.description.includes('accuracy') ? r : undefined;
      });
      assert.match(row.description, /^f1 [\d.]+ · /);
      // A run without f1 keeps its first two.
      const auc = runRows(await runsTree(mlcycle)).find((x) => x.label === 'lightgbm')!;
      assert.match(auc.description, /auc [\d.]+/);
    } finally {
      await vscode.workspace.getConfiguration('mlcycle').update('runs.keyMetrics', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('mlcycle.watch off: appended lines wait for a scan; on again: they show by themselves', async function () {
    const metric = (): number | null | undefined => mlcycle.engines.runs().find((r) => r.run.name === 'gbt-live')?.run.metrics['train_loss'];
    const file = path.join(demo.live.mlflowRunDir, 'metrics', 'train_loss');
    let step = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    await setSetting(mlcycle, 'watch', false);
    try {
      appendMetric(demo.live.mlflowRunDir, 'train_loss', 0.2468, step++);
      await sleep(4000); // long enough for a watcher to have reported it (it reports within a second)
      assert.notEqual(metric(), 0.2468, 'the appended line arrived although watching is off');
      await vscode.commands.executeCommand('mlcycle.scanWorkspace');
      await poll('the scan to read the line', 30_000, () => (metric() === 0.2468 ? true : undefined));
    } finally {
      await setSetting(mlcycle, 'watch', undefined);
    }
    appendMetric(demo.live.mlflowRunDir, 'train_loss', 0.1357, step++);
    await poll('the watcher to report the line', 30_000, () => (metric() === 0.1357 ? true : undefined));
  });

  it('mlcycle.storeLocation moves the store to a folder of the user\'s (trusted workspace), and back', async function () {
    const location = path.join(path.dirname(demo.folder), 'stores');
    const storeFile = (): string | undefined => {
      const dir = fs.existsSync(location) ? fs.readdirSync(location).find((d) => d.startsWith('workspace-')) : undefined;
      return dir && fs.existsSync(path.join(location, dir, 'mlcycle.db')) ? path.join(location, dir, 'mlcycle.db') : undefined;
    };
    await setSetting(mlcycle, 'storeLocation', location);
    try {
      const file = await poll('a store in the new location', 30_000, storeFile);
      const runs = await poll('the moved store to hold the runs', 30_000, () => {
        const r = cliRunsAt(file);
        const shown = mlcycle.engines.runs().filter((x) => !x.run.deleted).length;
        return r.length >= demo.runs - 1 && r.length === shown ? r : undefined;
      });
      assert.ok(runs.length > 0);
      assert.equal((await sourcePaths()).length, all.length);
    } finally {
      await setSetting(mlcycle, 'storeLocation', undefined);
    }
    // Back in .mlcycle/: the engine reads (and keeps updating) that store again.
    const line = fs.readFileSync(path.join(demo.live.mlflowRunDir, 'metrics', 'train_loss'), 'utf8').trim().split('\n').length;
    appendMetric(demo.live.mlflowRunDir, 'train_loss', 0.9753, line);
    await poll('the .mlcycle store to get the new line', 30_000, () =>
      cliRuns(demo.folder).find((r) => r.name === 'gbt-live')?.metrics['train_loss']?.last === 0.9753 ? true : undefined,
    );
  });

  it('left the settings as they were', function () {
    const c = vscode.workspace.getConfiguration('mlcycle');
    for (const key of ['include', 'exclude', 'adapters', 'watch', 'runs.keyMetrics', 'storeLocation']) assert.equal(c.inspect(key)?.workspaceValue, undefined, key);
  });
});
