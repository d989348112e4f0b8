// Parsers for the few git outputs the resolver reads, and the commit history it searches. Kept
// apart from the process handling so they are plain functions over strings.

export interface StatusSummary {
  /** HEAD's commit; null in a repository without commits. */
  head: string | null;
  /** Checked-out branch; null when HEAD is detached. */
  branch: string | null;
  /** Paths (relative to the repository root, '/' separated) of tracked files that differ from HEAD. */
  changed: string[];
}

/** Parses `git status --porcelain=v2 --branch -z` (untracked files are not asked for). */
export function parseStatusV2(out: string): StatusSummary {
  let head: string | null = null;
  let branch: string | null = null;
  const changed: string[] = [];
  const records = out.split('\0');
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] ?? '';
    if (rec.startsWith('# branch.oid ')) {
      const oid = rec.slice('# branch.oid '.length);
      head = oid === '(initial)' ? null : oid;
    } else if (rec.startsWith('# branch.head ')) {
      const name = rec.slice('# branch.head '.length);
      branch = name === '(detached)' ? null : name;
    } else if (rec.startsWith('1 ')) {
      pushPath(changed, rec, 8);
    } else if (rec.startsWith('2 ')) {
      pushPath(changed, rec, 9);
      // With -z a rename's original path is the next record.
      const orig = records[++i];
      if (orig !== undefined && orig !== '') changed.push(orig);
    } else if (rec.startsWith('u ')) {
      pushPath(changed, rec, 10);
    }
  }
  return { head, branch, changed };
}

/** The path is what follows the first `fields` space-separated fields; it may itself hold spaces. */
function pushPath(into: string[], record: string, fields: number): void {
  let at = 0;
  for (let f = 0; f < fields; f++) {
    at = record.indexOf(' ', at) + 1;
    if (at === 0) return;
  }
  into.push(record.slice(at));
}

/** The fetch URL of `origin` from `git remote -v`, else of the first remote listed; null if none. */
export function parseRemotes(out: string): string | null {
  let first: string | null = null;
  for (const line of out.split('\n')) {
    const m = /^(\S+)\t(.*) \(fetch\)$/.exec(line.replace(/\r$/, ''));
    if (m === null) continue;
    const [, name = '', url = ''] = m;
    if (name === 'origin') return url;
    first ??= url;
  }
  return first;
}

/**
 * HEAD's first-parent history, newest first, with committer times: the commits that were checked
 * out on this branch, and when each arrived on it (a rebase or amend moves the committer time with
 * the commit, which is what "what was checked out at time T" needs; the author time does not move).
 */
export class CommitHistory {
  private readonly hashes: string[] = [];
  /** Running minimum of the committer times (seconds) from the newest commit down: non-increasing, so binary-searchable even when clocks made the raw times unordered. */
  private readonly floor: number[] = [];
  private readonly index = new Map<string, number>();

  /** Parses `git log --format='%H %ct'`. */
  constructor(logOutput: string) {
    let min = Infinity;
    for (const line of logOutput.split('\n')) {
      const m = /^([0-9a-f]{40,64}) (-?\d+)$/.exec(line.trim());
      if (m === null) continue;
      const hash = m[1] ?? '';
      min = Math.min(min, Number(m[2]));
      this.index.set(hash, this.hashes.length);
      this.hashes.push(hash);
      this.floor.push(min);
    }
  }

  get length(): number {
    return this.hashes.length;
  }

  has(hash: string): boolean {
    return this.index.has(hash);
  }

  /**
   * The newest commit whose committer time is at or before `timeMs`, or null when the history
   * starts later (the run predates every commit this branch has, or the loaded part of it). The
   * first index whose running minimum is ≤ t is exactly the first commit whose own time is ≤ t.
   */
  atOrBefore(timeMs: number): string | null {
    const t = Math.floor(timeMs / 1000);
    let lo = 0;
    let hi = this.floor.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.floor[mid] ?? -Infinity) <= t) hi = mid;
      else lo = mid + 1;
    }
    return this.hashes[lo] ?? null;
  }

  /** The full hash of an abbreviated one when exactly one commit of the history starts with it. */
  expand(prefix: string): string | null {
    let match: string | null = null;
    for (const h of this.hashes) {
      if (!h.startsWith(prefix)) continue;
      if (match !== null) return null;
      match = h;
    }
    return match;
  }
}
