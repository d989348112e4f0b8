// The packages of a workspace: built, recorded in the store (`packages` table), verified, kept for
// archived versions, and found again to restore an old version with one command.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { invalidTransition } from '../registry/names';
import { RegistryError, type Registry, type VersionRow } from '../registry/registry';
import type { Store } from '../store/store';
import { fromStorePath, isInside, toStorePath } from '../util/paths';
import { buildPackage, defaultPackagePath, PackageError, type BuildOptions, type BuildResult } from './build';
import { sha256File, sha256FileSync } from './hashing';
import { restorePackage, type RestoreOptions, type RestoreResult } from './restore';
import { verifyPackage, type VerifyOptions, type VerifyResult } from './verify';

export interface PackageRow {
  model: string;
  version: number;
  /** As stored: relative to the workspace, or absolute outside it. */
  path: string;
  /** Absolute path of the zip. */
  file: string;
  sha256: string;
  size: number;
  created: number;
  verifiedAt: number | null;
}

function storedPath(workspace: string, file: string): string {
  const abs = path.resolve(workspace, file);
  return isInside(workspace, abs) ? toStorePath(workspace, abs) : abs;
}

function absolutePath(workspace: string, stored: string): string {
  return path.isAbsolute(stored) ? stored : fromStorePath(workspace, stored);
}

function readRows(db: Database, workspace: string, where: string, args: (string | number)[]): PackageRow[] {
  return (db.exec(`SELECT model, version, path, sha256, size, created, verified_at FROM packages ${where} ORDER BY model, version, created DESC`, args)[0]?.values ?? []).map(
    ([model, version, p, sha, size, created, verified]) => ({
      model: String(model),
      version: Number(version),
      path: String(p),
      file: absolutePath(workspace, String(p)),
      sha256: String(sha),
      size: Number(size),
      created: Number(created),
      verifiedAt: verified === null ? null : Number(verified),
    }),
  );
}

/**
 * Whether a package of this version was verified and its zip still has the verified SHA-256: the
 * policy gate "package built and verified". Synchronous because the registry decides promotions
 * under its journal lock; it rehashes the zip (a promotion is rare, hashing runs at disk speed).
 */
export function packageVerified(store: Store, workspace: string, model: string, version: number): boolean {
  let candidates: PackageRow[];
  try {
    candidates = store.read((db) => readRows(db, workspace, 'WHERE model = ? AND version = ? AND verified_at IS NOT NULL', [model, version]));
  } catch {
    return false;
  }
  candidates.sort((a, b) => (b.verifiedAt ?? 0) - (a.verifiedAt ?? 0));
  for (const row of candidates) {
    try {
      if (fs.statSync(row.file).size !== row.size) continue;
      if (sha256FileSync(row.file).sha256 === row.sha256) return true;
    } catch {
      // gone or unreadable: not this one
    }
  }
  return false;
}

export interface ArchiveResult {
  version: VersionRow;
  /** What the registry's stage change returned (gates, git tags). */
  stage: Awaited<ReturnType<Registry['setStage']>>;
  package: PackageRow;
  /** Whether the package had to be built (none, or none intact, existed). */
  built: boolean;
  verify: VerifyResult;
}

export class Packages {
  constructor(readonly registry: Registry) {}

  get workspace(): string {
    return this.registry.workspace;
  }

  get store(): Store {
    return this.registry.store;
  }

  /** `.mlcycle/packages/<model>/v<N>/<model>-v<N>.zip` */
  defaultPath(model: string, version: number): string {
    return defaultPackagePath(path.dirname(this.store.dbPath), model, version);
  }

  list(model?: string, version?: number): PackageRow[] {
    this.store.reloadIfChanged();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (model !== undefined) {
      where.push('model = ?');
      args.push(model);
    }
    if (version !== undefined) {
      where.push('version = ?');
      args.push(version);
    }
    return this.store.read((db) => readRows(db, this.workspace, where.length ? `WHERE ${where.join(' AND ')}` : '', args));
  }

  /** The store's row for a zip, when it is one of this workspace's packages. */
  rowFor(file: string): PackageRow | undefined {
    this.store.reloadIfChanged();
    const stored = storedPath(this.workspace, file);
    return this.store.read((db) => readRows(db, this.workspace, 'WHERE path = ?', [stored]))[0];
  }

  /** Builds a package and records it (not yet verified). */
  async build(model: string, version: number, options: BuildOptions = {}): Promise<BuildResult & { row: PackageRow }> {
    const result = await buildPackage(this.registry, model, version, options);
    const row = this.record(model, version, result.path, result.sha256, result.size, Date.parse(result.manifest.created) || Date.now(), null);
    return { ...result, row };
  }

