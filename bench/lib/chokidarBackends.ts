// chokidar 4 as a WatchBackend, for the backend comparison of bench/watch.ts (issue 3: "choose
// between chokidar and VS Code's own watcher by measuring both"). Not used by the product.
//
//   ChokidarFolders: the engine's folder set, each folder with `depth: 0` (what a chokidar backend
//                    of the engine would do);
//   ChokidarTree:    the whole workspace, recursive, the naive way (ignores node_modules, .git and
//                    our own .mlcycle store), whatever folder set the engine asks for.
//
// Both: `ignoreInitial: true`, no awaitWriteFinish, chokidar's other defaults (atomic: 100 ms).
import { watch, type FSWatcher } from 'chokidar';
import type { WatchBackend } from '../../src/core/watch/backend';

abstract class ChokidarBackend implements WatchBackend {
  onChange?: (changedPath: string) => void;
  onOverflow?: () => void;
  protected watcher: FSWatcher | undefined;
  /** Resolves on chokidar's first 'ready' (its initial walk is done and every watch is set). */
  readonly ready: Promise<void>;
  protected markReady!: () => void;
  errors = 0;
  firstError: string | undefined;

  constructor() {
    this.ready = new Promise((r) => (this.markReady = r));
  }

  abstract setFolders(folders: ReadonlySet<string>): void;
  abstract get count(): number;

  protected create(paths: string[], options: Parameters<typeof watch>[1]): FSWatcher {
    const w = watch(paths, { ignoreInitial: true, ...options });
    w.on('all', (_event, p) => this.onChange?.(p));
    w.on('ready', () => this.markReady());
    w.on('error', (err) => {
      this.errors++;
      this.firstError ??= String((err as Error).message ?? err);
      this.onOverflow?.();
    });
    return w;
  }

  close(): void {
    void this.watcher?.close();
    this.watcher = undefined;
  }
}

export class ChokidarFolders extends ChokidarBackend {
  private readonly folders = new Set<string>();

  get count(): number {
    return this.folders.size;
  }

  setFolders(folders: ReadonlySet<string>): void {
    const added = [...folders].filter((f) => !this.folders.has(f));
    const removed = [...this.folders].filter((f) => !folders.has(f));
    for (const f of added) this.folders.add(f);
    for (const f of removed) this.folders.delete(f);
    if (!this.watcher) {
      this.watcher = this.create(added, { depth: 0 });
      return;
    }
    if (removed.length > 0) this.watcher.unwatch(removed);
    if (added.length > 0) this.watcher.add(added);
  }
}

const NAIVE_IGNORED = /(^|[/\\])(node_modules|\.git|\.mlcycle)([/\\]|$)/;

export class ChokidarTree extends ChokidarBackend {
  private watchedDirs = 0;

  constructor(private readonly root: string) {
    super();
    void this.ready.then(() => {
      this.watchedDirs = Object.keys(this.watcher?.getWatched() ?? {}).length;
    });
  }

  /** Directories chokidar watches (known once it is ready). */
  get count(): number {
    return this.watchedDirs;
  }

  setFolders(): void {
    this.watcher ??= this.create([this.root], { ignored: (p: string) => NAIVE_IGNORED.test(p) });
  }
}
