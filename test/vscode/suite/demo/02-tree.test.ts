// The Runs tree against the store: what `mlcycle runs --json` says about the same folder, read by another process.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { formatNumber } from '../../../../src/core/util/numbers';
import type { MlcycleApi } from '../../../../src/extension/extension';
import type { DemoInfo } from '../../workspaces';
import { api, cliRuns, idle, info, num, runRows, runsTree, storeSaved, type CliRun, type Row } from '../helpers';

/** What each kind is called in the tree (written out here, not imported: the test must not share the table). */
const KIND_NAMES: Record<string, string> = {
  mlflow: 'MLflow',
  'mlflow-sqlite': 'MLflow database',
  dvc: 'DVC',
  lightning: 'Lightning',
  huggingface: 'Hugging Face',
  keras: 'Keras',
  tensorboard: 'TensorBoard',
  ultralytics: 'Ultralytics',
  plain: 'Files',
};

const time = (iso: string | null): number => (iso === null ? -Infinity : Date.parse(iso));

/** Run ids are unique within a source only (several formats call their one run "."). */
const key = (r: { id: string; source: { path: string } }): string => `${r.source.path}|${r.id}`;
const rowKey = (row: Row): string => (row.node.type === 'run' ? key(row.node.run) : '');

function iconId(item: vscode.TreeItem): string | undefined {
  return item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
}

