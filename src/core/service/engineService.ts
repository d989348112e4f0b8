// The engine of one workspace folder, as the extension host uses it through a worker thread:
// a Workspace (store + ingestor) and, when asked, a Watcher. Requests come in, events go out;
// nothing here knows about VS Code.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectComparison, ComparisonCache } from '../compare/collect';
import { defaultAdapters } from '../ingest/adapters';
import { planPackage } from '../package/build';
import { describeMismatches } from '../package/verify';
import { Packages, type PackageRow } from '../package/packages';
import { Cancelled } from '../registry/objects';
import { GateRefusal, type ModelRow } from '../registry/registry';
import { getRun, listDiagnostics, listRunItems, listSourceModels, listSources, type RunDetail } from '../store/queries';
import { isInside, fromStorePath } from '../util/paths';
import { FolderWatcher } from '../watch/folderWatcher';
import { Watcher } from '../watch/watcher';
import { Workspace } from '../workspace';
import type {
  EngineErrorData,
  EngineEvent,
  EngineInit,
  EngineSettings,
  ModelItem,
  ModelsSnapshot,
  RequestMap,
  RequestName,
  RunsSnapshot,
} from '../../shared/engineProtocol';

type Handler<K extends RequestName> = (params: RequestMap[K]['params']) => Promise<RequestMap[K]['result']>;

/** A failure the host gets with data (engineWorker.ts puts it in the response's errorData). */
export class EngineFailure extends Error {
  constructor(
    message: string,
    readonly data: EngineErrorData,
  ) {
    super(message);
  }
}

/** The structured part of an error: each failed gate of a refused promotion, a cancel, a refused write. */
export function errorDataOf(err: unknown): EngineErrorData | undefined {
  if (err instanceof EngineFailure) return err.data;
  if (err instanceof GateRefusal) return { kind: 'gates', model: err.model, version: err.version, stage: err.stage, gates: err.gates };
  if (err instanceof Cancelled || (err as Error | undefined)?.message === 'cancelled' || (err as Error | undefined)?.name === 'AbortError') return { kind: 'cancelled' };
  return undefined;
}

/** Progress events at most this often per request (a 5 GB file reports every MiB). */
const PROGRESS_INTERVAL_MS = 100;

export class EngineService {
  private ws: Workspace | undefined;
  private watcher: Watcher | undefined;
  private settings: EngineSettings = { include: [], exclude: [], disabledAdapters: [], watch: true, git: true };
  private init: EngineInit | undefined;
  private readonly comparisons = new ComparisonCache();
  /** The request being handled (requests run one at a time) and the abort controllers of long ones. */
  private current = 0;
  private readonly aborts = new Map<number, AbortController>();
  private readonly cancelledEarly = new Set<number>();

  constructor(private readonly emit: (event: EngineEvent) => void) {}

  private log(level: 'info' | 'warn' | 'error' | 'debug', message: string): void {
    this.emit({ kind: 'event', type: 'log', level, message });
  }

  /** Handles one request (the worker calls this, in arrival order). */
  async run(id: number, method: RequestName, params: unknown): Promise<unknown> {
    this.current = id;
    try {
      const handler = this.handlers[method] as (p: unknown) => Promise<unknown>;
      return await handler(params);
    } finally {
      this.current = 0;
      this.aborts.delete(id);
      this.cancelledEarly.delete(id);
    }
  }

  /** Aborts a request that takes a signal; one still queued is aborted as soon as it starts. */
  cancel(id: number): void {
    const c = this.aborts.get(id);
    if (c) c.abort();
    else if (id !== this.current) this.cancelledEarly.add(id);
  }

  /** The signal and the progress callback of the request being handled. */
  private task(): { signal: AbortSignal; onProgress: (done: number, total: number) => void } {
    const id = this.current;
    const controller = new AbortController();
    this.aborts.set(id, controller);
    if (this.cancelledEarly.has(id)) controller.abort();
    let last = 0;
    return {
      signal: controller.signal,
      onProgress: (done, total) => {
        const now = Date.now();
        if (done < total && now - last < PROGRESS_INTERVAL_MS) return;
        last = now;
        this.emit({ kind: 'event', type: 'taskProgress', request: id, done, total });
      },
    };
  }

