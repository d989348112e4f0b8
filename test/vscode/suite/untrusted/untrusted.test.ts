// The demo workspace (a git repository) opened in Restricted Mode: workspace trust is on and nobody trusted the
// folder. MLCycle still lists the runs, starts no git process (their git fields stay empty, while the demo suite
// shows the same repository gives trusted runs a commit), ignores the restricted setting mlcycle.storeLocation,
// and writes nothing outside .mlcycle/. The driver checks the listing and the git log again after the server stops.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../../src/extension/extension';
import { listing, listingChanges, type Entry } from '../../listing';
import type { DemoInfo } from '../../workspaces';
import { api, cliRuns, idle, info, poll, runRows, runsTree, storeSaved } from '../helpers';

interface UntrustedInfo extends DemoInfo {
  gitLog: string;
  listingFile: string;
  elsewhere: string;
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

  it('has written nothing outside .mlcycle/', function () {
    const before = JSON.parse(fs.readFileSync(demo.listingFile, 'utf8')) as Record<string, Entry>;
    const after = listing(demo.folder);
    assert.deepEqual(listingChanges(before, after, ['.mlcycle']), []);
    assert.ok(Object.keys(after).some((p) => p.startsWith('.mlcycle/')), 'the store is there');
  });
});
