// A watch backend over Node's non-recursive fs.watch: one OS watch (one inotify watch on Linux) per
// folder, none per file. Watching a folder reports changes to the files directly inside it, which
// is what growing metric files need; the engine picks the folders (store structure, live runs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WatchBackend } from './backend';

export class FolderWatcher implements WatchBackend {
  onChange?: (changedPath: string) => void;
  onOverflow?: () => void;
  private readonly watchers = new Map<string, fs.FSWatcher>();

  get count(): number {
    return this.watchers.size;
  }

  setFolders(folders: ReadonlySet<string>): void {
    for (const [folder, w] of this.watchers) {
      if (folders.has(folder)) continue;
      w.close();
      this.watchers.delete(folder);
    }
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      let w: fs.FSWatcher;
      try {
        w = fs.watch(folder, { persistent: false }, (_event, name) => {
          this.onChange?.(name ? path.join(folder, name.toString()) : folder);
        });
      } catch {
        continue; // gone already, or not readable: the periodic reconciliation covers it
      }
      w.on('error', () => {
        // The folder was removed or the watch was lost: drop it, and let the engine look again.
        w.close();
        this.watchers.delete(folder);
        this.onOverflow?.();
      });
      this.watchers.set(folder, w);
    }
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
