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
import { toStorePath } from '../util/paths';
import { discover } from './discovery';
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
    if (this.runs.length >= RUN_BATCH) this.flush();
  }

  registry(models: SourceModelData[], versions: SourceModelVersionData[]): void {
    this.registryUpdate = { models, versions };
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

export class Ingestor {
  private scanning: Promise<ScanSummary> | undefined;
  private rescanRequested = false;
  private readonly pool: WorkerPool;

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

  /** Scans the workspace; concurrent calls share one scan. */
  scan(options: ScanOptions = {}): Promise<ScanSummary> {
    this.scanning ??= this.scanLoop(options).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
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
    const byKind = new Map(this.adapters.map((a) => [a.kind, a]));
    const sourcePaths = new Set(found.roots.map((r) => toStorePath(this.workspace, r.path)));
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

  private async readSource(adapter: SourceAdapter, root: DetectedRoot, options: ScanOptions): Promise<SourceScanSummary> {
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
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (options.signal?.aborted) {
        sink.flush(); // what was read is kept; removals wait for a complete pass
        return { kind: root.kind, path: sourcePath, runs: known.size, runsRead: sink.runsRead, diagnostics: 0 };
      }
      sink.flush((w) => w.finish(result));
      const diagnostics = this.store.read((db) => countSourceDiagnostics(db, sourcePath));
      return { kind: root.kind, path: sourcePath, runs: result.presentRunIds.length, runsRead: sink.runsRead, diagnostics };
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
