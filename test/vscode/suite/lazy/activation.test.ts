// A folder with none of the files MLCycle reads: the extension must not activate by itself (no workspaceContains
// matches), and must activate when one of its commands runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extension, idle, info, note, poll, runsTree, sleep } from '../helpers';

describe('lazy activation (a folder with nothing MLCycle reads)', function () {
  const { folder } = info<{ folder: string }>();

  it('stays inactive while the workbench settles', async function () {
    // Not a timing assertion: the other built-in extensions have long started; MLCycle has no reason to.
    await sleep(5000);
    assert.equal(extension().isActive, false, 'MLCycle activated in a folder without any experiment output');
    assert.equal(fs.existsSync(path.join(folder, '.mlcycle')), false, '.mlcycle/ was created before any command ran');
  });

  it('activates when one of its commands runs (What MLCycle Reads)', async function () {
    await vscode.commands.executeCommand('mlcycle.showSupportedFormats');
    await poll('activation by the command', 30_000, () => (extension().isActive ? true : undefined));
    const tab = await poll('the formats preview tab', 15_000, () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('markdown.preview')),
    );
    assert.match(tab.label, /Preview/);
  });

  it('then scans the folder and finds no runs, without an error', async function () {
    const mlcycle = extension().exports;
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    await idle(mlcycle);
    assert.deepEqual(await runsTree(mlcycle), []);
    assert.equal(mlcycle.engines.runs().length, 0);
    assert.equal(mlcycle.firstTreeMs(), undefined, 'firstTreeMs is only set once the tree has content');
    note(`(after activation by a command, .mlcycle/ ${fs.existsSync(path.join(folder, '.mlcycle')) ? 'was created in this folder without runs' : 'was not created'})`);
  });
});
