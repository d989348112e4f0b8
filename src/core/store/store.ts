// The MLCycle store: one sql.js database per workspace folder at `.mlcycle/mlcycle.db`.
//
// sql.js keeps the database in memory; this class makes it durable and shareable:
// - a change is a mutation applied in memory at once;
// - saving takes the lock, reloads the file if another process saved since we read it, then
//   writes a temporary file, fsyncs it and renames it over;
// - derived data (`mutate`, from ingest) is saved after a debounce and is not kept for re-applying:
//   after a reload the owner rescans (fingerprints make that cheap), see `onReload`;
// - user actions (`commit`) are kept until saved, re-applied after a reload and saved at once,
//   so two writers never lose each other's actions;
// - a corrupt, truncated or newer-schema file is moved aside and rebuilt, never a crash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { acquire } from './lock';
import { SeriesFiles } from './seriesFiles';
import { checkImage } from './sqliteImage';
import { migrate, schemaVersion, SCHEMA_VERSION } from './schema';
import { loadSqlJs } from './sqljs';
import { fsyncDir } from '../util/fsync';

export type Mutation = (db: Database) => void;

export interface StoreNotice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface StoreOptions {
  /** Debounce for ingest saves (ms). */
  saveDelayMs?: number;
  /** Called for anything the user should hear about (a store rebuilt, a save that failed). */
  onNotice?: (notice: StoreNotice) => void;
  /**
   * Called after the in-memory database was replaced by another process's save while derived
   * changes of ours were unsaved: rescan to bring them back.
   */
  onReload?: () => void;
  lockTimeoutMs?: number;
}

interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

const GITIGNORE =
  '# MLCycle: the database is an index rebuilt from your files and registry.jsonl; keep it out of git.\n' +
  'mlcycle.db*\n*.lock\ntmp/\n' +
  '# Registered model files, by hash: large; share them through packages (mlcycle package) or your data storage.\n' +
  'objects/\n' +
  '# Deployment packages (mlcycle package): large zips, rebuilt from objects/ or shared as files.\n' +
  'packages/\n' +
  '# Commit registry.jsonl (the audit trail) and policy.yaml.\n';

