// How a watcher learns that something changed under a folder. The engine decides which folders
// (never individual files); a backend turns that set into OS watches, one per folder at most.
export interface WatchBackend {
  /** Replaces the set of folders watched (only the difference is applied). */
  setFolders(folders: ReadonlySet<string>): void;
  /** Called with the path that changed (a file or folder inside a watched folder, or the folder). */
  onChange?: (changedPath: string) => void;
  /** Called when the backend may have missed events (a queue overflow, a watch error). */
  onOverflow?: () => void;
  /** Folders currently watched. */
  readonly count: number;
  close(): void;
}
