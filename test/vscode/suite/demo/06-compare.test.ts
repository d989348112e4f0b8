// The Compare Runs panel, host side: opened through its commands (run references as arguments, the palette's
// multi-select picker, the Runs view's selection); what it sent the webview equals the store (read by the CLI in
// another process); the webview answers (ready, painted); remove, add and direction overrides; a running run's
// curves grow; a run whose files are removed is reported missing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComparePanel } from '../../../../src/extension/compare/comparePanel';
import type { MlcycleApi } from '../../../../src/extension/extension';
import type { CompareData, CompareRunKey } from '../../../../src/shared/compareProtocol';
import type { DemoInfo } from '../../workspaces';
import { api, appendMetric, cliRuns, idle, info, note, num, poll, runRows, runsTree, type CliRun } from '../helpers';

type Paint = ComparePanel['paints'][number];
const curvesPainted = (p: Paint): boolean => p.reason === 'series' || (p.reason === 'open' && p.points > 0);

describe('demo workspace: Compare Runs panel (host side)', function () {
  const demo = info<DemoInfo>();
  let mlcycle: MlcycleApi;
  let cli: CliRun[];

  const keyOf = (name: string): CompareRunKey => {
    const ref = mlcycle.engines.runs().find((r) => r.run.name === name);
    assert.ok(ref, `no run ${name}`);
    return { folder: ref.folder.uri.toString(), source: ref.run.source.path, id: ref.run.id };
  };

  /** Opens the panel by command and waits until the webview has painted its data. */
  async function open(run: () => Thenable<unknown>): Promise<ComparePanel> {
    const before = new Set(mlcycle.compare.panels());
    await run();
    return poll('a new Compare Runs panel', 10_000, () => mlcycle.compare.panels().find((p) => !before.has(p)));
  }

  /**
   * The tables come first, then the curves: waits for both to be painted. A webview slower to start than the
   * worker gets everything in its first message (reason "open", with points): that paint has the curves too.
   */
  async function painted(panel: ComparePanel, what: string, ready: (d: CompareData) => boolean = () => true): Promise<CompareData> {
    return poll(what, 60_000, () =>
      panel.lastData?.seriesState === 'included' && ready(panel.lastData) && panel.paints.some(curvesPainted) ? panel.lastData : undefined,
    );
  }

  /** The panel's tables hold exactly what the store says (the CLI reads it in another process). */
  function assertEqualsStore(data: CompareData): void {
    data.runs.forEach((run, i) => {
      const c = cli.find((r) => r.id === run.key.id);
      assert.ok(c, `${run.label} is in the store`);
      assert.equal(run.label, c.name);
      for (const p of data.params) assert.equal(p.values[i], c.params[p.key] ?? null, `param ${p.key} of ${run.label}`);
      assert.deepEqual(new Set(data.params.filter((p) => p.values[i] !== null).map((p) => p.key)), new Set(Object.keys(c.params)));
      for (const m of data.metrics) {
        const cell = m.cells[i];
        const want: CliRun['metrics'][string] | undefined = c.metrics[m.key];
        if (!want) {
          assert.equal(cell, null, `${run.label} has no ${m.key}`);
          continue;
        }
        assert.ok(cell);
        assert.equal(cell.last ?? cell.lastNonFinite, num(want.last) ?? undefined, `last ${m.key} of ${run.label}`);
        assert.equal(cell.min, num(want.min), `min ${m.key} of ${run.label}`);
        assert.equal(cell.max, num(want.max), `max ${m.key} of ${run.label}`);
        assert.equal(cell.count, want.count);
        const series = data.series.find((s) => s.run === i && s.metric === m.key);
        assert.ok(series, `a curve of ${m.key} for ${run.label}`);
        assert.equal(series.count, want.count);
        assert.ok(series.values.length <= series.count && series.values.length > 0);
        assert.equal(series.steps[series.steps.length - 1], want.lastStep);
      }
    });
  }

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
    cli = cliRuns(demo.folder);
  });

  after(function () {
    for (const p of mlcycle.compare.panels()) p.dispose();
  });

  it('opens for two runs passed by reference; what it sent equals the store; the webview paints it', async function () {
    const keys = [keyOf('gbt-tuned'), keyOf('gbt-shallow')];
    const panel = await open(() => vscode.commands.executeCommand('mlcycle.compareRuns', keys));
    const data = await painted(panel, 'the panel to paint two runs');
    assert.equal(panel.panel.title, 'Compare 2 Runs');
    assert.deepEqual(data.runs.map((r) => r.label), ['gbt-tuned', 'gbt-shallow']);
    assert.deepEqual(data.keys, keys);
    assert.deepEqual(data.missing, []);
    assertEqualsStore(data);
    assert.deepEqual(data.params.filter((p) => p.differs).map((p) => p.key), ['learning_rate', 'max_depth']);
    const acc = data.metrics.find((m) => m.key === 'accuracy')!;
    assert.deepEqual([acc.direction, acc.directionSource, acc.best], ['max', 'inferred', 0], 'the tuned model is more accurate');
    const loss = data.metrics.find((m) => m.key === 'val_loss')!;
    assert.equal(loss.direction, 'min');
    const [tables, curves] = [panel.paints.find((x) => x.reason === 'open')!, panel.paints.find(curvesPainted)!];
    assert.ok(tables && tables.at <= curves.at, 'the tables are painted first, then the curves');
    note(`tables painted in ${Math.round(tables.ms)} ms; ${curves.points} points in ${curves.charts} charts in ${Math.round(curves.ms)} ms`);
    assert.ok(curves.charts >= 1 && curves.points > 0, 'at least one curve is drawn');
    assert.equal(panel.panel.webview.options.localResourceRoots?.length, 1);
    assert.match(panel.panel.webview.options.localResourceRoots![0]!.path, /\/dist\/webview$/);
  });

  it('removes and adds runs without closing; a direction override changes the best run', async function () {
    const panel = mlcycle.compare.panels()[0]!;
    panel.removeRun(keyOf('gbt-shallow'));
    await poll('one run left', 30_000, () => (panel.lastData?.runs.length === 1 ? true : undefined));
    assert.equal(panel.panel.title, 'Compare 1 Run');
    panel.addRuns([keyOf('gbt-shallow'), keyOf('baseline-logreg'), keyOf('gbt-tuned')]);
    const data = await poll('three runs', 30_000, () => (panel.lastData?.runs.length === 3 ? panel.lastData : undefined));
    assert.deepEqual(data.runs.map((r) => r.label), ['gbt-tuned', 'gbt-shallow', 'baseline-logreg'], 'added at the end, the one already there not twice');
    assertEqualsStore(data);
    panel.setDirection('accuracy', 'min');
    const flipped = await poll('accuracy overridden', 30_000, () => panel.lastData?.metrics.find((m) => m.key === 'accuracy' && m.directionSource === 'user'));
    assert.equal(flipped.direction, 'min');
    assert.equal(flipped.best, 2, 'lower is better now: the baseline wins');
    panel.setDirection('accuracy', 'auto');
    await poll('back to inferred', 30_000, () => panel.lastData?.metrics.find((m) => m.key === 'accuracy' && m.directionSource === 'inferred' && m.best === 0));
  });

  it('"Compare Runs…" from the palette offers every run with its key metrics and opens the chosen ones', async function () {
    const seen: vscode.QuickPickItem[] = [];
    const chosen = new Set(['gbt-deep', 'gbt-deep-lr-high', 'trial-0', 'trial-1', 'xgb-baseline']);
    const pickMany = (async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>, options?: vscode.QuickPickOptions) => {
      const list = await items;
      seen.push(...list);
      assert.equal(options?.canPickMany, true);
      return list.filter((i) => chosen.has(i.label));
    }) as unknown as typeof vscode.window.showQuickPick;
    const original = vscode.window.showQuickPick;
    Object.defineProperty(vscode.window, 'showQuickPick', { value: pickMany, configurable: true, writable: true });
    let opened: ComparePanel;
    try {
      opened = await open(() => vscode.commands.executeCommand('mlcycle.compareRuns'));
    } finally {
      Object.defineProperty(vscode.window, 'showQuickPick', { value: original, configurable: true, writable: true });
    }
    assert.equal(seen.length, mlcycle.engines.runs().filter((r) => !r.run.deleted).length);
    const deep = seen.find((i) => i.label === 'gbt-deep')!;
    assert.match(deep.description ?? '', /accuracy|train_loss|val_loss|f1/, 'key metrics in the picker');
    const data = await painted(opened, 'five runs from two sources', (d) => d.runs.length === 5);
    assert.deepEqual(new Set(data.runs.map((r) => r.label)), chosen);
    assert.ok(new Set(data.runs.map((r) => r.sourceKind)).size === 2, 'MLflow files and the MLflow database together');
    assertEqualsStore(data);
    opened.dispose();
  });

  it('"Compare Runs" in the Runs view compares the selected runs', async function () {
    const rows = runRows(await runsTree(mlcycle));
    const nodes = rows.filter((r) => ['gbt-tuned', 'gbt-deep'].includes(r.label)).map((r) => r.node);
    assert.equal(nodes.length, 2);
    const panel = await open(() => vscode.commands.executeCommand('mlcycle.views.runs.compareRuns', nodes[0], nodes));
    const data = await painted(panel, 'the selected runs');
    assert.deepEqual(new Set(data.runs.map((r) => r.label)), new Set(['gbt-tuned', 'gbt-deep']));
    panel.dispose();
  });

  it('a running run’s curves grow as it writes (re-sent at most once a second)', async function () {
    const panel = await open(() => vscode.commands.executeCommand('mlcycle.compareRuns', [keyOf('gbt-live'), keyOf('gbt-tuned')]));
    const first = await painted(panel, 'the live run');
    const count = (d: CompareData): number => d.series.find((s) => s.run === 0 && s.metric === 'train_loss')?.count ?? 0;
    const before = count(first);
    const file = path.join(demo.live.mlflowRunDir, 'metrics', 'train_loss');
    const step = fs.readFileSync(file, 'utf8').trim().split('\n').length + 100;
    for (let i = 0; i < 5; i++) appendMetric(demo.live.mlflowRunDir, 'train_loss', 0.2 - i * 0.01, step + i);
    const grown = await poll('the new points in the panel', 30_000, () => (panel.lastData && count(panel.lastData) >= before + 5 ? panel.lastData : undefined));
    const cell = grown.metrics.find((m) => m.key === 'train_loss')!.cells[0]!;
    assert.equal(cell.last, 0.2 - 4 * 0.01);
    assert.equal(cell.lastStep, step + 4);
    panel.dispose();
  });

  it('a run whose files are removed while the panel is open is reported missing; the rest stays', async function () {
    const keys = [keyOf('trial-2'), keyOf('gbt-tuned')];
    const panel = await open(() => vscode.commands.executeCommand('mlcycle.compareRuns', keys));
    await painted(panel, 'two runs');
    const dir = cliRuns(demo.folder).find((r) => r.name === 'trial-2')!.path!;
    fs.rmSync(path.join(demo.folder, dir), { recursive: true, force: true });
    const data = await poll('trial-2 to be missing', 30_000, () => (panel.lastData?.missing.length === 1 ? panel.lastData : undefined));
    assert.deepEqual(data.missing, [{ key: keys[0], label: 'trial-2' }]);
    assert.deepEqual(data.runs.map((r) => r.label), ['gbt-tuned']);
    assert.deepEqual(data.keys, keys, 'the panel keeps it until the user removes it');
    panel.dispose();
  });
});
