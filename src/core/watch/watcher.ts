// Watch mode: keeps a workspace's store up to date while training runs write their files.
//
// File events are hints, not truth. An event names a path; the engine maps it to the source
// that owns it and reads that source again with the path as a hint (the MLflow adapter then reads
// only that run, from where it stopped). A periodic reconciliation runs a normal incremental scan,
// which catches whatever the events missed (moved folders, a full queue, new stores).
import * as path from 'node:path';
import type { Ingestor, ScanSummary, SourceScanSummary, SourceTarget } from '../ingest/engine';
import { isInside } from '../util/paths';
import type { WatchBackend } from './backend';

export interface WatchOptions {
  /** Events are gathered this long before reading (a write is often several events). */
  debounceMs?: number;
  /** Interval of the reconciliation scan; it never runs more often than 20× its own duration. */
  reconcileMs?: number;
  /** After every read: what was read, and why. */
  onUpdate?: (update: WatchUpdate) => void;
  onError?: (err: Error) => void;
}

export interface WatchUpdate {
  reason: 'start' | 'change' | 'reconcile';
  sources: SourceScanSummary[];
  /** Paths that triggered it (for 'change'). */
  paths: string[];
  durationMs: number;
  /** Folders watched after it. */
  folders: number;
}

export class Watcher {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastReconcileMs = 0;
  private readonly debounceMs: number;
  private readonly reconcileMs: number;

  constructor(
    private readonly ingestor: Ingestor,
    private readonly backend: WatchBackend,
    private readonly options: WatchOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 40;
    this.reconcileMs = options.reconcileMs ?? 15_000;
    backend.onChange = (p) => this.changed(p);
    backend.onOverflow = () => this.scheduleReconcile(0);
  }

  /** Scans once, then watches. */
  async start(): Promise<ScanSummary> {
    const started = performance.now();
    const summary = await this.ingestor.scan();
    this.lastReconcileMs = summary.durationMs;
    this.refreshFolders();
    this.options.onUpdate?.({ reason: 'start', sources: summary.sources, paths: [], durationMs: performance.now() - started, folders: this.backend.count });
    this.scheduleReconcile();
    return summary;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.backend.close();
  }

  /** Folders watched now. */
  get folderCount(): number {
    return this.backend.count;
  }

  /** Resolves when no read is in progress or pending (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.running || this.pending.size > 0 || this.timer) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, this.debounceMs));
    }
  }

  private changed(changedPath: string): void {
    if (this.stopped) return;
    // Our own store lives in the workspace: its writes are not news.
    if (changedPath.split(path.sep).includes('.mlcycle')) return;
    this.pending.add(changedPath);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.debounceMs);
  }

  private drain(): void {
    if (this.running || this.pending.size === 0 || this.stopped) return;
    const paths = [...this.pending];
    this.pending.clear();
    this.running = this.readChanged(paths)
      .catch((err: unknown) => this.options.onError?.(err as Error))
      .finally(() => {
        this.running = undefined;
        if (this.pending.size > 0) this.drain();
      });
  }

  private async readChanged(paths: string[]): Promise<void> {
    const started = performance.now();
    const byRoot = new Map<string, SourceTarget & { hints: string[] }>();
    let outsideSources = false;
    for (const p of paths) {
      // The source owning the path: the deepest root containing it (a file root owns its -wal).
      let owner: SourceTarget['root'] | undefined;
      for (const root of this.ingestor.roots) {
        const inside = isInside(root.path, p) || (path.dirname(p) === path.dirname(root.path) && path.basename(p).startsWith(path.basename(root.path)));
        if (inside && (!owner || root.path.length > owner.path.length)) owner = root;
      }
      if (!owner) {
        outsideSources = true;
        continue;
      }
      const target = byRoot.get(owner.path) ?? { root: owner, hints: [] };
      target.hints.push(p);
      byRoot.set(owner.path, target);
    }
    // Something changed where no store was (a new folder, maybe a new store): discovery decides.
    const sources = outsideSources ? await this.ingestor.rediscover() : [];
    if (byRoot.size > 0) sources.push(...(await this.ingestor.readSources([...byRoot.values()])));
    this.refreshFolders();
    this.options.onUpdate?.({ reason: 'change', sources, paths, durationMs: performance.now() - started, folders: this.backend.count });
  }

  private watched = new Set<string>();

  /**
   * Watches the folders the engine asks for now. A folder watched for the first time may already
   * have been written to (a new run's metrics/ is created right after its folder): it is read
   * once more, as if it had changed.
   */
  private refreshFolders(): void {
    if (this.stopped) return;
    const folders = this.ingestor.watchFolders();
    const added = this.watched.size === 0 ? [] : [...folders].filter((f) => !this.watched.has(f));
    this.watched = folders;
    this.backend.setFolders(folders);
    for (const f of added) this.changed(f);
  }

  private scheduleReconcile(delay = Math.max(this.reconcileMs, 20 * this.lastReconcileMs)): void {
    if (this.stopped) return;
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = undefined;
      void this.reconcile('reconcile', []).finally(() => this.scheduleReconcile());
    }, delay);
    this.reconcileTimer.unref?.();
  }

  private async reconcile(reason: 'change' | 'reconcile', paths: string[]): Promise<void> {
    const started = performance.now();
    try {
      const summary = await this.ingestor.scan();
      this.lastReconcileMs = summary.durationMs;
      this.refreshFolders();
      this.options.onUpdate?.({ reason, sources: summary.sources, paths, durationMs: performance.now() - started, folders: this.backend.count });
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }
}
