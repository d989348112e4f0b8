// The demo workspace (a git repository) opened in Restricted Mode: workspace trust is on and nobody trusted the
// folder. MLCycle still lists the runs, starts no git process (their git fields stay empty, while the demo suite
// shows the same repository gives trusted runs a commit), ignores the restricted setting mlcycle.storeLocation,
// and writes nothing outside .mlcycle/. The driver checks the listing and the git log again after the server stops.
// A model the CLI registered before is listed in the Models view, and every registry write command is refused
// (a message; .mlcycle/registry.jsonl, the object store and the packages stay as they were).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../../src/extension/extension';
import { READ_ONLY_MESSAGE } from '../../../../src/extension/models/registration';
import type { ModelsNode } from '../../../../src/extension/models/modelsTree';
import { listing, listingChanges, type Entry } from '../../listing';
import type { DemoInfo } from '../../workspaces';
import { api, cliRuns, descriptionOf, idle, info, labelOf, poll, runRows, runsTree, storeSaved, stub } from '../helpers';

interface UntrustedInfo extends DemoInfo {
  gitLog: string;
  listingFile: string;
  elsewhere: string;
  registered: { model: string; file: string };
}

describe('untrusted workspace (Restricted Mode)', function () {
  const demo = info<UntrustedInfo>();
  let mlcycle: MlcycleApi;

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
  });

  it('is opened in Restricted Mode', function () {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('still activates and lists every run, with values, in the tree', async function () {
    const cli = await storeSaved(demo.folder, (runs) => runs.length === demo.runs - 1);
    const rows = await runsTree(mlcycle);
    assert.equal(rows.length, 9);
    assert.equal(runRows(rows).length, cli.length);
    const tuned = runRows(rows).find((r) => r.label === 'gbt-tuned')!;
    assert.match(tuned.description, /accuracy 0\.\d+/);
    const diags = await poll('the diagnostic', 20_000, () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(demo.malformedFile));
      return d.length > 0 ? d : undefined;
    });
    assert.equal(diags[0]!.range.start.line, 1);
  });

  it('runs no git: every git field is empty, even the commit MLflow recorded', async function () {
    for (const r of cliRuns(demo.folder)) assert.deepEqual(r.git, { commit: null, branch: null, dirty: null, remote: null }, `${r.source.path} ${r.id}`);
    assert.ok(mlcycle.engines.runs().every((r) => r.run.gitCommit === null));
    const keras = mlcycle.engines.runs().find((r) => r.run.source.kind === 'keras')!;
    const detail = await mlcycle.engines.get(keras.folder)!.client.request('getRun', { uid: keras.run.uid });
    assert.deepEqual(detail?.git, { commit: null, branch: null, dirty: null, remote: null });
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    await vscode.commands.executeCommand('mlcycle.rescanEverything');
    await idle(mlcycle);
    assert.equal(fs.readFileSync(demo.gitLog, 'utf8'), '', 'a git process was started');
  });

  it('ignores the restricted setting mlcycle.storeLocation: the store stays in .mlcycle/', function () {
    assert.ok(fs.existsSync(path.join(demo.folder, '.mlcycle', 'mlcycle.db')));
    assert.equal(fs.existsSync(demo.elsewhere), false, `${demo.elsewhere} was created`);
  });

  it('lists the registered model read-only, and refuses every registry write with a message (nothing written)', async function () {
    const tree = mlcycle.models.tree;
    const model = await poll('the registered model in the Models view', 20_000, async () => (await tree.getChildren())?.find((n) => n.type === 'model' && n.model.name === demo.registered.model));
    const versions = (await tree.getChildren(model)) ?? [];
    assert.equal(versions.length, 1);
    const v1 = versions[0]! as Extract<ModelsNode, { type: 'version' }>;
    const item = await tree.getTreeItem(v1);
    assert.equal(labelOf(item), 'v1');
    assert.match(descriptionOf(item), /^candidate/);
    assert.equal((await tree.snapshot(v1.folder))?.readOnly, true);

    const mlcycleDir = path.join(demo.folder, '.mlcycle');
    const journal = path.join(mlcycleDir, 'registry.jsonl');
    const journalBefore = fs.readFileSync(journal, 'utf8');
    assert.match(journalBefore, /"register"|register/);
    const owned = (): string[] => ['objects', 'packages'].flatMap((d) => (fs.existsSync(path.join(mlcycleDir, d)) ? (fs.readdirSync(path.join(mlcycleDir, d), { recursive: true }) as string[]).map((f) => `${d}/${f}`) : [])).sort();
    const ownedBefore = owned();

    const warnings: string[] = [];
    const asked: string[] = [];
    const restore = [
      stub(vscode.window, 'showWarningMessage', (async (message: string) => {
        warnings.push(message);
        return undefined;
      }) as unknown as typeof vscode.window.showWarningMessage),
      stub(vscode.window, 'showQuickPick', (async () => {
        asked.push('quick pick');
        return undefined;
      }) as unknown as typeof vscode.window.showQuickPick),
      stub(vscode.window, 'showInputBox', (async () => {
        asked.push('input box');
        return 'x';
      }) as typeof vscode.window.showInputBox),
    ];
    const writes: [string, unknown][] = [
      ['mlcycle.views.models.promote', v1],
      ['mlcycle.views.models.promote', undefined], // from the palette: refused before asking which version
      ['mlcycle.views.models.setAlias', v1],
      ['mlcycle.views.models.decommission', v1],
      ['mlcycle.views.models.archive', v1],
      ['mlcycle.views.models.buildPackage', v1],
      ['mlcycle.registerModel', vscode.Uri.file(demo.registered.file)],
    ];
    try {
      for (const [command, arg] of writes) {
        const before = warnings.length;
        const result = await vscode.commands.executeCommand(command, ...(arg === undefined ? [] : [arg]));
        assert.equal(result, undefined, `${command} did something`);
        assert.deepEqual(warnings.slice(before), [READ_ONLY_MESSAGE], `${command} said nothing`);
      }
    } finally {
      for (const r of restore) r();
    }
    assert.deepEqual(asked, [], 'a refused command asked something first');
    // The engine refuses too, whoever asks (its error's data says why; the class is the extension bundle's own).
    const readOnly = (err: unknown): boolean => (err as { data?: { kind?: string } }).data?.kind === 'readOnly';
    const fe = mlcycle.engines.get(v1.folder)!;
    await assert.rejects(fe.client.request('setStage', { model: demo.registered.model, version: 1, stage: 'staging' }), readOnly);
    await assert.rejects(fe.client.request('setAlias', { model: demo.registered.model, version: 1, alias: 'champion' }), readOnly);
    assert.equal(fs.readFileSync(journal, 'utf8'), journalBefore, 'registry.jsonl was written');
    assert.deepEqual(owned(), ownedBefore, 'objects or packages were written');
    const after = await tree.getTreeItem(((await tree.getChildren((await tree.getChildren())!.find((n) => n.type === 'model')!)) ?? [])[0]!);
    assert.match(descriptionOf(after), /^candidate/, 'still a candidate');
  });

  it('has written nothing outside .mlcycle/', function () {
    const before = JSON.parse(fs.readFileSync(demo.listingFile, 'utf8')) as Record<string, Entry>;
    const after = listing(demo.folder);
    assert.deepEqual(listingChanges(before, after, ['.mlcycle']), []);
    assert.ok(Object.keys(after).some((p) => p.startsWith('.mlcycle/')), 'the store is there');
  });
});
