// One engine worker per workspace folder, and the runs they report, merged for the views.
// The last snapshot of each folder is kept in workspaceState so that the first tree after
// activation needs neither the worker nor the WebAssembly (DESIGN.md §9: first tree ≤ 150 ms).
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineSettings, RunsSnapshot, TreeRun } from '../shared/engineProtocol';
import { engineSettings, readConfig } from './config';
import { EngineClient } from './engineClient';
import { log, showError } from './log';

const SNAPSHOT_KEY = 'mlcycle.snapshot.v1';
/** Snapshots larger than this are not cached (workspaceState is not a database). */
const MAX_CACHED_JSON = 4 * 1024 * 1024;

export interface FolderEngine {
  folder: vscode.WorkspaceFolder;
  client: EngineClient;
  snapshot: RunsSnapshot | undefined;
  /** The snapshot came from the cache of the previous session, not yet from the engine. */
  cached: boolean;
  ready: Promise<void>;
  scanning: boolean;
  /** The store file the engine was opened on (undefined: `.mlcycle/` in the folder). */
  storePath: string | undefined;
}

export interface RunRef {
  folder: vscode.WorkspaceFolder;
  run: TreeRun;
}

export class Engines implements vscode.Disposable {
  private readonly engines = new Map<string, FolderEngine>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly distDir: string,
  ) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const f of e.removed) void this.removeFolder(f);
        for (const f of e.added) this.addFolder(f);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('mlcycle')) return;
        for (const fe of [...this.engines.values()]) {
          if (e.affectsConfiguration('mlcycle', fe.folder)) this.apply(fe);
        }
      }),
      // Trust brings git, and the store location the user chose (a restricted setting).
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        for (const fe of [...this.engines.values()]) this.apply(fe);
      }),
    );
  }

  /** Starts an engine for every workspace folder. */
  start(): void {
    for (const f of vscode.workspace.workspaceFolders ?? []) this.addFolder(f);
  }

  all(): FolderEngine[] {
    return [...this.engines.values()].sort((a, b) => a.folder.index - b.folder.index);
  }

  get(folder: vscode.WorkspaceFolder | vscode.Uri): FolderEngine | undefined {
    return this.engines.get(folder instanceof vscode.Uri ? folder.toString() : folder.uri.toString());
  }

  /** Every run of every folder. */
  runs(): RunRef[] {
    return this.all().flatMap((fe) => (fe.snapshot?.runs ?? []).map((run) => ({ folder: fe.folder, run })));
  }

  get scanning(): boolean {
    return this.all().some((fe) => fe.scanning);
  }

  private settingsFor(folder: vscode.WorkspaceFolder): EngineSettings {
    return engineSettings(readConfig(folder), vscode.workspace.isTrusted);
  }

  /** The store file: `.mlcycle/` in the folder, or the user's chosen location (trusted only). */
  private storePathFor(folder: vscode.WorkspaceFolder): string | undefined {
    const location = readConfig(folder).storeLocation.trim();
    if (!location || !vscode.workspace.isTrusted) return undefined;
    const id = crypto.createHash('sha1').update(folder.uri.toString()).digest('hex').slice(0, 8);
    return path.join(location, `${path.basename(folder.uri.fsPath)}-${id}`, 'mlcycle.db');
  }

  private addFolder(folder: vscode.WorkspaceFolder): void {
    if (folder.uri.scheme !== 'file' || this.engines.has(folder.uri.toString())) return;
    const client = new EngineClient(folder, this.distDir);
    const cachedAll = this.context.workspaceState.get<Record<string, RunsSnapshot>>(SNAPSHOT_KEY, {});
    const cached = cachedAll[folder.uri.toString()];
    const storePath = this.storePathFor(folder);
    const fe: FolderEngine = { folder, client, snapshot: cached, cached: cached !== undefined, ready: Promise.resolve(), scanning: true, storePath };
    this.engines.set(folder.uri.toString(), fe);
    client.onEvent((e) => {
      switch (e.type) {
        case 'changed':
          this.scheduleRefresh(fe);
          break;
        case 'notice':
          if (e.level === 'info') log.info(e.message);
          else if (e.level === 'warning') {
            log.warn(e.message);
            void vscode.window.showWarningMessage(`MLCycle: ${e.message}`);
          } else void showError(e.message);
          break;
        case 'log':
          log[e.level](`[${folder.name}] ${e.message}`);
          break;
        case 'progress':
          break;
      }
    });
    fe.ready = (async () => {
      const started = Date.now();
      try {
        await client.request('init', { folder: folder.uri.fsPath, ...(storePath ? { storePath } : {}), ...this.settingsFor(folder) });
        await this.refresh(fe);
        log.info(`[${folder.name}] store opened in ${Date.now() - started} ms`);
        await this.scan(fe);
      } catch (err) {
        fe.scanning = false;
        void showError(`could not open the store of ${folder.name}: ${(err as Error).message}`);
      }
    })();
    if (cached) this.changed.fire();
  }

  private async removeFolder(folder: vscode.WorkspaceFolder): Promise<void> {
    const fe = this.engines.get(folder.uri.toString());
    if (!fe) return;
    this.engines.delete(folder.uri.toString());
    this.changed.fire();
    await fe.client.dispose();
  }

  /** New settings: a new store location needs a new engine; everything else is applied to the running one. */
  private apply(fe: FolderEngine): void {
    if (this.storePathFor(fe.folder) === fe.storePath) {
      void this.reconfigure(fe);
      return;
    }
    log.info(`[${fe.folder.name}] the store location changed: restarting its engine`);
    void (async () => {
      await this.removeFolder(fe.folder);
      if ((vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.toString() === fe.folder.uri.toString())) this.addFolder(fe.folder);
    })();
  }

  private async reconfigure(fe: FolderEngine): Promise<void> {
    try {
      fe.scanning = true;
      this.changed.fire();
      await fe.ready;
      await fe.client.request('configure', this.settingsFor(fe.folder));
      await this.refresh(fe);
      log.info(`[${fe.folder.name}] settings applied`);
    } catch (err) {
      void showError(`could not apply the settings to ${fe.folder.name}: ${(err as Error).message}`);
    } finally {
      fe.scanning = false;
      this.changed.fire();
    }
  }

  async scan(fe: FolderEngine, full = false): Promise<void> {
    fe.scanning = true;
    this.changed.fire();
    try {
      const r = await fe.client.request('scan', full ? { full } : {});
      log.info(`[${fe.folder.name}] scan: ${r.sources} sources, ${r.runsRead} runs read in ${Math.round(r.durationMs)} ms`);
      await this.refresh(fe);
    } finally {
      fe.scanning = false;
      this.changed.fire();
    }
  }

  async scanAll(full = false): Promise<void> {
    await Promise.all(this.all().map(async (fe) => {
      await fe.ready;
      await this.scan(fe, full);
    }));
  }

  private scheduleRefresh(fe: FolderEngine): void {
    const key = fe.folder.uri.toString();
    if (this.refreshTimers.has(key)) return;
    this.refreshTimers.set(
      key,
      setTimeout(() => {
        this.refreshTimers.delete(key);
        void this.refresh(fe).catch((err: unknown) => log.error(err as Error));
      }, 100),
    );
  }

  async refresh(fe: FolderEngine): Promise<void> {
    const snapshot = await fe.client.request('snapshot', {});
    fe.snapshot = snapshot;
    fe.cached = false;
    this.changed.fire();
    this.cache(fe.folder, snapshot);
  }

  private cache(folder: vscode.WorkspaceFolder, snapshot: RunsSnapshot): void {
    const all = { ...this.context.workspaceState.get<Record<string, RunsSnapshot>>(SNAPSHOT_KEY, {}) };
    const json = JSON.stringify(snapshot);
    if (json.length > MAX_CACHED_JSON) delete all[folder.uri.toString()];
    else all[folder.uri.toString()] = snapshot;
    void this.context.workspaceState.update(SNAPSHOT_KEY, all);
  }

  dispose(): void {
    for (const t of this.refreshTimers.values()) clearTimeout(t);
    for (const fe of this.engines.values()) void fe.client.dispose();
    this.engines.clear();
    for (const d of this.disposables) d.dispose();
  }
}
