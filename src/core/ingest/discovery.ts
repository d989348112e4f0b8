// Finds every experiment store under a workspace folder, nested ones included. Folders that never
// hold one (dependencies, version control, virtual environments, caches) are not entered; the
// user's own excludes apply on top. `.gitignore` is deliberately not honoured: mlruns/ is usually
// git-ignored, and it is exactly what we are looking for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { isInside, toStorePath } from '../util/paths';
import type { DetectedRoot, Diagnostic, SourceAdapter } from './types';

export const DEFAULT_EXCLUDED_NAMES: readonly string[] = [
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.mlcycle',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.ipynb_checkpoints',
  'site-packages',
  '.dvc',
  '.cache',
];

export interface DiscoveryOptions {
  /** Only these folders (relative to the workspace folder) are scanned; none = all of it. */
  include?: readonly string[];
  /** Extra globs, relative to the workspace folder (`data/**`, `**∕scratch`). */
  exclude?: readonly string[];
  /** Deepest folder level explored. */
  maxDepth?: number;
  signal?: AbortSignal;
}

export interface DiscoveryResult {
  roots: DetectedRoot[];
  diagnostics: Diagnostic[];
  foldersVisited: number;
  /** The folders walked (outside the stores): watching them shows new stores appearing. */
  folders: string[];
}

const CONCURRENCY = 16;

export async function discover(
  workspace: string,
  adapters: readonly SourceAdapter[],
  options: DiscoveryOptions = {},
): Promise<DiscoveryResult> {
  const roots: DetectedRoot[] = [];
  const diagnostics: Diagnostic[] = [];
  const excludedNames = new Set(DEFAULT_EXCLUDED_NAMES);
  const userExclude = options.exclude?.length ? picomatch(options.exclude as string[], { dot: true }) : undefined;
  const maxDepth = options.maxDepth ?? 24;
  const includes = (options.include ?? []).map((p) => p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '')).filter((p) => p !== '' && p !== '.');
  /** 'inside' an included folder, 'above' one (walk, but detect nothing here), or 'out'. */
  const placement = (dir: string): 'inside' | 'above' | 'out' => {
    if (includes.length === 0) return 'inside';
    const rel = toStorePath(workspace, dir);
    if (includes.some((inc) => rel === inc || rel.startsWith(inc + '/'))) return 'inside';
    if (rel === '.' || includes.some((inc) => inc.startsWith(rel + '/'))) return 'above';
    return 'out';
  };
  let realWorkspace: string;
  try {
    realWorkspace = fs.realpathSync(workspace);
  } catch (err) {
    diagnostics.push({ severity: 'error', file: workspace, message: `cannot open the folder: ${(err as Error).message}` });
    return { roots, diagnostics, foldersVisited: 0, folders: [] };
  }
  const visitedReal = new Set<string>([realWorkspace]);
  let foldersVisited = 0;
  const folders: string[] = [];

  const visit = async (dir: string, depth: number): Promise<string[]> => {
    foldersVisited++;
    folders.push(dir);
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
      diagnostics.push({ severity: 'warning', file: dir, message: `cannot read the folder (${why}); runs inside it are not tracked` });
      return [];
    }
    const dirs: string[] = [];
    const files: string[] = [];
    for (const e of entries) {
      if (e.isDirectory()) dirs.push(e.name);
      else if (e.isFile()) files.push(e.name);
      else if (e.isSymbolicLink()) {
        const full = path.join(dir, e.name);
        let real: string;
        let st: fs.Stats;
        try {
          real = await fs.promises.realpath(full);
          st = await fs.promises.stat(real);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') diagnostics.push({ severity: 'warning', file: full, message: 'symbolic link loop: not followed' });
          continue; // a dangling link is not worth a diagnostic
        }
        if (st.isFile()) files.push(e.name);
        else if (st.isDirectory()) {
          if (!isInside(realWorkspace, real)) {
            diagnostics.push({
              severity: 'info',
              file: full,
              message: `symbolic link to ${real}, outside the workspace: not followed (add that folder to the workspace to track it)`,
            });
          } else if (visitedReal.has(real) || isInside(real, path.resolve(dir))) {
            diagnostics.push({ severity: 'warning', file: full, message: `symbolic link loop (points back to ${toStorePath(realWorkspace, real)}): not followed` });
          } else {
            dirs.push(e.name);
          }
        }
      }
    }
    // A virtual environment is recognisable by its marker, whatever its name.
    if (files.includes('pyvenv.cfg') || dirs.includes('conda-meta')) return [];
    const skip = new Set<string>();
    for (const adapter of placement(dir) === 'inside' ? adapters : []) {
      const found = adapter.detect({ path: dir, dirs, files });
      if (!found) continue;
      roots.push(...found.roots);
      for (const s of found.skip ?? []) skip.add(s);
      if (found.exclusive) break;
    }
    if (depth >= maxDepth) return [];
    const next: string[] = [];
    for (const name of dirs) {
      if (skip.has(name) || excludedNames.has(name)) continue;
      const child = path.join(dir, name);
      if (userExclude && userExclude(toStorePath(workspace, child))) continue;
      if (placement(child) === 'out') continue;
      try {
        const real = await fs.promises.realpath(child);
        if (visitedReal.has(real)) continue;
        visitedReal.add(real);
      } catch {
        continue;
      }
      next.push(child);
    }
    return next;
  };

  // Breadth-first with bounded concurrency: readdir calls overlap in libuv's thread pool.
  let frontier: { dir: string; depth: number }[] = [{ dir: workspace, depth: 0 }];
  while (frontier.length > 0 && !options.signal?.aborted) {
    const nextFrontier: { dir: string; depth: number }[] = [];
    for (let i = 0; i < frontier.length; i += CONCURRENCY) {
      const batch = frontier.slice(i, i + CONCURRENCY);
      const results = await Promise.all(batch.map((f) => visit(f.dir, f.depth)));
      results.forEach((children, j) => {
        for (const c of children) nextFrontier.push({ dir: c, depth: batch[j]!.depth + 1 });
      });
    }
    frontier = nextFrontier;
  }
  roots.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { roots, diagnostics, foldersVisited, folders };
}
