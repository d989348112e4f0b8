// The model registry in the editor: register through the command (an Explorer file, an Artifacts entry), the run
// linked by itself; promote staging → production from the Models view's commands and the badge moves; a gate of
// .mlcycle/policy.yaml refuses a promotion and the message names it with its numbers; the CLI writing the journal
// refreshes the view; a package built and verified appears under Packages; the model panel shows the audit trail
// the CLI prints; MLflow's registry appears read-only under its source; write commands hidden when untrusted.
// Then v2's life: an alias set from the view, promoted from the palette (the version asked in a quick pick of the
// own registry), a package build cancelled (nothing left), decommissioned with a reason (in the audit trail),
// archived (its package kept, verified); a package file verified from the palette.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../../src/extension/extension';
import type { ModelsNode } from '../../../../src/extension/models/modelsTree';
import { writeRegisteredModel } from '../../../../tools/lib/mlflowFiles';
import type { DemoInfo } from '../../workspaces';
import { answerInputBox, answerQuickPick, api, descriptionOf, extension, idle, info, labelOf, note, poll, stub } from '../helpers';

interface TreeRow {
  node: ModelsNode;
  item: vscode.TreeItem;
  label: string;
  description: string;
}

interface CliModel {
  name: string;
  source: string;
  readOnly: boolean;
  versions: { version: number | string; stage?: string; aliases?: string[]; run?: { id: string; name: string | null } | null }[];
}

interface CliEvent {
  actor: string;
  alias?: string;
  type: string;
  version: number | null;
  from?: string;
  to?: string;
  reason?: string;
}

