// Live updates: files written while the workspace is open reach the tree without any command (watch mode).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { formatNumber } from '../../../../src/core/util/numbers';
import type { MlcycleApi } from '../../../../src/extension/extension';
import { LATE_RUN, writeRun } from '../../fixture';
import type { DemoInfo } from '../../workspaces';
import { api, appendMetric, idle, info, poll, runRows, runsTree } from '../helpers';

describe('demo workspace: live updates without a command', function () {
  const demo = info<DemoInfo>();
  let mlcycle: MlcycleApi;

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
  });

  it('a metric line appended to the running MLflow run shows in its tree item', async function () {
    const lines = fs.readFileSync(`${demo.live.mlflowRunDir}/metrics/train_loss`, 'utf8').trim().split('\n').length;
    appendMetric(demo.live.mlflowRunDir, 'train_loss', 0.123457, lines);
    appendMetric(demo.live.mlflowRunDir, 'accuracy', 0.876543, lines);
    const row = await poll('gbt-live to show the new values', 30_000, async () => {
      const r = runRows(await runsTree(mlcycle)).find((x) => x.label === 'gbt-live');
      return r && r.node.type === 'run' && r.node.run.metrics['train_loss'] === 0.123457 && r.node.run.metrics['accuracy'] === 0.876543 ? r : undefined;
    });
    assert.ok(row.description.startsWith('running · '), row.description);
    assert.ok(row.description.includes(`${formatNumber(0.123457)}`) || row.description.includes(`${formatNumber(0.876543)}`), row.description);
  });

  it('rows appended to the Lightning version still training show too', async function () {
    fs.appendFileSync(demo.live.lightningCsv, '3,399,0.4242,,\n3,399,,0.8181,0.5042\n');
    await poll('version_1 to show epoch 3', 30_000, async () => {
      const r = runRows(await runsTree(mlcycle)).find((x) => x.label === 'version_1');
      return r && r.node.type === 'run' && r.node.run.metrics['val_acc'] === 0.8181 ? r : undefined;
    });
  });

  it('a run folder written into another experiment appears, and the source now groups by experiment', async function () {
    writeRun(demo.folder, LATE_RUN); // mlruns/0: the Default experiment, empty until now
    const mlruns = await poll('the new run in the tree', 30_000, async () => {
      const m = (await runsTree(mlcycle)).find((r) => r.label === 'mlruns');
      return m && runRows(m.children).some((r) => r.label === LATE_RUN.name) ? m : undefined;
    });
    assert.deepEqual(
      mlruns.children.map((r) => [r.node.type, r.label, r.description]),
      [
        ['experiment', 'churn-prediction', '10 runs'],
        ['experiment', 'Default', '1 run'],
      ],
    );
    assert.equal(mlruns.description, 'MLflow · 11 runs · 1 problem', 'ten runs and the new one (the deleted run is not counted)');
    assert.deepEqual(mlruns.children[1]!.children.map((r) => r.label), [LATE_RUN.name]);
  });
});
