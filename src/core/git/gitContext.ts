// Git context of runs: the repository a run folder lives in, the commit its code came from, the
// branch, whether the working tree had local changes, and where the repository was cloned from.
//
// A scan may place 10,000 runs in one repository, so git is asked once per repository (status,
// remote, first-parent log: three processes) and every run is then answered from memory: the
// repository is found by walking up to `.git`, the commit by a binary search over the log.
//
// Security: only `status`, `remote -v` and `log` are run, with fixed arguments (nothing from the
// workspace but a commit hash git itself printed). `status` is the one that can reach code the
// repository configures: `core.fsmonitor` is switched off for it; clean filters named in
// `.git/config` may still run for files whose stat changed, as they do for VS Code's own git
// support, which is why the host disables the resolver (`enabled: false`) in untrusted
// workspaces. simple-git 4 strips inherited GIT_* variables (GIT_DIR, GIT_CONFIG_*, …), so an
// environment set by a hook or a shell cannot redirect these reads.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { CommitHistory, parseRemotes, parseStatusV2 } from './gitOutput';
import { stripCredentials } from './remoteUrl';
import { RepoRootFinder } from './repoRoot';

export interface GitContext {
  /** Top of the working tree holding the run (absolute); for a worktree or submodule, its own top. */
  repoRoot: string;
  /** Full hash of the commit the run started from; null when it cannot be told (see `commitSource`). */
  commit: string | null;
  /**
   * How `commit` was found: `recorded` by the training tool (kept even when this repository does
   * not have it), inferred from the run's `start-time`, or the current `head` for a run without a
   * start time. Null when `commit` is null.
   */
  commitSource: 'recorded' | 'start-time' | 'head' | null;
  /**
   * The checked-out branch, when `commit` is on its first-parent history (null when HEAD is
   * detached, or the recorded commit is not on this branch).
   */
  branch: string | null;
  /**
   * Whether tracked files differed from `commit` when the run started, as far as can be told:
   * known only for runs of the current HEAD (the working tree says nothing about older commits),
   * else null. Untracked files, `.mlcycle/`, and the run's own folder and outputs do not count:
   * new result files, or tracked metrics a run rewrites (DVC), are not code changes.
   */
  dirty: boolean | null;
  /** Fetch URL of `origin` (else of the first remote), without user name or password for http(s). */
  remote: string | null;
}

export interface GitContextResolverOptions {
  /** False in untrusted workspaces: every resolve answers null and no git process is started. Default true. */
  enabled?: boolean;
  /** Receives one message when git is missing, and one per repository where git fails. */
  logger?: (message: string) => void;
  /** The git executable (e.g. VS Code's `git.path` setting); default `git` from PATH. */
  binary?: string;
  /** How many first-parent commits are loaded per repository (runs older than these get no commit). Default 20,000. */
  maxCommits?: number;
  /** A git process silent for this long is killed and its repository gets no context. Default 60 s. */
  timeoutMs?: number;
}

export interface ResolveOptions {
  /** Files the run wrote (absolute paths); changes to them do not make the run dirty. */
  outputs?: readonly string[];
}

/** What git said about one repository, read once per resolver lifetime (until `invalidate`). */
interface RepoState {
  root: string;
  head: string | null;
  branch: string | null;
  history: CommitHistory;
  /** Changed tracked paths, `.mlcycle/` left out, sorted so a folder's changes form one range. */
  changed: string[];
  remote: string | null;
}

/** Repositories read at once: a workspace of many repositories must not start hundreds of gits. */
const MAX_PARALLEL_REPOS = 4;

const STATUS_ARGS = [
  // A repository-configured fsmonitor is a command git status would execute.
  '-c', 'core.fsmonitor=false',
  // Do not refresh (write) the index: a read must not contend with the user's own git commands.
  '--no-optional-locks',
  'status', '--porcelain=v2', '--branch', '-z',
  // Dirty means tracked changes; listing untracked files would also cost a full walk of outputs.
  '--untracked-files=no',
  // A submodule checked out at another commit counts; its own local edits are not looked into.
  '--ignore-submodules=dirty',
  '--no-renames',
];

