// Runs inside the real extension host of code-server (VS Code 1.139), on the fixture workspace of
// test/vscode/fixture.ts: a tiny MLflow `mlruns/` with two runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, type RunSummary } from '../../../src/core/store/queries';
import { loadSqlJs } from '../../../src/core/store/sqljs';
import { STORE_FILE, STORE_FOLDER } from '../../../src/core/workspace';
import { FIXTURE_EXPERIMENT, FIXTURE_RUNS, LATE_RUN, writeRun } from '../fixture';

const EXTENSION_ID = 'mlcycle.mlcycle';

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const folders = vscode.workspace.workspaceFolders ?? [];
  assert.equal(folders.length, 1, 'the fixture workspace should be the only folder');
  return folders[0]!;
}

/** The runs in the extension's store file, as its own queries read them. */
async function storedRuns(): Promise<RunSummary[]> {
  const file = path.join(workspaceFolder().uri.fsPath, STORE_FOLDER, STORE_FILE);
  const SQL = await loadSqlJs();
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    return listRuns(db);
  } finally {
    db.close();
  }
}

describe('MLCycle in a real VS Code', function () {
  it('opens the fixture workspace with an MLflow mlruns/ folder', function () {
    const meta = path.join(workspaceFolder().uri.fsPath, 'mlruns', FIXTURE_EXPERIMENT.id, 'meta.yaml');
    assert.ok(fs.existsSync(meta), `${meta} is missing`);
  });

  it(`activates ${EXTENSION_ID} by itself (workspaceContains: mlruns/*/meta.yaml)`, async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded in the extension host`);
    // No ext.activate() here: the activation event must do it.
    await poll('activation', 30_000, () => (ext.isActive ? true : undefined));
  });

  it('registers mlcycle.scanWorkspace', async function () {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('mlcycle.scanWorkspace'));
  });

  it('mlcycle.scanWorkspace stores the two fixture runs with their params and metrics', async function () {
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    // The store saves after a short debounce: read the file until both runs are in it.
    const runs = await poll('the store to hold the fixture runs', 20_000, async () => {
      const r = await storedRuns();
      return r.length >= FIXTURE_RUNS.length ? r : undefined;
    });
    assert.deepEqual(runs.map((r) => r.name).sort(), FIXTURE_RUNS.map((r) => r.name).sort());
    for (const expected of FIXTURE_RUNS) {
      const run = runs.find((r) => r.id === expected.id);
      assert.ok(run, `run ${expected.id} missing`);
      assert.equal(run.status, 'FINISHED');
      assert.equal(run.experimentId, FIXTURE_EXPERIMENT.id);
      assert.deepEqual(run.params, expected.params);
      const points = expected.metrics['loss']!;
      assert.equal(run.metrics['loss']?.last, points[points.length - 1]![1]);
      assert.equal(run.metrics['loss']?.count, points.length);
    }
  });

  it('the Runs tree provider returns the two runs', async function () {
    const api = vscode.extensions.getExtension(EXTENSION_ID)?.exports as { runsTree?: vscode.TreeDataProvider<unknown> } | undefined;
    assert.ok(api?.runsTree, 'activate() returns { runsTree }');
    const tree = api.runsTree;
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    const labels = await poll('two rows in the Runs tree', 20_000, async () => {
      const rows = (await tree.getChildren()) ?? [];
      if (rows.length < FIXTURE_RUNS.length) return undefined;
      const items = await Promise.all(rows.map((row) => tree.getTreeItem(row)));
      return items.map((item) => (typeof item.label === 'string' ? item.label : item.label?.label));
    });
    assert.deepEqual(labels.sort(), FIXTURE_RUNS.map((r) => r.name).sort());
  });

  it('mlcycle.scanWorkspace picks up a run written after activation', async function () {
    writeRun(workspaceFolder().uri.fsPath, LATE_RUN);
    await vscode.commands.executeCommand('mlcycle.scanWorkspace');
    const runs = await poll('the store to hold the new run', 20_000, async () => {
      const r = await storedRuns();
      return r.some((run) => run.id === LATE_RUN.id) ? r : undefined;
    });
    assert.equal(runs.length, FIXTURE_RUNS.length + 1);
    assert.equal(runs.find((r) => r.id === LATE_RUN.id)?.name, LATE_RUN.name);
  });
});