describe('demo workspace: the Runs tree against the store', function () {
  const demo = info<DemoInfo>();
  let mlcycle: MlcycleApi;
  let cli: CliRun[];
  let rows: Row[];

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
    const all = cliRuns(demo.folder, { deleted: true });
    const live = all.filter((r) => !r.deleted).length;
    cli = await storeSaved(demo.folder, (runs) => runs.length === live);
    rows = await runsTree(mlcycle);
  });

  it('lists every run of the store once, and no other', function () {
    const shown = runRows(rows).map(rowKey);
    assert.deepEqual([...shown].sort(), cli.map(key).sort());
    assert.equal(new Set(shown).size, shown.length, 'a run is shown twice');
    assert.equal(cli.length, demo.runs - 1, 'the demo has one deleted run, hidden by default');
  });

  it('groups them by source: one node per source with its kind and run count (one folder: no folder level)', function () {
    const sources = new Map<string, CliRun[]>();
    for (const r of cli) sources.set(r.source.path, [...(sources.get(r.source.path) ?? []), r]);
    assert.equal(rows.length, sources.size);
    for (const row of rows) {
      assert.equal(row.node.type, 'source');
      if (row.node.type !== 'source') continue;
      const runs = sources.get(row.node.path);
      assert.ok(runs, `source ${row.node.path} is not in the store`);
      const kind = KIND_NAMES[runs[0]!.source.kind]!;
      assert.equal(row.label, row.node.path === '.' ? kind : row.node.path);
      const problems = row.node.path === 'mlruns' ? ' · 1 problem' : '';
      assert.equal(row.description, `${kind} · ${runs.length} run${runs.length === 1 ? '' : 's'}${problems}`);
      assert.deepEqual(runRows(row.children).map(rowKey).sort(), runs.map(key).sort());
    }
    assert.deepEqual(
      [...sources.values()].map((r) => r[0]!.source.kind).sort(),
      ['dvc', 'huggingface', 'keras', 'lightning', 'mlflow', 'mlflow-sqlite', 'plain', 'tensorboard', 'ultralytics'],
      'the demo has one source of every kind',
    );
  });

  it('groups by experiment only where a source has several (else runs sit right under the source)', function () {
    for (const row of rows) {
      const experiments = new Set(cli.filter((r) => row.node.type === 'source' && r.source.path === row.node.path).map((r) => r.experiment ?? '(no experiment)'));
      if (experiments.size === 1) assert.ok(row.children.every((c) => c.node.type === 'run'), `${row.label}: one experiment, no experiment level`);
      else assert.deepEqual(row.children.map((c) => c.label).sort(), [...experiments].sort());
    }
  });

  it('puts the newest run first at every level', function () {
    const check = (siblings: Row[]): void => {
      const runs = siblings.filter((r) => r.node.type === 'run');
      const starts = runs.map((r) => time(cli.find((c) => key(c) === rowKey(r))!.startTime));
      assert.deepEqual(starts, [...starts].sort((a, b) => b - a), `not newest first: ${runs.map((r) => r.label).join(', ')}`);
      for (const r of siblings) check(r.children);
    };
    check(rows);
    const mlruns = rows.find((r) => r.label === 'mlruns')!;
    assert.equal(mlruns.children[0]!.label, 'gbt-live', 'the run still training started last');
  });

  it('nests runs under their parent run (MLflow mlflow.parentRunId)', function () {
    const mlruns = rows.find((r) => r.label === 'mlruns')!;
    const parent = mlruns.children.find((r) => r.label === 'optuna-search');
    assert.ok(parent);
    assert.equal(parent.item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const parentId = parent.node.type === 'run' ? parent.node.run.id : '';
    const expected = cli.filter((r) => r.parentId === parentId).map((r) => r.name);
    assert.deepEqual(parent.children.map((r) => r.label).sort(), [...expected].sort());
    assert.deepEqual(expected.sort(), ['trial-0', 'trial-1', 'trial-2']);
    assert.ok(!mlruns.children.some((r) => r.label.startsWith('trial-')), 'nested runs also at the top level');
  });

  it('marks running runs (spinning icon, "running" first) and failed ones', function () {
    const running = cli.filter((r) => r.status === 'RUNNING').map(key).sort();
    assert.equal(running.length, 2, 'the demo has two runs still training (MLflow gbt-live, Lightning version_1)');
    for (const row of runRows(rows)) {
      if (row.node.type !== 'run') continue;
      const status = cli.find((c) => key(c) === rowKey(row))!.status;
      if (status === 'RUNNING') {
        assert.equal(iconId(row.item), 'sync~spin', `${row.label}: icon`);
        assert.match(row.description, /^running · /, `${row.label}: description`);
      } else if (status === 'FAILED') {
        assert.equal(iconId(row.item), 'error');
        assert.match(row.description, /^failed · /);
      } else {
        assert.equal(status, 'FINISHED');
        assert.equal(iconId(row.item), 'pass', `${row.label}: icon`);
        assert.doesNotMatch(row.description, /^(running|failed)/);
      }
    }
    assert.deepEqual(runRows(rows).filter((r) => iconId(r.item) === 'sync~spin').map(rowKey).sort(), running);
  });

  it('shows each run\'s key metrics (the first two) with the store\'s last values, and its age', function () {
    for (const row of runRows(rows)) {
      if (row.node.type !== 'run') continue;
      const run = row.node.run;
      const stored = cli.find((c) => key(c) === key(run))!;
      // The tree's values are the store's.
      assert.deepEqual(Object.keys(run.metrics).sort(), Object.keys(stored.metrics).sort(), `${row.label}: metric names`);
      for (const [k, v] of Object.entries(run.metrics)) {
        const last = num(stored.metrics[k]!.last);
        if (last === null || Number.isNaN(last)) assert.equal(v, null, `${row.label}.${k}`);
        else assert.equal(v, last, `${row.label}.${k}`);
      }
      const parts = row.description.split(' · ');
      const shown = Object.keys(run.metrics).slice(0, 2).map((k) => {
        const last = num(stored.metrics[k]!.last);
        return `${k} ${last === null || Number.isNaN(last) ? 'NaN' : formatNumber(last)}`;
      });
      for (const s of shown) assert.ok(parts.includes(s), `${row.label}: "${s}" missing from "${row.description}"`);
      assert.match(parts[parts.length - 1]!, /^(\d+[smhd] ago|\d{4}-\d\d-\d\d)$/, `${row.label}: age in "${row.description}"`);
    }
    const tuned = runRows(rows).find((r) => r.label === 'gbt-tuned')!;
    assert.ok(tuned.description.includes('accuracy '), tuned.description);
  });

  it('gives each run a hover with params, metrics (last/min/max) and git commit', async function () {
    const tuned = runRows(rows).find((r) => r.label === 'gbt-tuned')!;
    const stored = cli.find((c) => c.name === 'gbt-tuned')!;
    const source = new vscode.CancellationTokenSource();
    const item = await mlcycle.runsTree.resolveTreeItem(tuned.item, tuned.node, source.token);
    assert.ok(item.tooltip instanceof vscode.MarkdownString, 'a MarkdownString tooltip');
    const text = item.tooltip.value.replace(/\\(.)/g, '$1'); // values are escaped
    assert.ok(text.includes(`| learning_rate | ${stored.params['learning_rate']} |`), text);
    const acc = stored.metrics['accuracy']!;
    assert.ok(text.includes(`| accuracy | ${formatNumber(num(acc.last))} | ${formatNumber(num(acc.min))} | ${formatNumber(num(acc.max))} |`), text);
    assert.ok(text.includes(`git ${stored.tags['mlflow.source.git.commit']!.slice(0, 12)}`), text);
    assert.equal(item.tooltip.isTrusted, undefined, 'no command links in values from files');
  });
});
