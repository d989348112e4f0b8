// Finds the working tree that holds a folder the way git itself does, by looking for `.git` on the
// way up, so that placing 10,000 run folders costs a few cached stats instead of a git process each.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export class RepoRootFinder {
  // One entry per directory ever asked about (run folders and their ancestors): sibling runs share
  // their parents' answers, and concurrent lookups share one pending promise.
  private readonly cache = new Map<string, Promise<string | null>>();

  /** The top of the working tree containing `folder` (absolute), or null outside any repository. */
  find(folder: string): Promise<string | null> {
    const dir = path.resolve(folder);
    let found = this.cache.get(dir);
    if (found === undefined) {
      found = this.lookUp(dir);
      this.cache.set(dir, found);
    }
    return found;
  }

  clear(): void {
    this.cache.clear();
  }

  private async lookUp(dir: string): Promise<string | null> {
    if (await hasGitMarker(dir)) return dir;
    const parent = path.dirname(dir);
    return parent === dir ? null : this.find(parent);
  }
}

/**
 * `.git` is either the repository directory (it has a HEAD) or, for linked worktrees and
 * submodules, a file whose first line is `gitdir: <path>`. Anything else named `.git` is skipped,
 * as git skips it, and the search goes on upwards.
 */
async function hasGitMarker(dir: string): Promise<boolean> {
  const marker = path.join(dir, '.git');
  try {
    const st = await fsp.stat(marker);
    if (st.isDirectory()) {
      await fsp.access(path.join(marker, 'HEAD'));
      return true;
    }
    if (!st.isFile()) return false;
    const handle = await fsp.open(marker, 'r');
    try {
      const buf = Buffer.alloc(16);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8').startsWith('gitdir:');
    } finally {
      await handle.close();
    }
  } catch {
    // Missing, unreadable, or `dir` is not a directory at all (ENOTDIR): not a repository here.
    return false;
  }
}
