// A listing of every file of a workspace, to prove what was (not) written where: taken by the driver before the
// server starts and compared by the in-host tests and the driver afterwards.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Entry {
  type: 'file' | 'dir' | 'link';
  size: number;
  mtimeMs: number;
}

/** Every file and folder below `folder` (relative POSIX paths), with size and mtime; `.git/` left out. */
export function listing(folder: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (dir: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, d.name);
      const rel = path.relative(folder, abs).split(path.sep).join('/');
      if (rel === '.git') continue;
      const st = fs.lstatSync(abs);
      out[rel] = { type: d.isSymbolicLink() ? 'link' : d.isDirectory() ? 'dir' : 'file', size: d.isDirectory() ? 0 : st.size, mtimeMs: st.mtimeMs };
      if (d.isDirectory()) walk(abs);
    }
  };
  walk(folder);
  return out;
}

/** What changed between two listings, except below the folders in `allowed` (e.g. `.mlcycle`). */
export function listingChanges(before: Record<string, Entry>, after: Record<string, Entry>, allowed: string[] = []): string[] {
  const inAllowed = (p: string): boolean => allowed.some((a) => p === a || p.startsWith(a + '/'));
  const changes: string[] = [];
  for (const [p, e] of Object.entries(after)) {
    if (inAllowed(p)) continue;
    const b = before[p];
    if (!b) changes.push(`added ${p}`);
    else if (e.type !== b.type || (e.type === 'file' && (e.size !== b.size || e.mtimeMs !== b.mtimeMs))) changes.push(`changed ${p}`);
  }
  for (const p of Object.keys(before)) if (!inAllowed(p) && !(p in after)) changes.push(`removed ${p}`);
  return changes;
}
