// Scans a workspace folder into its store: discovery, then each source read by its adapter, the
// results streamed into the database in batches. Scanning again only reads what changed.
import type { Store } from '../store/store';
import {
  countSourceDiagnostics,
  DISCOVERY_SCOPE,
  knownRuns,
  removeSourcesExcept,
  replaceDiagnostics,
  SourceWriter,
  sourceState,
} from '../store/ingestWriter';
import { fromStorePath, toStorePath } from '../util/paths';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitContextResolver } from '../git/gitContext';
import { discover } from './discovery';
import { foldersBelow } from './readers';
import { WorkerPool } from './workerPool';
import { defaultAdapters } from './adapters';
import type {
  DetectedRoot,
  Diagnostic,
  ExperimentUpdate,
  IngestSink,
  LineageEdge,
  RunUpdate,
  SourceAdapter,
  SourceModelData,
  SourceModelVersionData,
} from './types';

export interface ScanOptions {
  /** Re-read everything, ignoring fingerprints. */
  full?: boolean;
  /** Only these folders of the workspace (relative paths); none = all. */
  include?: readonly string[];
  exclude?: readonly string[];
  signal?: AbortSignal;
  /** Called as sources are read, for progress reports. */
  onProgress?: (event: ScanProgress) => void;
}

export interface ScanProgress {
  source: string;
  kind: string;
  runsRead: number;
}

export interface SourceScanSummary {
  kind: string;
  /** Relative to the workspace folder. */
  path: string;
  /** Runs the source holds. */
  runs: number;
  /** Runs read in this scan (new or changed). */
  runsRead: number;
  /** Their ids (the first 100). */
  changedRuns?: string[];
  /** Ids of runs removed because their files are gone (the first 100). */
  removedRuns?: string[];
  diagnostics: number;
  error?: string;
}

export interface ScanSummary {
  sources: SourceScanSummary[];
  removedSources: string[];
  discoveryDiagnostics: number;
  durationMs: number;
}

/** Runs are applied in batches: big enough to amortise the transaction, small enough to stream. */
const RUN_BATCH = 250;

class BatchingSink implements IngestSink {
  private runs: RunUpdate[] = [];
  private experiments: ExperimentUpdate[] = [];
  private registryUpdate: { models: SourceModelData[]; versions: SourceModelVersionData[] } | undefined;
  private lineageUpdate: LineageEdge[] | undefined;
  runsRead = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly root: DetectedRoot,
    private readonly sourcePath: string,
    private readonly workspace: string,
    private readonly onProgress?: (event: ScanProgress) => void,
  ) {}

  experiment(update: ExperimentUpdate): void {
    this.experiments.push(update);
  }

  run(update: RunUpdate): void {
    this.runs.push(update);
    this.runsRead++;
    this.seen.add(update.run.nativeId);
    if (this.runs.length >= RUN_BATCH) this.flush();
  }

  registry(models: SourceModelData[], versions: SourceModelVersionData[]): void {
    this.registryUpdate = { models, versions };
  }

  allIds(): string[] {
    return [...this.seen];
  }

  /** Ids of the runs read (the first 100). */
  readIds(): string[] {
    return [...this.seen].slice(0, 100);
  }

  /** How many runs read were not known before. */
  newRuns(known: ReadonlyMap<string, unknown>): number {
    let n = 0;
    for (const id of this.seen) if (!known.has(id)) n++;
    return n;
  }

  lineage(edges: LineageEdge[]): void {
    this.lineageUpdate = edges;
  }

  /** Applies what is buffered; `finish` runs last in the same transaction. */
  flush(finish?: (w: SourceWriter) => void): void {
    const experiments = this.experiments;
    const runs = this.runs;
    const registry = this.registryUpdate;
    const lineage = this.lineageUpdate;
    this.experiments = [];
    this.runs = [];
    this.registryUpdate = undefined;
    this.lineageUpdate = undefined;
    if (experiments.length === 0 && runs.length === 0 && !registry && !lineage && !finish) return;
    this.store.mutate((db) => {
      const w = new SourceWriter(db, this.root.kind, this.sourcePath, this.workspace, this.store.series);
      try {
        for (const e of experiments) w.experiment(e);
        for (const r of runs) w.run(r);
        if (registry) w.registry(registry.models, registry.versions);
        if (lineage) w.lineage(lineage);
        finish?.(w);
      } finally {
        w.close();
      }
    });
    this.onProgress?.({ source: this.sourcePath, kind: this.root.kind, runsRead: this.runsRead });
  }
}

