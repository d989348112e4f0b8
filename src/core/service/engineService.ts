// The engine of one workspace folder, as the extension host uses it through a worker thread:
// a Workspace (store + ingestor) and, when asked, a Watcher. Requests come in, events go out;
// nothing here knows about VS Code.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectComparison, ComparisonCache } from '../compare/collect';
import { defaultAdapters } from '../ingest/adapters';
import { getRun, listDiagnostics, listRunItems, listSources, type RunDetail } from '../store/queries';
import { isInside, fromStorePath } from '../util/paths';
import { FolderWatcher } from '../watch/folderWatcher';
import { Watcher } from '../watch/watcher';
import { Workspace } from '../workspace';
import type { EngineEvent, EngineInit, EngineSettings, RequestMap, RequestName, RunsSnapshot } from '../../shared/engineProtocol';

type Handler<K extends RequestName> = (params: RequestMap[K]['params']) => Promise<RequestMap[K]['result']>;

export class EngineService {
  private ws: Workspace | undefined;
  private watcher: Watcher | undefined;
  private settings: EngineSettings = { include: [], exclude: [], disabledAdapters: [], watch: true, git: true };
  private init: EngineInit | undefined;
  private readonly comparisons = new ComparisonCache();

  constructor(private readonly emit: (event: EngineEvent) => void) {}

  private log(level: 'info' | 'warn' | 'error' | 'debug', message: string): void {
    this.emit({ kind: 'event', type: 'log', level, message });
  }

  private workspace(): Workspace {
    if (!this.ws) throw new Error('the engine is not initialised');
    return this.ws;
  }

  readonly handlers: { [K in RequestName]: Handler<K> } = {
    init: async (params) => {
      this.init = params;
      this.settings = { include: params.include, exclude: params.exclude, disabledAdapters: params.disabledAdapters, watch: params.watch, git: params.git };
      await this.openWorkspace();
      return { sources: this.workspace().store.read(listSources).length };
    },
    scan: async ({ full }) => {
      const ingestor = this.workspace().ingestor;
      ingestor.scope = { include: this.settings.include, exclude: this.settings.exclude };
      const summary = await ingestor.scan(full ? { full } : {});
      const runsRead = summary.sources.reduce((n, s) => n + s.runsRead, 0);
      this.log('info', `scanned ${this.workspace().folder}: ${summary.sources.length} sources, ${runsRead} runs read in ${Math.round(summary.durationMs)} ms`);
      this.emit({ kind: 'event', type: 'changed', reason: 'scan', runIds: summary.sources.flatMap((s) => [...(s.changedRuns ?? []), ...(s.removedRuns ?? [])]) });
      if (this.settings.watch) await this.startWatching();
      return { sources: summary.sources.length, runsRead, durationMs: summary.durationMs };
    },
    snapshot: async () => this.snapshot(),
    getRun: async ({ uid }) => {
      const ws = this.workspace();
      return ws.store.read((db) => getRun(db, uid, ws.store.series)) ?? null;
    },
    metricSummaries: async ({ uid }) => {
      const detail = await this.handlers.getRun({ uid });
      return detail?.metrics ?? {};
    },
    artifacts: async ({ uid }) => {
      const ws = this.workspace();
      const run = ws.store.read((db) => getRun(db, uid, ws.store.series));
      if (!run) return { root: null, items: [] };
      return { root: artifactRoot(ws.folder, run), items: run.artifacts };
    },
    hashFile: async ({ path: file }) => {
      // Only files inside the workspace folder are hashed: paths come from files the user did not write.
      const folder = this.workspace().folder;
      const real = fs.realpathSync(path.resolve(folder, file));
      if (!isInside(fs.realpathSync(folder), real)) throw new Error(`${file} is outside the workspace folder`);
      return hashFile(real);
    },
    compareRuns: async ({ runs, buckets }) => {
      const ws = this.workspace();
      return ws.store.read((db) => collectComparison(db, ws.store.series, runs, buckets, this.comparisons));
    },
    configure: async (settings) => {
      const reopen =
        settings.disabledAdapters.join() !== this.settings.disabledAdapters.join() || settings.git !== this.settings.git;
      this.settings = settings;
      if (reopen) await this.openWorkspace();
      if (!settings.watch) this.stopWatching();
      await this.handlers.scan({});
      return null;
    },
    dispose: async () => {
      this.stopWatching();
      this.ws?.close();
      this.ws = undefined;
      return null;
    },
  };

  private async openWorkspace(): Promise<void> {
    const init = this.init!;
    this.stopWatching();
    this.ws?.close();
    const disabled = new Set(this.settings.disabledAdapters);
    this.ws = await Workspace.open(init.folder, {
      ...(init.storePath ? { storePath: init.storePath } : {}),
      adapters: defaultAdapters().filter((a) => !disabled.has(a.kind)),
      onNotice: (n) => this.emit({ kind: 'event', type: 'notice', level: n.level, message: n.message }),
      git: this.settings.git,
    });
  }

  private async startWatching(): Promise<void> {
    if (this.watcher) return;
    const ws = this.workspace();
    this.watcher = new Watcher(ws.ingestor, new FolderWatcher(), {
      onUpdate: (u) => {
        // Removed runs count as changes: views must drop them (a run's folder deleted by hand).
        const runIds = u.sources.flatMap((s) => [...(s.changedRuns ?? []), ...(s.removedRuns ?? [])]);
        if (u.reason !== 'start' && runIds.length === 0) return;
        this.emit({ kind: 'event', type: 'changed', reason: u.reason === 'change' ? 'watch' : u.reason, runIds });
      },
      onError: (err) => this.log('error', `watch: ${err.message}`),
    });
    await this.watcher.start();
    this.log('info', `watching ${ws.folder}: ${this.watcher.folderCount} folders`);
  }

  private stopWatching(): void {
    this.watcher?.stop();
    this.watcher = undefined;
  }

  private snapshot(): RunsSnapshot {
    const ws = this.workspace();
    return ws.store.read((db) => {
      const runs = listRunItems(db);
      const diagnostics = listDiagnostics(db);
      const perSource = new Map<string, number>();
      for (const d of diagnostics) {
        const owner = [...listSources(db)].find((s) => d.file === s.path || d.file.startsWith(s.path + '/'));
        if (owner) perSource.set(owner.path, (perSource.get(owner.path) ?? 0) + 1);
      }
      return {
        sources: listSources(db).map((s) => ({
          kind: s.kind,
          path: s.path,
          label: s.path,
          runs: s.runs,
          diagnostics: perSource.get(s.path) ?? 0,
        })),
        runs,
        diagnostics,
        running: runs.filter((r) => r.status === 'RUNNING').length,
      };
    });
  }
}

function artifactRoot(folder: string, run: RunDetail): string | null {
  const rel = run.artifactDir ?? run.path;
  return rel === null ? null : fromStorePath(folder, rel);
}

async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}