  /**
   * Verifies a zip; when it is one of the store's packages and every file matches, records the
   * time and the zip's SHA-256 (hashed first, so the row describes the bytes that were checked).
   */
  async verify(file: string, options: VerifyOptions = {}): Promise<VerifyResult & { row?: PackageRow }> {
    const abs = path.resolve(this.workspace, file);
    const known = this.rowFor(abs);
    const zip = known ? await sha256File(abs, options.signal ? { signal: options.signal } : {}) : undefined;
    const result = await verifyPackage(abs, options);
    if (!known || !zip || !result.ok) return known ? { ...result, row: known } : result;
    const row = this.record(known.model, known.version, abs, zip.sha256, zip.size, known.created, Date.now());
    return { ...result, row };
  }

  /** See packageVerified(). */
  isVerified(model: string, version: number): boolean {
    this.store.reloadIfChanged();
    return packageVerified(this.store, this.workspace, model, version);
  }

  /**
   * A verified package of the version under `.mlcycle/packages/`: the existing one when it is
   * intact, else a new one. Archiving relies on it: the zip stays restorable after the run and
   * the workspace files are gone.
   */
  async ensure(model: string, version: number, options: Omit<BuildOptions, 'out'> = {}): Promise<{ row: PackageRow; built: boolean; verify: VerifyResult }> {
    const file = this.defaultPath(model, version);
    if (fs.existsSync(file)) {
      const existing = this.rowFor(file);
      if (!existing) this.record(model, version, file, (await sha256File(file)).sha256, fs.statSync(file).size, fs.statSync(file).mtimeMs, null);
      const checked = await this.verify(file, { ...(options.signal ? { signal: options.signal } : {}) });
      if (checked.ok && checked.manifest?.model === model && checked.manifest.version === version && checked.row) return { row: checked.row, built: false, verify: checked };
    }
    await this.build(model, version, options);
    const checked = await this.verify(file, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    if (!checked.ok || !checked.row) throw new PackageError(`the package just built for ${model} v${version} does not verify: ${[...checked.problems, ...checked.altered.map((a) => a.path)].join('; ')}`);
    return { row: checked.row, built: true, verify: checked };
  }

  /** Archives a version and keeps its package, verified (built first when missing). */
  async archive(model: string, version: number, options: Omit<BuildOptions, 'out'> & { reason?: string | null } = {}): Promise<ArchiveResult> {
    const m = this.registry.model(model);
    if (!m) throw new RegistryError(`no model named ${model}`);
    const v = m.versions.find((x) => x.version === version);
    if (!v) throw new RegistryError(`${model} has no version ${version} (it has ${m.versions.map((x) => `v${x.version}`).join(', ') || 'none'})`);
    // Refuse before building: a move the life cycle forbids must not cost a package build.
    const bad = invalidTransition(v.stage, 'archived');
    if (bad) throw new RegistryError(`v${version} of ${model}: ${bad}`);
    const { reason, ...build } = options;
    const kept = await this.ensure(model, version, build);
    const moved = await this.registry.setStage({ model, version, stage: 'archived', reason: reason ?? null });
    return { version: moved.version, stage: moved, package: kept.row, built: kept.built, verify: kept.verify };
  }

  /**
   * The package to restore a version from: the newest recorded one whose zip is still there with
   * its recorded hash, else the default path's zip, else a new build from the object store.
   */
  async locate(model: string, version: number, options: Omit<BuildOptions, 'out'> = {}): Promise<{ file: string; built: boolean }> {
    const rows = this.list(model, version).sort((a, b) => (b.verifiedAt ?? 0) - (a.verifiedAt ?? 0) || b.created - a.created);
    for (const r of rows) {
      try {
        if (fs.statSync(r.file).size === r.size && (await sha256File(r.file)).sha256 === r.sha256) return { file: r.file, built: false };
      } catch {
        // gone: try the next
      }
    }
    const file = this.defaultPath(model, version);
    if (fs.existsSync(file)) return { file, built: false }; // the store was rebuilt; restore checks every hash anyway
    const built = await this.build(model, version, options);
    return { file: built.path, built: true };
  }

  /** "Re-load and use an old version": find (or build) its package and restore it into `dir`. */
  async restoreVersion(model: string, version: number, dir: string, options: RestoreOptions & Omit<BuildOptions, 'out' | 'signal' | 'onProgress'> = {}): Promise<RestoreResult & { package: string; built: boolean }> {
    const { file, built } = await this.locate(model, version, options);
    const restored = await restorePackage(file, dir, { ...options, expect: { model, version } });
    return { ...restored, package: file, built };
  }

  private record(model: string, version: number, file: string, sha256: string, size: number, created: number, verifiedAt: number | null): PackageRow {
    const stored = storedPath(this.workspace, file);
    this.store.commit((db) =>
      db.run('INSERT OR REPLACE INTO packages (path, model, version, sha256, size, created, verified_at) VALUES (?,?,?,?,?,?,?)', [
        stored,
        model,
        version,
        sha256,
        size,
        Math.round(created),
        verifiedAt === null ? null : Math.round(verifiedAt),
      ]),
    );
    return { model, version, path: stored, file: absolutePath(this.workspace, stored), sha256, size, created: Math.round(created), verifiedAt: verifiedAt === null ? null : Math.round(verifiedAt) };
  }
}