export interface IngestorOptions {
  adapters?: readonly SourceAdapter[];
  /** Parsing threads; 0 reads everything on the calling thread. */
  workers?: number;
  /** Read git context for runs (default true). */
  git?: boolean;
  /** Where problems outside any file go (git missing, …). */
  log?: (message: string) => void;
}

export interface SourceTarget {
  root: DetectedRoot;
  /** Changed paths under the root (from a watcher); none means "read it as a scan would". */
  hints?: readonly string[];
}

/** Folders below a source root watched by default, when the adapter names none. */
const DEFAULT_WATCH_LIMIT = 2000;

export class Ingestor {
  private scanning: Promise<ScanSummary> | undefined;
  private rescanRequested = false;
  private readonly pool: WorkerPool;
  /** All writes go through one queue: scans and watcher-driven reads never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private lastRoots: DetectedRoot[] = [];
  private lastFolders: string[] = [];
  private readonly sourceWatch = new Map<string, string[]>();
  private readonly gitResolver: GitContextResolver;
  private gitReadAt = 0;

  readonly adapters: readonly SourceAdapter[];
  /** Whether runs get their git context (false in untrusted workspaces: no git process at all). */
  readonly git: boolean;
  /** Folders scans include and exclude when a call says nothing (watcher reconciliations). */
  scope: { include?: readonly string[]; exclude?: readonly string[] } = {};

  constructor(
    readonly store: Store,
    readonly workspace: string,
    options: IngestorOptions = {},
  ) {
    this.git = options.git ?? true;
    this.adapters = options.adapters ?? defaultAdapters({ git: this.git });
    this.pool = new WorkerPool(options.workers);
    this.gitResolver = new GitContextResolver({ enabled: this.git, ...(options.log ? { logger: options.log } : {}) });
  }

  /** Stops the worker threads. */
  close(): void {
    this.pool.close();
  }

  /** Asks for another pass (the store was reloaded under us, or a watcher saw a change). */
  requestRescan(): void {
    this.rescanRequested = true;
  }

