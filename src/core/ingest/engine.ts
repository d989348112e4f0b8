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

  constructor(
    readonly store: Store,
    readonly workspace: string,
    readonly adapters: readonly SourceAdapter[] = defaultAdapters(),
    /** Parsing threads; 0 reads everything on the calling thread. */
    workers?: number,
  ) {
    this.pool = new WorkerPool(workers);
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
      this.store.flush();
      return out;
    });
  }

  /**
   * Runs discovery and reads only the sources it finds new (a folder created somewhere: maybe a
   * new store); the sources already known are left to their own events and the reconciliation.
   */
  rediscover(options: ScanOptions = {}): Promise<SourceScanSummary[]> {
    return this.serialized(async () => {
      const found = await discover(this.workspace, this.adapters, options.exclude ? { exclude: options.exclude } : {});
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
    const found = await discover(this.workspace, this.adapters, {
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
        ...(hints ? { hints } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (options.signal?.aborted) {
        sink.flush(); // what was read is kept; removals wait for a complete pass
        return { kind: root.kind, path: sourcePath, runs: known.size, runsRead: sink.runsRead, diagnostics: 0 };
      }
      sink.flush((w) => w.finish(result));
      if (!result.partial || result.watch) this.sourceWatch.set(sourcePath, result.watch ?? defaultWatch(root));
      const diagnostics = this.store.read((db) => countSourceDiagnostics(db, sourcePath));
      const runs = result.partial ? known.size + sink.newRuns(known) - (result.removedRunIds?.length ?? 0) : result.presentRunIds.length;
      return { kind: root.kind, path: sourcePath, runs, runsRead: sink.runsRead, changedRuns: sink.readIds(), diagnostics };
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