  /** Registry writes: refused in Restricted Mode (the host starts untrusted engines without git). */
  private writable(): void {
    if (!this.settings.git) throw new EngineFailure('the workspace is not trusted: the model registry is read-only in Restricted Mode', { kind: 'readOnly' });
  }

  private packages(): Packages {
    return new Packages(this.workspace().registry());
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
    models: async () => this.models(),
    modelDetail: async ({ model }) => {
      const ws = this.workspace();
      const registry = ws.registry();
      const row = registry.model(model);
      if (!row) return null;
      const item = this.modelItems([row])[0]!;
      let modelCard: string | null = null;
      const newest = row.versions[row.versions.length - 1];
      if (newest) {
        try {
          modelCard = planPackage(registry, model, newest.version, { allowMissingResources: true }).modelCard;
        } catch (err) {
          this.log('warn', `model card of ${model}: ${(err as Error).message}`);
        }
      }
      return { model: item, history: registry.history(model), modelCard };
    },
    register: async ({ model, path: file, run, description }) => {
      this.writable();
      const { signal, onProgress } = this.task();
      const v = await this.workspace().registry().register({
        model,
        path: file,
        ...(run !== undefined ? { run } : {}),
        ...(description ? { description } : {}),
        signal,
        onProgress,
      });
      return { version: v.version, run: v.run, warnings: v.gitTags?.warnings ?? [] };
    },
    setStage: async ({ model, version, stage, reason, reasonKind }) => {
      this.writable();
      const r = await this.workspace().registry().setStage({ model, version, stage, ...(reason !== undefined ? { reason } : {}), ...(reasonKind ? { reasonKind } : {}) });
      return { version: r.version.version, stage: r.version.stage, demoted: r.demoted, gates: r.gates, warnings: r.gitTags?.warnings ?? [] };
    },
    setAlias: async ({ model, version, alias }) => {
      this.writable();
      const registry = this.workspace().registry();
      const previous = registry.model(model)?.aliases[alias] ?? null;
      registry.setAlias(model, alias, version);
      return { previous };
    },
    archive: async ({ model, version, reason }) => {
      this.writable();
      const { signal, onProgress } = this.task();
      const r = await this.packages().archive(model, version, { signal, onProgress, allowMissingResources: true, ...(reason ? { reason } : {}) });
      return { package: r.package.file, built: r.built, warnings: r.stage.gitTags?.warnings ?? [] };
    },
    buildPackage: async ({ model, version }) => {
      this.writable();
      const { signal, onProgress } = this.task();
      const r = await this.packages().build(model, version, { signal, onProgress, allowMissingResources: true });
      return { file: r.path, sha256: r.sha256, size: r.size, files: r.manifest.files.length, warnings: r.manifest.warnings ?? [] };
    },
    verifyPackage: async ({ model, version, file }) => {
      const { signal, onProgress } = this.task();
      const packages = this.packages();
      const target = file ?? packages.list(model, version).sort((a, b) => b.created - a.created)[0]?.file;
      if (!target) throw new Error(`no package of ${model} v${version} has been built`);
      const r = await packages.verify(target, { signal, onProgress });
      const problems = [
        ...r.problems,
        ...r.missing.map((p) => `missing: ${p}`),
        ...r.extra.map((p) => `not in the manifest: ${p}`),
        ...r.altered.map((a) => `altered: ${a.path}`),
      ];
      return { file: target, ok: r.ok, problems };
    },
    verifyPackageFile: async ({ file }) => {
      const { signal, onProgress } = this.task();
      const abs = path.resolve(this.workspace().folder, file);
      if (!fs.existsSync(abs)) throw new Error(`${file} does not exist`);
      let r: Awaited<ReturnType<Packages['verify']>>;
      try {
        r = await this.packages().verify(abs, { signal, onProgress });
      } catch (err) {
        // Not a zip at all, or unreadable: a failed verification, said as one.
        if (errorDataOf(err)?.kind === 'cancelled') throw err;
        const message = (err as Error).message;
        return { file: abs, ok: false, model: null, version: null, files: 0, missing: [], extra: [], altered: [], problems: [message], lines: [`✗ ${message}`] };
      }
      return {
        file: abs,
        ok: r.ok,
        model: r.manifest?.model ?? null,
        version: r.manifest?.version ?? null,
        files: r.files,
        missing: r.missing,
        extra: r.extra,
        altered: r.altered.map((a) => a.path),
        problems: r.problems,
        lines: describeMismatches(r),
      };
    },
    dispose: async () => {
      this.stopWatching();
      this.ws?.close();
      this.ws = undefined;
      return null;
    },
  };

