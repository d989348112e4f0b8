// The demo workspace (tools/lib/demoWorkspace.ts): activation by its files, the commands and how package.json
// shows them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DemoInfo } from '../../workspaces';
import { answerQuickPick, api, extension, idle, info, poll } from '../helpers';

interface Contributes {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string }[]>;
  };
}

/** Commands that work without an item: started from the palette they ask which run (or which model version). */
const PALETTE_ALSO = new Set([
  'mlcycle.showRunDetails',
  'mlcycle.views.models.promote',
  'mlcycle.views.models.setAlias',
  'mlcycle.views.models.decommission',
  'mlcycle.views.models.archive',
  'mlcycle.views.models.buildPackage',
  'mlcycle.views.models.verifyPackage',
]);

describe('demo workspace: activation and commands', function () {
  const demo = info<DemoInfo>();
  const pkg = (): Contributes => extension().packageJSON as Contributes;

  it('activates by itself: a workspaceContains event matches the demo files', async function () {
    const workspaceContains = pkg().activationEvents.filter((e) => e.startsWith('workspaceContains:'));
    assert.ok(workspaceContains.length > 0);
    assert.ok(!pkg().activationEvents.includes('*'), 'activation must stay lazy: no "*"');
    const mlcycle = await api(); // no activate() call: the event must do it
    await idle(mlcycle);
    assert.equal(mlcycle.engines.all().length, 1);
    assert.ok(fs.existsSync(path.join(demo.folder, '.mlcycle', 'mlcycle.db')), 'the store is in .mlcycle/ of the folder');
  });

  it('registers every command of package.json, each in the MLCycle category', async function () {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = pkg().contributes.commands;
    assert.ok(contributed.length >= 15);
    for (const c of contributed) {
      assert.ok(registered.has(c.command), `${c.command} is contributed but not registered`);
      assert.equal(c.category, 'MLCycle', `${c.command} has no MLCycle category`);
    }
    // The view focus command the status bar item runs exists too.
    assert.ok(registered.has('mlcycle.runs.focus'));
  });

  it('hides item-only commands from the palette (menus.commandPalette when: false)', function () {
    const menus = pkg().contributes.menus;
    const hidden = new Set((menus['commandPalette'] ?? []).filter((m) => m.when === 'false').map((m) => m.command));
    const onItems = new Set((menus['view/item/context'] ?? []).map((m) => m.command));
    const onTitles = new Set((menus['view/title'] ?? []).map((m) => m.command));
    const itemOnly = [...onItems].filter((c) => !onTitles.has(c) && !PALETTE_ALSO.has(c));
    assert.ok(itemOnly.length >= 5, `item-only commands: ${itemOnly.join(', ')}`);
    for (const c of itemOnly) assert.ok(hidden.has(c), `${c} only makes sense on an item but shows in the palette`);
    // And nothing the palette needs is hidden for good.
    for (const c of ['mlcycle.scanWorkspace', 'mlcycle.showLog', 'mlcycle.filterRuns', 'mlcycle.sortRuns', 'mlcycle.showRunDetails', 'mlcycle.chooseFolders', 'mlcycle.showSupportedFormats']) {
      assert.ok(!hidden.has(c), `${c} is hidden from the palette`);
    }
  });

  it('"Show Run Details" from the palette (no item) asks which run, listing every run with its metrics', async function () {
    const mlcycle = await api();
    const seen: vscode.QuickPickItem[] = [];
    const restore = answerQuickPick(() => false, seen); // dismissed
    try {
      await vscode.commands.executeCommand('mlcycle.showRunDetails');
    } finally {
      restore();
    }
    const runs = mlcycle.engines.runs().filter((r) => !r.run.deleted);
    assert.equal(seen.length, runs.length);
    const tuned = seen.find((i) => i.label === 'gbt-tuned');
    assert.ok(tuned, 'gbt-tuned is offered');
    assert.match(tuned.description ?? '', /^finished · churn-prediction · /);
  });

  it('"Scan Workspace" and "Rescan Everything" run without an error and keep the runs', async function () {
    const mlcycle = await api();
    const before = mlcycle.engines.runs().length;
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    await vscode.commands.executeCommand('mlcycle.rescanEverything');
    await idle(mlcycle);
    await poll('the runs after a full rescan', 30_000, () => (mlcycle.engines.runs().length === before ? true : undefined));
  });
});
