// Shared by the in-host suites (bundled into each): the extension's API, polling with generous deadlines (never a
// timing assertion), the Runs tree read as a user sees it, the CLI's view of the same folder, and stubs for the
// quick picks and input boxes of commands.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../src/extension/extension';
import type { RunsNode } from '../../../src/extension/views/runsTree';
import { REPORT_MARK } from '../shared';

export const EXTENSION_ID = 'mlcycle.mlcycle';

/** What the driver said about the workspace (test/vscode/suites.ts). */
export function info<T>(): T {
  const text = process.env['MLCYCLE_E2E_INFO'];
  if (!text) throw new Error('MLCYCLE_E2E_INFO is not set');
  return JSON.parse(text) as T;
}

/** A line in the driver's report (plain console output of the extension host is not relayed). */
export function note(text: string): void {
  console.log(REPORT_MARK + '      ' + text);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls `probe` until it returns something other than undefined (or stops throwing with it). */
export async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message ?? String(lastError)}` : ''}`);
}

export function extension(): vscode.Extension<MlcycleApi> {
  const ext = vscode.extensions.getExtension<MlcycleApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded in the extension host`);
  return ext;
}

/** The API, once the extension is active by its own activation event (this never activates it). */
export async function api(): Promise<MlcycleApi> {
  const ext = extension();
  await poll('the extension to activate', 60_000, () => (ext.isActive ? true : undefined));
  return ext.exports;
}

/** Waits until every folder's engine has opened its store and no scan or settings change is running. */
export async function idle(mlcycle: MlcycleApi, timeoutMs = 60_000): Promise<void> {
  await poll('the engines to be idle', timeoutMs, async () => {
    const all = mlcycle.engines.all();
    await Promise.all(all.map((fe) => fe.ready));
    return all.length > 0 && !mlcycle.engines.scanning && all.every((fe) => fe.snapshot && !fe.cached) ? true : undefined;
  });
}

export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

export function descriptionOf(item: vscode.TreeItem): string {
  return typeof item.description === 'string' ? item.description : '';
}

export interface Row {
  node: RunsNode;
  item: vscode.TreeItem;
  label: string;
  description: string;
  children: Row[];
}

/** The Runs tree as VS Code would render it fully expanded (collapsed nodes are opened too). */
export async function runsTree(mlcycle: MlcycleApi, node?: RunsNode): Promise<Row[]> {
  const tree = mlcycle.runsTree;
  const nodes = (await tree.getChildren(node)) ?? [];
  return Promise.all(
    nodes.map(async (n) => {
      const item = await tree.getTreeItem(n);
      const hasChildren = item.collapsibleState !== undefined && item.collapsibleState !== vscode.TreeItemCollapsibleState.None;
      return { node: n, item, label: labelOf(item), description: descriptionOf(item), children: hasChildren ? await runsTree(mlcycle, n) : [] };
    }),
  );
}

/** Every run row below `rows`, depth first (nested runs after their parent). */
export function runRows(rows: Row[]): Row[] {
  return rows.flatMap((r) => [...(r.node.type === 'run' ? [r] : []), ...runRows(r.children)]);
}

export function findRun(rows: Row[], name: string): Row {
  const row = runRows(rows).find((r) => r.label === name);
  assert.ok(row, `no run "${name}" in the Runs tree; it has ${runRows(rows).map((r) => r.label).join(', ')}`);
  return row;
}

/** A run as `mlcycle runs --json` prints it. */
export interface CliRun {
  id: string;
  name: string | null;
  experiment: string | null;
  source: { kind: string; path: string };
  status: string;
  startTime: string | null;
  endTime: string | null;
  params: Record<string, string>;
  metrics: Record<string, { last: number | string | null; min: number | string | null; max: number | string | null; lastStep: number; count: number }>;
  tags: Record<string, string>;
  parentId: string | null;
  deleted: boolean;
  path: string | null;
  git: { commit: string | null; branch: string | null; dirty: boolean | null; remote: string | null };
}

/** `mlcycle runs FOLDER --json --no-scan` of this checkout's CLI: what the store says, read by another process. */
export function cliRuns(folder: string, options: { deleted?: boolean } = {}): CliRun[] {
  const cli = path.join(extension().extensionPath, 'dist', 'cli.js');
  const out = execFileSync(process.execPath, [cli, 'runs', folder, '--json', '--no-scan', ...(options.deleted ? ['--deleted'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  return JSON.parse(out) as CliRun[];
}

/** `mlcycle runs --json --no-scan --store FILE`: the runs in a store kept outside the folder. */
export function cliRunsAt(storeFile: string): CliRun[] {
  const cli = path.join(extension().extensionPath, 'dist', 'cli.js');
  const out = execFileSync(process.execPath, [cli, 'runs', path.dirname(storeFile), '--json', '--no-scan', '--store', storeFile], { encoding: 'utf8' });
  return JSON.parse(out) as CliRun[];
}

/** The store file has been saved with at least what `ready` accepts (saves are debounced). */
export async function storeSaved(folder: string, ready: (runs: CliRun[]) => boolean, timeoutMs = 30_000): Promise<CliRun[]> {
  return poll(`the store of ${folder} to be saved`, timeoutMs, () => {
    if (!fs.existsSync(path.join(folder, '.mlcycle', 'mlcycle.db'))) return undefined;
    const runs = cliRuns(folder);
    return ready(runs) ? runs : undefined;
  });
}

/** JSON numbers as the CLI prints them back to numbers ('NaN' → NaN). */
export function num(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v : Number(v);
}

/** Replaces `obj[key]` until the returned function is called. */
export function stub<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): () => void {
  const original = obj[key];
  Object.defineProperty(obj, key, { value, configurable: true, writable: true });
  return () => Object.defineProperty(obj, key, { value: original, configurable: true, writable: true });
}

/** Answers the next quick pick with the first item `choose` accepts (the items are recorded in `seen`). */
export function answerQuickPick(choose: (item: vscode.QuickPickItem) => boolean, seen: vscode.QuickPickItem[] = []): () => void {
  return stub(vscode.window, 'showQuickPick', (async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>) => {
    const list = await items;
    seen.push(...list);
    return list.find(choose);
  }) as unknown as typeof vscode.window.showQuickPick);
}

/** Answers the next input box with `value`. */
export function answerInputBox(value: string | undefined): () => void {
  return stub(vscode.window, 'showInputBox', (async () => value) as typeof vscode.window.showInputBox);
}

/** Updates a workspace setting and waits until the engines have applied it. */
export async function setSetting(mlcycle: MlcycleApi, key: string, value: unknown, target = vscode.ConfigurationTarget.Workspace): Promise<void> {
  await vscode.workspace.getConfiguration('mlcycle').update(key, value, target);
  await sleep(200); // the change event and the engine's `configure` are asynchronous
  await idle(mlcycle);
}

/** Appends metric lines to an MLflow run folder, as `mlflow.log_metric` does. */
export function appendMetric(runDir: string, key: string, value: number, step: number): void {
  fs.appendFileSync(path.join(runDir, 'metrics', key), `${Date.now()} ${value} ${step}\n`);
}