const HASH = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export class GitContextResolver {
  private readonly enabled: boolean;
  private readonly log: (message: string) => void;
  private readonly binary: string | undefined;
  private readonly maxCommits: number;
  private readonly timeoutMs: number;
  private readonly roots = new RepoRootFinder();
  private readonly repos = new Map<string, Promise<RepoState | null>>();
  private readonly reported = new Set<string>();
  private gitMissing = false;
  private spawned = 0;
  private activeLoads = 0;
  private readonly waitingLoads: (() => void)[] = [];

  constructor(options: GitContextResolverOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.log = options.logger ?? (() => undefined);
    this.binary = options.binary;
    this.maxCommits = Math.max(1, Math.floor(options.maxCommits ?? 20_000));
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Git processes this resolver has started (for tests and benchmarks). */
  get gitProcessCount(): number {
    return this.spawned;
  }

  /**
   * Git context of the run whose files are in `folder`; null outside any repository, when
   * disabled, or when git is missing or fails there (logged once). Never throws.
   *
   * The commit is `knownCommit` when the format recorded one (e.g. MLflow's
   * `mlflow.source.git.commit`; an abbreviation is expanded when this branch's history has it),
   * else the newest commit at or before `startTimeMs` on the current branch's first-parent
   * history (null if the run predates it), else HEAD when the start time is unknown.
   */
  async resolve(
    folder: string,
    startTimeMs: number | null,
    knownCommit?: string | null,
    options?: ResolveOptions,
  ): Promise<GitContext | null> {
    if (!this.enabled || this.gitMissing) return null;
    try {
      const dir = path.resolve(folder);
      const root = await this.roots.find(dir);
      if (root === null) return null;
      const repo = await this.repo(root);
      if (repo === null) return null;
      return contextOf(repo, dir, startTimeMs, knownCommit ?? null, options?.outputs ?? []);
    } catch (e) {
      // Defensive: file-system surprises while locating the repository must not stop an ingest.
      this.reportOnce('resolve', `git context unavailable for ${folder} (and maybe others): ${firstLine(e)}`);
      return null;
    }
  }

  /**
   * Forgets what was read so the next resolve asks git again: for one repository (e.g. after its
   * HEAD moved, in watch mode) or, without an argument, everything (new repositories, git
   * installed since it was found missing).
   */
  invalidate(repoRoot?: string): void {
    if (repoRoot !== undefined) {
      this.repos.delete(path.resolve(repoRoot));
      return;
    }
    this.repos.clear();
    this.roots.clear();
    this.reported.clear();
    this.gitMissing = false;
  }

  private repo(root: string): Promise<RepoState | null> {
    let state = this.repos.get(root);
    if (state === undefined) {
      state = this.withLoadSlot(() => this.load(root));
      this.repos.set(root, state);
    }
    return state;
  }

  private async load(root: string): Promise<RepoState | null> {
    if (this.gitMissing) return null;
    try {
      const git = this.git(root);
      const [status, remote] = await Promise.allSettled([git.raw(STATUS_ARGS), git.raw(['remote', '-v'])]);
      if (status.status === 'rejected') throw status.reason;
      const summary = parseStatusV2(status.value);
      let history = new CommitHistory('');
      if (summary.head !== null) {
        // The hash comes from git's own output; checked anyway, since it becomes an argument.
        if (!HASH.test(summary.head)) throw new Error(`unexpected HEAD '${summary.head}'`);
        history = new CommitHistory(
          await git.raw(['log', '--first-parent', `--max-count=${this.maxCommits}`, '--format=%H %ct', summary.head, '--']),
        );
      }
      const rawRemote = remote.status === 'fulfilled' ? parseRemotes(remote.value) : null;
      return {
        root,
        head: summary.head,
        branch: summary.branch,
        history,
        changed: summary.changed.filter((p) => !p.split('/').includes('.mlcycle')).sort(),
        remote: rawRemote === null || rawRemote === '' ? null : stripCredentials(rawRemote),
      };
    } catch (e) {
      const message = firstLine(e);
      // spawn reports a vanished working directory as ENOENT too: only a root that still exists
      // means the git binary itself is missing.
      if (/ENOENT/.test(message) && (await isDirectory(root))) {
        if (!this.gitMissing) {
          this.gitMissing = true;
          this.log(`git was not found (${this.binary ?? 'git'}): runs get no git context. ${message}`);
        }
      } else {
        this.reportOnce(root, `git failed in ${root}, its runs get no git context: ${message}`);
      }
      return null;
    }
  }

  private git(root: string): SimpleGit {
    const git = simpleGit({
      baseDir: root,
      maxConcurrentProcesses: 2,
      timeout: { block: this.timeoutMs },
      ...(this.binary === undefined ? {} : { binary: this.binary }),
      // Needed only to pass `-c core.fsmonitor=false` (a constant that turns the feature off).
      unsafe: { allowUnsafeFsMonitor: true },
    });
    // Called once per child process git actually started.
    git.outputHandler(() => {
      this.spawned++;
    });
    return git;
  }

  private async withLoadSlot<T>(work: () => Promise<T>): Promise<T> {
    // A finished load hands its slot straight to the next waiter, so the limit is never overshot.
    if (this.activeLoads >= MAX_PARALLEL_REPOS) await new Promise<void>((take) => this.waitingLoads.push(take));
    else this.activeLoads++;
    try {
      return await work();
    } finally {
      const next = this.waitingLoads.shift();
      if (next !== undefined) next();
      else this.activeLoads--;
    }
  }

  private reportOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log(message);
  }
}

