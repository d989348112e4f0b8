// A .code-workspace with two folders (the fixture and the demo): one engine and one store per folder, folder
// nodes at the top of the Runs tree, and folders added or removed while it is open.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../../src/extension/extension';
import type { DemoInfo } from '../../workspaces';
import { api, cliRuns, idle, info, poll, runRows, runsTree, storeSaved } from '../helpers';

interface MultiRootInfo {
  workspaceFile: string;
  folders: string[];
  third: string;
  demo: DemoInfo;
  fixtureRuns: number;
}

describe('multi-root workspace', function () {
  const mr = info<MultiRootInfo>();
  let mlcycle: MlcycleApi;

  before(async function () {
    mlcycle = await api();
    await idle(mlcycle);
  });

  it('opens the .code-workspace with its two folders', function () {
    assert.equal(vscode.workspace.workspaceFile?.fsPath, mr.workspaceFile);
    assert.deepEqual((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), mr.folders);
  });

  it('runs one engine per folder, each with its own store in its own .mlcycle/', async function () {
    assert.deepEqual(mlcycle.engines.all().map((fe) => fe.folder.uri.fsPath), mr.folders);
    const [alpha, beta] = mr.folders as [string, string];
    const a = await storeSaved(alpha, (runs) => runs.length === mr.fixtureRuns);
    const b = await storeSaved(beta, (runs) => runs.length === mr.demo.runs - 1);
    assert.ok(a.every((r) => r.source.path === 'mlruns'));
    // Neither store holds the other folder's runs.
    assert.ok(!b.some((r) => a.some((x) => x.id === r.id)));
    for (const fe of mlcycle.engines.all()) {
      const stored = cliRuns(fe.folder.uri.fsPath);
      assert.deepEqual(
        (fe.snapshot?.runs ?? []).map((r) => `${r.source.path}|${r.id}`).sort(),
        stored.map((r) => `${r.source.path}|${r.id}`).sort(),
        `${fe.folder.name}: the engine's runs are its store's`,
      );
    }
  });

  it('shows a node per folder at the top of the Runs tree, with that folder\'s sources below', async function () {
    const rows = await runsTree(mlcycle);
    assert.deepEqual(rows.map((r) => [r.node.type, r.label]), [
      ['folder', 'alpha'],
      ['folder', 'beta'],
    ]);
    assert.ok(rows.every((r) => r.item.collapsibleState === vscode.TreeItemCollapsibleState.Expanded));
    assert.deepEqual(rows[0]!.children.map((r) => r.label), ['mlruns']);
    assert.equal(rows[1]!.children.length, 9, 'the demo has nine sources');
    assert.equal(runRows([rows[0]!]).length, mr.fixtureRuns);
    assert.equal(runRows([rows[1]!]).length, mr.demo.runs - 1);
    // Ids of tree items are unique across folders (VS Code refuses duplicates).
    const ids = runRows(rows).map((r) => r.item.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('counts the runs of both folders (status bar) and puts each problem on its folder\'s file', async function () {
    assert.equal(mlcycle.engines.runs().filter((r) => !r.run.deleted).length, mr.fixtureRuns + mr.demo.runs - 1);
    const diags = await poll('the demo folder\'s diagnostic', 20_000, () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(mr.demo.malformedFile));
      return d.length > 0 ? d : undefined;
    });
    assert.equal(diags[0]!.range.start.line, 1);
  });

  it('opens run details of a run in the second folder', async function () {
    const ref = mlcycle.engines.runs().find((r) => r.run.name === 'gbt-tuned')!;
    assert.equal(ref.folder.index, 1);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'mlcycle-run', path: `/1/${ref.run.uid}/gbt-tuned.md` }));
    assert.ok(doc.getText().startsWith('# gbt\\-tuned'), doc.getText().slice(0, 100));
  });

  it('starts an engine and a store for a folder added to the workspace, and stops it when removed', async function () {
    const added = await new Promise<boolean>((resolve) => {
      const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => {
        sub.dispose();
        resolve(true);
      });
      if (!vscode.workspace.updateWorkspaceFolders(2, 0, { uri: vscode.Uri.file(mr.third) })) resolve(false);
    });
    assert.ok(added, 'the folder was not added');
    await poll('an engine for the third folder', 30_000, () => (mlcycle.engines.all().length === 3 ? true : undefined));
    await idle(mlcycle);
    await storeSaved(mr.third, (runs) => runs.length === 1 && runs[0]!.name === 'gamma-run');
    assert.ok(fs.existsSync(path.join(mr.third, '.mlcycle', 'mlcycle.db')));
    const rows = await runsTree(mlcycle);
    assert.deepEqual(rows.map((r) => r.label), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(runRows([rows[2]!]).map((r) => r.label), ['gamma-run']);

    await new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => {
        sub.dispose();
        resolve();
      });
      vscode.workspace.updateWorkspaceFolders(2, 1);
    });
    await poll('the third engine to stop', 30_000, () => (mlcycle.engines.all().length === 2 ? true : undefined));
    assert.deepEqual((await runsTree(mlcycle)).map((r) => r.label), ['alpha', 'beta']);
  });
});