describe('demo workspace: model registry (Models view, commands, model panel)', function () {
  const demo = info<DemoInfo>();
  let mlcycle: MlcycleApi;
  const cliPath = (): string => path.join(extension().extensionPath, 'dist', 'cli.js');
  const cli = (...args: string[]): string =>
    execFileSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8', cwd: demo.folder, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });

  async function children(node?: ModelsNode): Promise<TreeRow[]> {
    const tree = mlcycle.models.tree;
    const nodes = (await tree.getChildren(node)) ?? [];
    return Promise.all(
      nodes.map(async (n) => {
        const item = await tree.getTreeItem(n);
        return { node: n, item, label: labelOf(item), description: descriptionOf(item) };
      }),
    );
  }

  /** The version row of the Models view, once `ready` accepts it (the tree refreshes asynchronously). */
  async function versionRow(model: string, version: number, ready: (r: TreeRow) => boolean = () => true): Promise<TreeRow> {
    return poll(`v${version} of ${model} in the Models view`, 20_000, async () => {
      const m = (await children()).find((r) => r.node.type === 'model' && r.label === model);
      if (!m) return undefined;
      const v = (await children(m.node)).find((r) => r.label === `v${version}`);
      return v && ready(v) ? v : undefined;
    });
  }

  const runArtifacts = (name: string): string => {
    const ref = mlcycle.engines.runs().find((r) => r.run.name === name);
    assert.ok(ref?.run.path, `run ${name} has a folder`);
    return path.join(demo.folder, ref.run.path, 'artifacts', 'model');
  };

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
  });

  after(function () {
    for (const p of mlcycle.models.panels()) p.dispose();
    fs.rmSync(path.join(demo.folder, '.mlcycle', 'policy.yaml'), { force: true });
  });

  it('contributes the Models view with its commands; write commands need a trusted workspace', function () {
    const pkg = extension().packageJSON as { contributes: { views: Record<string, { id: string }[]>; menus: Record<string, { command: string; when?: string }[]> } };
    assert.ok(pkg.contributes.views['mlcycle']?.some((v) => v.id === 'mlcycle.models'));
    const writes = ['mlcycle.registerModel', 'mlcycle.views.models.promote', 'mlcycle.views.models.setAlias', 'mlcycle.views.models.decommission', 'mlcycle.views.models.archive', 'mlcycle.views.models.buildPackage'];
    for (const [menu, entries] of Object.entries(pkg.contributes.menus)) {
      for (const e of entries) {
        if (writes.includes(e.command) && !(menu === 'commandPalette' && e.when === 'false')) assert.match(e.when ?? '', /isWorkspaceTrusted/, `${e.command} in ${menu} shows in Restricted Mode`);
      }
    }
    assert.ok(pkg.contributes.menus['explorer/context']?.some((e) => e.command === 'mlcycle.registerModel'), 'Register Model… in the Explorer');
    assert.ok(pkg.contributes.menus['view/item/context']?.some((e) => e.command === 'mlcycle.registerModel' && /mlcycle\.artifacts/.test(e.when ?? '')), 'Register Model… on artifacts');
  });

  it('registers a file chosen in the Explorer (a Uri): the model name asked and checked, the run found by itself', async function () {
    const file = path.join(runArtifacts('gbt-tuned'), 'model.pkl');
    // A bad name is refused by the input box's validation (names.ts rules).
    let validation: ReturnType<NonNullable<vscode.InputBoxOptions['validateInput']>> | undefined;
    const restore = stub(vscode.window, 'showInputBox', (async (options?: vscode.InputBoxOptions) => {
      validation = options?.validateInput?.('bad name/..');
      return 'churn';
    }) as typeof vscode.window.showInputBox);
    let result: { model: string; version: number } | undefined;
    try {
      result = await vscode.commands.executeCommand('mlcycle.registerModel', vscode.Uri.file(file));
    } finally {
      restore();
    }
    assert.match(String(await Promise.resolve(validation)), /cannot contain spaces/);
    assert.deepEqual(result, { model: 'churn', version: 1 });
    const row = await versionRow('churn', 1);
    assert.match(row.description, /^candidate · .*accuracy/);
    assert.equal(row.item.contextValue, 'version.candidate.run');
    const models = JSON.parse(cli('models', '--json', '--no-scan')) as CliModel[];
    const churn = models.find((m) => m.name === 'churn' && m.source === 'mlcycle');
    assert.equal(churn?.versions[0]?.run?.name, 'gbt-tuned', 'linked to the run that produced the file');
    const files = await children(row.node);
    assert.deepEqual(files.map((f) => f.label), ['model.pkl', 'Packages']);
  });

  it('registers a model folder from the Artifacts view, linked to the selected run', async function () {
    const ref = mlcycle.engines.runs().find((r) => r.run.name === 'gbt-shallow');
    assert.ok(ref);
    mlcycle.artifactsTree.select([{ folder: ref.folder, run: ref.run }]);
    const entries = (await mlcycle.artifactsTree.getChildren()) ?? [];
    const model = entries.find((e) => e.type === 'entry' && e.row.path === 'model');
    assert.ok(model, 'the model folder is listed');
    const restore = answerInputBox('churn');
    try {
      const r = await vscode.commands.executeCommand<{ model: string; version: number }>('mlcycle.registerModel', model);
      assert.deepEqual(r, { model: 'churn', version: 2 });
    } finally {
      restore();
    }
    const row = await versionRow('churn', 2);
    const labels = (await children(row.node)).map((f) => f.label);
    assert.deepEqual(labels.sort(), ['MLmodel', 'Packages', 'model.pkl', 'requirements.txt']);
  });

  it('promotes v1 staging → production from the view: the badge moves, the icon follows the stage', async function () {
    for (const stage of ['staging', 'production'] as const) {
      const row = await versionRow('churn', 1);
      const offered: vscode.QuickPickItem[] = [];
      const restore = answerQuickPick((i) => i.label === stage, offered);
      try {
        const r = await vscode.commands.executeCommand<{ stage: string }>('mlcycle.views.models.promote', row.node);
        assert.equal(r?.stage, stage);
      } finally {
        restore();
      }
      // Only the stages the life cycle allows next are offered.
      assert.deepEqual(offered.map((o) => o.label), stage === 'staging' ? ['staging', 'production'] : ['production']);
      const moved = await versionRow('churn', 1, (r) => r.description.startsWith(stage));
      assert.equal((moved.item.iconPath as vscode.ThemeIcon).id, stage === 'production' ? 'rocket' : 'beaker');
      note(`v1: ${moved.description}`);
    }
    const model = (await children()).find((r) => r.label === 'churn');
    assert.match(model?.description ?? '', /v1 in production/);
  });

  it('a gate of .mlcycle/policy.yaml refuses a promotion: the message names each failed gate with its numbers', async function () {
    fs.writeFileSync(path.join(demo.folder, '.mlcycle', 'policy.yaml'), 'staging:\n  metrics:\n    accuracy: { min: 0.99 }\n');
    const row = await versionRow('churn', 2);
    const errors: string[] = [];
    const restoreError = stub(vscode.window, 'showErrorMessage', (async (message: string) => {
      errors.push(message);
      return undefined;
    }) as typeof vscode.window.showErrorMessage);
    const restorePick = answerQuickPick((i) => i.label === 'staging');
    try {
      const r = await vscode.commands.executeCommand('mlcycle.views.models.promote', row.node);
      assert.equal(r, undefined);
    } finally {
      restorePick();
      restoreError();
      fs.rmSync(path.join(demo.folder, '.mlcycle', 'policy.yaml'), { force: true });
    }
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /v2 of churn cannot enter staging/);
    assert.match(errors[0]!, /accuracy ≥ 0\.99: accuracy is 0\.\d+/);
    assert.match((await versionRow('churn', 2)).description, /^candidate/, 'the version stayed where it was');
  });

  it('the CLI writing the journal refreshes the view (alias set outside the editor)', async function () {
    cli('alias', 'churn', 'champion', '1');
    const row = await versionRow('churn', 1, (r) => r.description.includes('@champion'));
    assert.match(row.description, /^production · @champion · /);
  });

  it('builds a package from the view; it appears under Packages, then verified', async function () {
    const row = await versionRow('churn', 1);
    const built = await vscode.commands.executeCommand<{ file: string; files: number }>('mlcycle.views.models.buildPackage', row.node);
    assert.ok(built && fs.existsSync(built.file), 'the zip exists');
    const packagesOf = async (): Promise<TreeRow[]> => {
      const v = await versionRow('churn', 1);
      const group = (await children(v.node)).find((c) => c.label === 'Packages');
      assert.ok(group);
      return children(group.node);
    };
    await poll('the package under Packages', 20_000, async () => ((await packagesOf()).some((p) => p.label === path.basename(built.file) && p.description.startsWith('not verified')) ? true : undefined));
    const verified = await vscode.commands.executeCommand<{ ok: boolean }>('mlcycle.views.models.verifyPackage', row.node);
    assert.equal(verified?.ok, true);
    await poll('the package verified', 20_000, async () => ((await packagesOf()).some((p) => p.description.startsWith('verified')) ? true : undefined));
  });

  it('the model panel shows the versions and the audit trail the journal keeps (as the CLI prints it)', async function () {
    const row = await versionRow('churn', 1);
    await vscode.commands.executeCommand('mlcycle.openModelPanel', row.node);
    const panel = await poll('the model panel', 10_000, () => mlcycle.models.panels().find((p) => p.model === 'churn'));
    const history = JSON.parse(cli('history', 'churn', '--json')) as CliEvent[];
    const painted = await poll('the panel painted', 30_000, () => (panel.lastPainted && panel.lastData?.history.length === history.length ? panel.lastPainted : undefined));
    assert.equal(painted.versions, 2);
    assert.equal(painted.events, history.length);
    assert.ok(painted.chartPoints >= 1, 'the metric chart has points');
    const stages = panel.lastData!.history.filter((e) => e.type === 'stage').map((e) => `${e.from}→${e.to}`);
    assert.deepEqual(stages, ['candidate→staging', 'staging→production']);
    assert.ok(panel.lastData!.modelCard?.includes('# Model card: churn v2'));
  });

  it("MLflow's model registry appears read-only under its source", async function () {
    const tuned = mlcycle.engines.runs().find((r) => r.run.name === 'gbt-tuned');
    assert.ok(tuned);
    writeRegisteredModel(path.join(demo.folder, 'mlruns'), 'churn-mlflow', [{ version: 1, runId: tuned.run.id, source: 'models:/m-1', stage: 'Production' }], { champion: 1 });
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    await idle(mlcycle);
    const source = await poll('the MLflow registry in the Models view', 20_000, async () => {
      mlcycle.models.tree.refresh();
      return (await children()).find((r) => r.node.type === 'source' && r.description.includes('read-only'));
    });
    const models = await children(source.node);
    assert.ok(models.some((m) => m.label === 'churn-mlflow'));
    const versions = await children(models.find((m) => m.label === 'churn-mlflow')!.node);
    assert.equal(versions[0]?.label, 'v1');
    assert.match(versions[0]!.description, /Production · @champion/);
    assert.equal(versions[0]!.item.contextValue, 'sourceVersion', 'no write action applies to it');
  });

  it('Set Alias… on v2 from the view: the tree shows @challenger, the CLI agrees', async function () {
    const row = await versionRow('churn', 2);
    const restore = answerInputBox('challenger');
    try {
      await vscode.commands.executeCommand('mlcycle.views.models.setAlias', row.node);
    } finally {
      restore();
    }
    const moved = await versionRow('churn', 2, (r) => r.description.includes('@challenger'));
    assert.match(moved.description, /^candidate · @challenger · /);
    const churn = (JSON.parse(cli('models', '--json', '--no-scan')) as CliModel[]).find((m) => m.name === 'churn' && m.source === 'mlcycle');
    assert.deepEqual(churn?.versions.find((v) => v.version === 2)?.aliases, ['challenger']);
    assert.deepEqual(churn?.versions.find((v) => v.version === 1)?.aliases, ['champion'], 'the other alias stays on v1');
  });

  it('Promote… from the palette (no item): a quick pick of the own registry\'s versions, then the stage', async function () {
    const offered: vscode.QuickPickItem[] = [];
    const restore = answerQuickPick((i) => i.label === 'churn v2' || i.label === 'staging', offered);
    let r: { stage: string } | undefined;
    try {
      r = await vscode.commands.executeCommand<{ stage: string }>('mlcycle.views.models.promote');
    } finally {
      restore();
    }
    assert.equal(r?.stage, 'staging');
    const versions = offered.filter((o) => /^\S+ v\d+$/.test(o.label));
    // Newest first; MLflow's churn-mlflow (read-only) is not offered.
    assert.deepEqual(versions.map((o) => o.label), ['churn v2', 'churn v1']);
    assert.match(versions[0]!.description ?? '', /^candidate · @challenger · accuracy \d/);
    assert.match(versions[1]!.description ?? '', /^production · @champion · accuracy \d/);
    note(`picked from: ${versions.map((o) => `${o.label} (${o.description})`).join(', ')}`);
    await versionRow('churn', 2, (row) => row.description.startsWith('staging'));
  });

  it('a cancelled Build Package leaves no package behind', async function () {
    const packagesDir = path.join(demo.folder, '.mlcycle', 'packages');
    const files = (): string[] => (fs.existsSync(packagesDir) ? (fs.readdirSync(packagesDir, { recursive: true }) as string[]).sort() : []);
    const before = files();
    const row = await versionRow('churn', 2);
    const infos: string[] = [];
    // The progress notification's Cancel, pressed as soon as the build starts.
    const restoreProgress = stub(vscode.window, 'withProgress', (async (_options: vscode.ProgressOptions, task: (p: vscode.Progress<{ message?: string; increment?: number }>, t: vscode.CancellationToken) => Thenable<unknown>) => {
      const source = new vscode.CancellationTokenSource();
      source.cancel();
      try {
        return await task({ report: () => undefined }, source.token);
      } finally {
        source.dispose();
      }
    }) as typeof vscode.window.withProgress);
    const restoreInfo = stub(vscode.window, 'showInformationMessage', (async (message: string) => {
      infos.push(message);
      return undefined;
    }) as typeof vscode.window.showInformationMessage);
    let result: unknown;
    try {
      result = await vscode.commands.executeCommand('mlcycle.views.models.buildPackage', row.node);
    } finally {
      restoreInfo();
      restoreProgress();
    }
    assert.equal(result, undefined);
    assert.deepEqual(infos, ['MLCycle: cancelled.']);
    assert.deepEqual(files(), before, 'no zip and no partial file');
    const v2 = await versionRow('churn', 2);
    const group = (await children(v2.node)).find((c) => c.label === 'Packages');
    assert.equal(group?.description, 'none');
  });

  it('Decommission… v2 with a reason of its own: stage decommissioned, the reason in the audit trail', async function () {
    const row = await versionRow('churn', 2);
    const offered: vscode.QuickPickItem[] = [];
    const restorePick = answerQuickPick((i) => i.label === 'other', offered);
    const restoreInput = answerInputBox('the churn definition changed in Q3');
    try {
      const r = await vscode.commands.executeCommand<{ stage: string }>('mlcycle.views.models.decommission', row.node);
      assert.equal(r?.stage, 'decommissioned');
    } finally {
      restoreInput();
      restorePick();
    }
    assert.deepEqual(offered.map((o) => o.label), ['a better model was found', 'better features are available', 'the modelled process changed', 'other']);
    const moved = await versionRow('churn', 2, (r) => r.description.startsWith('decommissioned'));
    assert.equal((moved.item.iconPath as vscode.ThemeIcon).id, 'circle-slash');
    const history = JSON.parse(cli('history', 'churn', '--json')) as CliEvent[];
    const last = history.filter((e) => e.type === 'stage' && e.version === 2).at(-1);
    assert.equal(last?.to, 'decommissioned');
    assert.equal(last?.reason, 'the churn definition changed in Q3');
  });

  it('Archive v2: stage archived, its package built, kept and verified', async function () {
    const row = await versionRow('churn', 2);
    const asked: string[] = [];
    const restore = stub(vscode.window, 'showWarningMessage', (async (message: string) => {
      asked.push(message);
      return 'Archive';
    }) as unknown as typeof vscode.window.showWarningMessage);
    let r: { package: string; built: boolean } | undefined;
    try {
      r = await vscode.commands.executeCommand<{ package: string; built: boolean }>('mlcycle.views.models.archive', row.node);
    } finally {
      restore();
    }
    assert.match(asked[0] ?? '', /Archive churn v2\?/);
    assert.ok(r && fs.existsSync(r.package), 'the package is kept');
    assert.equal(r.built, true, 'v2 had no package: archiving built one');
    const archived = await versionRow('churn', 2, (v) => v.description.startsWith('archived'));
    assert.equal(archived.item.contextValue, 'version.archived.run', 'no life-cycle action applies any more');
    const packages = await poll('the verified package under Packages', 20_000, async () => {
      const v = await versionRow('churn', 2);
      const group = (await children(v.node)).find((c) => c.label === 'Packages');
      const rows = group ? await children(group.node) : [];
      return rows.some((p) => p.label === path.basename(r.package) && p.description.startsWith('verified')) ? rows : undefined;
    });
    assert.equal(packages.length, 1);
    assert.match(cli('verify', r.package), /every sha256 matches/);
  });

  it('Verify Package File… checks any zip: the archived package verifies, a non-package names its problem', async function () {
    const zip = path.join(demo.folder, '.mlcycle', 'packages', 'churn', 'v2', 'churn-v2.zip');
    const good = await vscode.commands.executeCommand<{ ok: boolean; model: string | null; version: number | null; files: number }>('mlcycle.verifyPackageFile', vscode.Uri.file(zip));
    assert.equal(good?.ok, true);
    assert.equal(good?.model, 'churn');
    assert.equal(good?.version, 2);
    const bogus = path.join(demo.folder, '.mlcycle', 'not-a-package.zip');
    fs.writeFileSync(bogus, 'not a zip');
    const errors: string[] = [];
    const restore = stub(vscode.window, 'showErrorMessage', (async (message: string) => {
      errors.push(message);
      return undefined;
    }) as typeof vscode.window.showErrorMessage);
    try {
      const bad = await vscode.commands.executeCommand<{ ok: boolean; lines: string[] }>('mlcycle.verifyPackageFile', vscode.Uri.file(bogus));
      assert.equal(bad?.ok, false);
      assert.ok(bad.lines.length > 0);
    } finally {
      restore();
      fs.rmSync(bogus, { force: true });
    }
    assert.match(errors[0] ?? '', /not-a-package\.zip does not verify: /);
    note(errors[0]!);
  });
});