function identityOf(file: string): FileIdentity | undefined {
  try {
    const st = fs.statSync(file);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export class Store {
  /** User actions not yet saved: re-applied on top of a reload. */
  private pending: Mutation[] = [];
  /** Derived (ingest) changes not yet saved. */
  private derivedDirty = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private diskIdentity: FileIdentity | undefined;
  private closed = false;
  private readonly saveDelayMs: number;

  db: Database;
  /** Metric histories, one file per run, beside the database. */
  readonly series: SeriesFiles;

  private constructor(
    private readonly SQL: SqlJsStatic,
    readonly dbPath: string,
    private readonly options: StoreOptions,
  ) {
    this.saveDelayMs = options.saveDelayMs ?? 1000;
    this.series = new SeriesFiles(`${dbPath}.series`);
    this.db = this.loadFromDisk();
  }

  get lockPath(): string {
    return this.dbPath + '.lock';
  }

  /** Opens (or creates) the store at dbPath, repairing what cannot be read. */
  static async open(dbPath: string, options: StoreOptions = {}): Promise<Store> {
    const SQL = await loadSqlJs();
    const dir = path.dirname(dbPath);
    fs.mkdirSync(dir, { recursive: true });
    const gitignore = path.join(dir, '.gitignore');
    if (!fs.existsSync(gitignore)) fs.writeFileSync(gitignore, GITIGNORE);
    removeAbandonedTempFiles(dbPath);
    return new Store(SQL, dbPath, options);
  }

  /** Whether another process saved the file since this store last read or wrote it. */
  changedOnDisk(): boolean {
    return !sameIdentity(identityOf(this.dbPath), this.diskIdentity);
  }

  /**
   * Picks up another process's save. Pending mutations are re-applied on top, so nothing of ours
   * is lost. Returns true when the in-memory database was replaced.
   */
  reloadIfChanged(): boolean {
    // No lock needed: saves replace the file by rename, so a read sees one whole version.
    if (!this.changedOnDisk()) return false;
    const lostDerived = this.derivedDirty;
    this.replaceWithDisk();
    this.derivedDirty = false;
    if (lostDerived) this.options.onReload?.();
    return true;
  }

  /** Applies derived data (from ingest) now; it is saved after the debounce. */
  mutate(mutation: Mutation): void {
    this.assertOpen();
    // A scan that finds nothing new changes no row: then there is nothing to save either.
    if (this.applyInTransaction(mutation) === 0) return;
    this.derivedDirty = true;
    this.scheduleSave();
  }

  /** Applies a user action and saves before returning; it survives a concurrent writer. */
  commit(mutation: Mutation): void {
    this.assertOpen();
    this.applyInTransaction(mutation);
    this.pending.push(mutation);
    this.save();
  }

  /** Runs a read-only query function against the current database. */
  read<T>(query: (db: Database) => T): T {
    this.assertOpen();
    return query(this.db);
  }

  get hasUnsavedChanges(): boolean {
    return this.pending.length > 0 || this.derivedDirty;
  }

  /** Saves now if anything is unsaved. */
  flush(): void {
    if (this.hasUnsavedChanges) this.save();
  }

  close(): void {
    if (this.closed) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  /** Size in bytes of the last saved file. */
  fileSize(): number {
    return identityOf(this.dbPath)?.size ?? 0;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the store is closed');
  }

  private lockOptions(): { timeoutMs?: number } {
    return this.options.lockTimeoutMs !== undefined ? { timeoutMs: this.options.lockTimeoutMs } : {};
  }

  private notice(level: StoreNotice['level'], message: string): void {
    this.options.onNotice?.({ level, message });
  }

  /** Returns the number of rows the mutation inserted, updated or deleted. */
  private applyInTransaction(mutation: Mutation, db: Database = this.db): number {
    const before = totalChanges(db);
    db.exec('BEGIN');
    try {
      mutation(db);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
    return totalChanges(db) - before;
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      try {
        this.save();
      } catch (err) {
        this.notice('error', `could not save ${this.dbPath}: ${(err as Error).message}`);
      }
    }, this.saveDelayMs);
    this.saveTimer.unref?.();
  }

  private save(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    const release = acquire(this.lockPath, this.lockOptions());
    try {
      let lostDerived = false;
      if (this.changedOnDisk()) {
        lostDerived = this.derivedDirty;
        this.replaceWithDisk();
      }
      const bytes = this.db.export();
      applyPragmas(this.db); // export() closes and reopens the database, resetting pragmas
      writeAtomically(this.dbPath, bytes);
      this.diskIdentity = identityOf(this.dbPath);
      this.pending = [];
      this.derivedDirty = false;
      if (lostDerived) this.options.onReload?.();
    } finally {
      release();
    }
  }

  /** Reads the file (repairing it if needed) and re-applies our unsaved mutations on top. */
  private replaceWithDisk(): void {
    const fresh = this.loadFromDisk();
    for (const m of this.pending) this.applyInTransaction(m, fresh);
    this.db.close();
    this.db = fresh;
  }

  private loadFromDisk(): Database {
    const SQL = this.SQL;
    let bytes: Uint8Array | undefined;
    try {
      bytes = fs.readFileSync(this.dbPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.diskIdentity = identityOf(this.dbPath);
    if (bytes === undefined) return this.fresh();
    const problem = checkImage(bytes);
    if (problem) return this.moveAsideAndRebuild('corrupt', problem);
    let db: Database;
    try {
      db = new SQL.Database(bytes);
      const check = db.exec('PRAGMA quick_check(1)')[0]?.values[0]?.[0];
      if (check !== 'ok') {
        db.close();
        return this.moveAsideAndRebuild('corrupt', `SQLite integrity check failed: ${String(check)}`);
      }
    } catch (err) {
      return this.moveAsideAndRebuild('corrupt', `SQLite cannot read it: ${(err as Error).message}`);
    }
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) {
      db.close();
      return this.moveAsideAndRebuild(
        'newer',
        `it was written by a newer MLCycle (schema ${version}; this version understands up to ${SCHEMA_VERSION})`,
      );
    }
    try {
      applyPragmas(db);
      migrate(db);
    } catch (err) {
      db.close();
      return this.moveAsideAndRebuild('corrupt', (err as Error).message);
    }
    return db;
  }

  private fresh(): Database {
    const db = new this.SQL.Database();
    applyPragmas(db);
    migrate(db);
    return db;
  }

  private moveAsideAndRebuild(kind: 'corrupt' | 'newer', why: string): Database {
    const reason = why.replace(/\s*\n\s*/g, ' ').replace(/\*\*\* in database main \*\*\* /, '').trim();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${this.dbPath}.${kind}-${stamp}`;
    try {
      fs.renameSync(this.dbPath, aside);
      this.notice(
        'warning',
        `The store ${this.dbPath} could not be used: ${reason}. It was moved to ${path.basename(aside)} ` +
          'and a new store is being rebuilt from the workspace files.',
      );
    } catch (err) {
      this.notice('error', `The store ${this.dbPath} could not be used (${reason}) nor moved aside: ${(err as Error).message}`);
    }
    this.diskIdentity = identityOf(this.dbPath);
    this.series.clear(); // histories belonged to the old database's runs
    const db = this.fresh();
    // Persist the empty store at once so a second process sees the repaired file, not the old one.
    const bytes = db.export();
    applyPragmas(db);
    writeAtomically(this.dbPath, bytes);
    this.diskIdentity = identityOf(this.dbPath);
    return db;
  }
}

function totalChanges(db: Database): number {
  return Number(db.exec('SELECT total_changes()')[0]?.values[0]?.[0] ?? 0);
}

export function applyPragmas(db: Database): void {
  db.exec('PRAGMA foreign_keys = ON');
}

/** Temp file, fsync, rename, fsync the folder: the file on disk is always a whole database. */
export function writeAtomically(target: string, bytes: Uint8Array): void {
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, target);
  fsyncDir(path.dirname(target));
}

/** Removes temporary files left by a process killed while saving. */
function removeAbandonedTempFiles(dbPath: string): void {
  const dir = path.dirname(dbPath);
  const prefix = path.basename(dbPath) + '.tmp-';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    let alive = false;
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (!alive && pid !== process.pid) fs.rmSync(path.join(dir, name), { force: true });
  }
}