  private models(): ModelsSnapshot {
    const ws = this.workspace();
    const registry = ws.registry();
    const rows = registry.models();
    const problems = [
      ...registry.policy().diagnostics.map((d) => `${path.basename(registry.policyFile)}${d.line ? `:${d.line}` : ''}: ${d.message}`),
      ...ws.store.read((db) => (db.exec("SELECT file, line, message FROM diagnostics WHERE scope = 'registry'")[0]?.values ?? []).map(([f, l, m]) => `${String(f)}${l === null ? '' : `:${String(l)}`}: ${String(m)}`)),
    ];
    const sources = ws.store.read((db) => listSourceModels(db)).map((m) => ({
      source: m.source,
      kind: m.kind,
      name: m.name,
      description: m.description,
      versions: m.versions.map((v) => {
        // GTO's versions are semver (`v1.2.3`): shown as in the tag, not as the stored number.
        const tagged = v.tags['gto.version'];
        const label = tagged === undefined ? String(v.version) : /^[0-9a-f]{40,64}$/.test(tagged) ? tagged.slice(0, 7) : tagged;
        return { version: v.version, label, stage: v.stage, status: v.status, deleted: v.deleted, runId: v.runId, aliases: v.aliases, created: v.created };
      }),
    }));
    return { models: this.modelItems(rows), sources, problems, readOnly: !this.settings.git };
  }

  /** Registry rows with their files and packages, as the views show them. */
  private modelItems(rows: ModelRow[]): ModelItem[] {
    const ws = this.workspace();
    const files = new Map<string, { path: string; sha256: string; size: number }[]>();
    ws.store.read((db) => {
      for (const [model, version, p, sha, size] of db.exec('SELECT model, version, path, sha256, size FROM version_files ORDER BY model, version, path')[0]?.values ?? []) {
        const key = `${String(model)}\u0000${String(version)}`;
        let list = files.get(key);
        if (!list) files.set(key, (list = []));
        list.push({ path: String(p), sha256: String(sha), size: Number(size) });
      }
    });
    const packages = new Map<string, PackageRow[]>();
    for (const p of this.packages().list()) {
      const key = `${p.model}\u0000${p.version}`;
      packages.set(key, [...(packages.get(key) ?? []), p]);
    }
    const present = (p: PackageRow): boolean => {
      try {
        return fs.statSync(p.file).size === p.size;
      } catch {
        return false;
      }
    };
    return rows.map((m) => ({
      name: m.name,
      description: m.description,
      created: m.created,
      updated: m.updated,
      aliases: m.aliases,
      versions: m.versions.map((v) => {
        const key = `${m.name}\u0000${v.version}`;
        return {
          version: v.version,
          stage: v.stage,
          stageReason: v.stageReason,
          stageTime: v.stageTime,
          registered: v.registered,
          actor: v.actor,
          sourcePath: v.sourcePath,
          run: v.run,
          digest: v.digest,
          bytes: v.bytes,
          metrics: Object.fromEntries(Object.entries(v.metrics).map(([k, s]) => [k, Number.isFinite(s.last) ? s.last : null])),
          aliases: v.aliases,
          files: files.get(key) ?? [],
          packages: (packages.get(key) ?? []).map((p) => ({ file: p.file, sha256: p.sha256, size: p.size, created: p.created, verifiedAt: p.verifiedAt, present: present(p) })),
        };
      }),
    }));
  }

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