function contextOf(
  repo: RepoState,
  folder: string,
  startTimeMs: number | null,
  knownCommit: string | null,
  outputs: readonly string[],
): GitContext {
  let commit: string | null;
  let commitSource: GitContext['commitSource'];
  const recorded = normalizeRecorded(knownCommit);
  if (recorded !== null) {
    commit = recorded;
    commitSource = 'recorded';
    if (!repo.history.has(recorded) && /^[0-9a-f]{4,39}$/.test(recorded)) {
      commit = repo.history.expand(recorded) ?? recorded;
    }
  } else if (startTimeMs === null || !Number.isFinite(startTimeMs)) {
    commit = repo.head;
    commitSource = 'head';
  } else {
    commit = repo.history.atOrBefore(startTimeMs);
    commitSource = 'start-time';
  }
  if (commit === null) commitSource = null;
  return {
    repoRoot: repo.root,
    commit,
    commitSource,
    branch: commit !== null && repo.history.has(commit) ? repo.branch : null,
    dirty: commit !== null && commit === repo.head ? isDirtyFor(repo, folder, outputs) : null,
    remote: repo.remote,
  };
}

/** Hex hashes are compared lowercase; anything else a tool recorded is kept as written. */
function normalizeRecorded(knownCommit: string | null): string | null {
  const t = knownCommit?.trim() ?? '';
  if (t === '') return null;
  return /^[0-9a-fA-F]+$/.test(t) ? t.toLowerCase() : t;
}

function isDirtyFor(repo: RepoState, folder: string, outputs: readonly string[]): boolean {
  const changed = repo.changed;
  let count = changed.length;
  if (count === 0) return false;
  const rel = relativePosix(repo.root, folder);
  const prefix = rel === null || rel === '' ? null : `${rel}/`;
  if (prefix !== null) {
    // Sorted paths sharing a prefix are contiguous: count the run folder's range in O(log n).
    count -= lowerBound(changed, `${prefix}\uffff`) - lowerBound(changed, prefix);
  }
  const seen = new Set<string>();
  for (const out of outputs) {
    const r = relativePosix(repo.root, path.resolve(out));
    if (r === null || r === '' || seen.has(r) || (prefix !== null && r.startsWith(prefix))) continue;
    seen.add(r);
    const i = lowerBound(changed, r);
    if (changed[i] === r) count--;
  }
  return count > 0;
}

/** `target` relative to `root` with '/' separators, or null when it is outside. */
function relativePosix(root: string, target: string): string | null {
  const rel = path.relative(root, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.trim().split('\n')[0] ?? '';
}