  /** The sources found by the last scan. */
  get roots(): readonly DetectedRoot[] {
    return this.lastRoots;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Scans the workspace; concurrent calls share one scan. */
  scan(options: ScanOptions = {}): Promise<ScanSummary> {
    options = { ...this.scope, ...options };
    this.scanning ??= this.serialized(() => this.scanLoop(options)).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /** Reads some sources again (no discovery), passing a watcher's hints to their adapters. */
  readSources(targets: readonly SourceTarget[], options: ScanOptions = {}): Promise<SourceScanSummary[]> {
    return this.serialized(async () => {
      this.store.reloadIfChanged();
      const byKind = new Map(this.adapters.map((a) => [a.kind, a]));
      const out: SourceScanSummary[] = [];
      for (const t of targets) {
        const adapter = byKind.get(t.root.kind);
        if (adapter) out.push(await this.readSource(adapter, t.root, options, t.hints));
      }
      // No save here: a watcher read lands in memory at once (what views query), and the store's
      // debounce saves it; saving the whole database per appended line would cost 0.2–0.3 s each.
      return out;
    });
  }

  /**
   * Runs discovery and reads only the sources it finds new (a folder created somewhere: maybe a
   * new store); the sources already known are left to their own events and the reconciliation.
   */
  rediscover(options: ScanOptions = {}): Promise<SourceScanSummary[]> {
    options = { ...this.scope, ...options };
    return this.serialized(async () => {
      const found = await discover(this.workspace, this.adapters, {
        ...(options.include ? { include: options.include } : {}),
        ...(options.exclude ? { exclude: options.exclude } : {}),
      });
      const known = new Set(this.lastRoots.map((r) => r.path));
      const fresh = found.roots.filter((r) => !known.has(r.path));
      this.lastFolders = found.folders;
      if (fresh.length === 0) return [];
      this.lastRoots = [...this.lastRoots, ...fresh];
      const byKind = new Map(this.adapters.map((a) => [a.kind, a]));
      const out: SourceScanSummary[] = [];
      for (const root of fresh) {
        const adapter = byKind.get(root.kind);
        if (adapter) out.push(await this.readSource(adapter, root, options));
      }
      this.store.flush();
      return out;
    });
  }

  /**
   * The folders a watcher should watch: those discovery walked (new stores appear there), each
   * source's own, and the folders of every live run (their files grow).
   */
  watchFolders(): Set<string> {
    const out = new Set<string>(this.lastFolders);
    for (const dirs of this.sourceWatch.values()) for (const d of dirs) out.add(d);
    const live = this.store.read(
      (db) => db.exec("SELECT path FROM runs WHERE status = 'RUNNING' AND path IS NOT NULL AND deleted = 0")[0]?.values ?? [],
    );
    for (const [p] of live) for (const d of foldersBelow(fromStorePath(this.workspace, String(p)), 64)) out.add(d);
    return out;
  }

  private async scanLoop(options: ScanOptions): Promise<ScanSummary> {
    let summary: ScanSummary;
    let passes = 0;
    do {
      this.rescanRequested = false;
      summary = await this.scanOnce(options);
      passes++;
    } while (this.rescanRequested && passes < 3 && !options.signal?.aborted);
    return summary;
  }

  private async scanOnce(options: ScanOptions): Promise<ScanSummary> {
    const started = performance.now();
    this.store.reloadIfChanged();
    // A scan sees the repository as it is now (new commits, a switched branch), at most once a minute.
    if (Date.now() - this.gitReadAt > 60_000) {
      this.gitResolver.invalidate();
      this.gitReadAt = Date.now();
    }
    const found = await discover(this.workspace, this.adapters, {
      ...(options.include ? { include: options.include } : {}),
      ...(options.exclude ? { exclude: options.exclude } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.lastRoots = found.roots;
    this.lastFolders = found.folders;
    const byKind = new Map(this.adapters.map((a) => [a.kind, a]));
    const sourcePaths = new Set(found.roots.map((r) => toStorePath(this.workspace, r.path)));
    for (const key of [...this.sourceWatch.keys()]) if (!sourcePaths.has(key)) this.sourceWatch.delete(key);
    let removedSources: string[] = [];
    this.store.mutate((db) => {
      removedSources = removeSourcesExcept(db, sourcePaths, this.store.series);
      replaceDiagnostics(db, DISCOVERY_SCOPE, found.diagnostics, this.workspace);
    });

    const sources: SourceScanSummary[] = [];
    for (const root of found.roots) {
      if (options.signal?.aborted) break;
      const adapter = byKind.get(root.kind);
      if (!adapter) continue;
      sources.push(await this.readSource(adapter, root, options));
    }
    this.store.flush();
    return {
      sources,
      removedSources,
      discoveryDiagnostics: found.diagnostics.length,
      durationMs: performance.now() - started,
    };
  }

  /**
   * Git context of the runs just read: the commit they started from (recorded by the tool, else
   * the nearest before their start), branch, dirty state, remote. Cached per repository.
   */
  private async applyGitContext(root: DetectedRoot, sourcePath: string, runIds: string[]): Promise<void> {
    const rows = this.store.read(
      (db) =>
        db.exec(
          `SELECT r.native_id, r.path, r.start_time, (SELECT value FROM tags t WHERE t.run_id = r.id AND t.key = 'mlflow.source.git.commit')
           FROM runs r JOIN sources s ON s.id = r.source_id WHERE s.path = ?`,
          [sourcePath],
        )[0]?.values ?? [],
    );
    const wanted = new Set(runIds);
    const fallback = fs.statSync(root.path, { throwIfNoEntry: false })?.isDirectory() ? root.path : path.dirname(root.path);
    const updates: [string | null, string | null, number | null, string | null, string][] = [];
    await Promise.all(
      rows
        .filter(([id]) => wanted.has(String(id)))
        .map(async ([id, runPath, start, recorded]) => {
          const folder = runPath ? fromStorePath(this.workspace, String(runPath)) : fallback;
          const ctx = await this.gitResolver.resolve(folder, start === null ? null : Number(start), recorded === null || recorded === undefined ? null : String(recorded));
          if (ctx) updates.push([ctx.commit, ctx.branch, ctx.dirty === null ? null : ctx.dirty ? 1 : 0, ctx.remote, String(id)]);
        }),
    );
    if (updates.length === 0) return;
    this.store.mutate((db) => {
      const stmt = db.prepare(
        `UPDATE runs SET git_commit = ?, git_branch = ?, git_dirty = ?, git_remote = ?
         WHERE native_id = ? AND source_id = (SELECT id FROM sources WHERE path = ?)
           AND (git_commit IS NOT ? OR git_branch IS NOT ? OR git_dirty IS NOT ? OR git_remote IS NOT ?)`,
      );
      try {
        for (const u of updates) stmt.run([...u, sourcePath, u[0], u[1], u[2], u[3]]);
      } finally {
        stmt.free();
      }
    });
  }

  private async readSource(
    adapter: SourceAdapter,
    root: DetectedRoot,
    options: ScanOptions,
    hints?: readonly string[],
  ): Promise<SourceScanSummary> {
    const sourcePath = toStorePath(this.workspace, root.path);
    const known = this.store.read((db) => knownRuns(db, sourcePath));
    const state = this.store.read((db) => sourceState(db, sourcePath));
    const sink = new BatchingSink(this.store, root, sourcePath, this.workspace, options.onProgress);
    try {
      const result = await adapter.read(root, {
        workspace: this.workspace,
        known,
        sourceState: state,
        full: options.full ?? false,
        sink,
        pool: this.pool,
        git: this.git,
        ...(hints ? { hints } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (options.signal?.aborted) {
        sink.flush(); // what was read is kept; removals wait for a complete pass
        return { kind: root.kind, path: sourcePath, runs: known.size, runsRead: sink.runsRead, diagnostics: 0 };
      }
      let removedRuns: string[] = [];
      sink.flush((w) => {
        w.finish(result);
        removedRuns = w.removed.slice(0, 100);
      });
      if (this.git && sink.runsRead > 0) await this.applyGitContext(root, sourcePath, sink.allIds());
      if (!result.partial || result.watch) this.sourceWatch.set(sourcePath, result.watch ?? defaultWatch(root));
      const diagnostics = this.store.read((db) => countSourceDiagnostics(db, sourcePath));
      const runs = result.partial ? known.size + sink.newRuns(known) - (result.removedRunIds?.length ?? 0) : result.presentRunIds.length;
      return { kind: root.kind, path: sourcePath, runs, runsRead: sink.runsRead, changedRuns: sink.readIds(), ...(removedRuns.length > 0 ? { removedRuns } : {}), diagnostics };
    } catch (err) {
      // An adapter bug or an unexpected failure on one source must not stop the others.
      sink.flush();
      const message = `reading this ${adapter.label} failed: ${(err as Error).message}`;
      const diag: Diagnostic = { severity: 'error', file: root.path, message };
      this.store.mutate((db) => replaceDiagnostics(db, `source:${sourcePath}`, [diag], this.workspace));
      return { kind: root.kind, path: sourcePath, runs: known.size, runsRead: sink.runsRead, diagnostics: 1, error: message };
    }
  }
}

/** A source's folders: the root of a folder source, the parent folder of a file source. */
function defaultWatch(root: DetectedRoot): string[] {
  let isDir = false;
  try {
    isDir = fs.statSync(root.path).isDirectory();
  } catch {
    return [];
  }
  return isDir ? foldersBelow(root.path, DEFAULT_WATCH_LIMIT) : [path.dirname(root.path)];
}
