// Git context of runs, on real repositories made with the system git in temporary folders. Commit
// times are fixed through GIT_COMMITTER_DATE so start-time inference is checked against known times.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitContextResolver } from '../../src/core/git/gitContext';
import { CommitHistory, parseRemotes, parseStatusV2 } from '../../src/core/git/gitOutput';
import { stripCredentials } from '../../src/core/git/remoteUrl';
import { tempDir, writeFile } from '../helpers/temp';

const T1 = 1_700_000_000; // seconds
const T2 = T1 + 1_000;
const T3 = T1 + 2_000;

// The test's own git calls ignore the user's global and system config (signing, hooks, default
// branch names) so the repositories are the same everywhere.
const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env['PATH'],
  HOME: process.env['HOME'],
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, { cwd, env: { ...GIT_ENV, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function initRepo(dir = tempDir('mlcycle-git-')): string {
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Test']);
  git(dir, ['config', 'user.email', 'test@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  return dir;
}

/** Commits `file` with `content` at `seconds` (author and committer time); returns the hash. */
function commitAt(repo: string, seconds: number, file = 'train.py', content = `# ${seconds}\n`): string {
  writeFile(path.join(repo, file), content);
  git(repo, ['add', '--', file]);
  const date = `${seconds} +0000`;
  git(repo, ['commit', '-q', '-m', `at ${seconds}`], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return git(repo, ['rev-parse', 'HEAD']);
}

/** A repository with commits at T1, T2, T3 on main and a run folder `runs/r1`. */
function threeCommitRepo(): { repo: string; c1: string; c2: string; c3: string; run: string } {
  const repo = initRepo();
  const c1 = commitAt(repo, T1);
  const c2 = commitAt(repo, T2);
  const c3 = commitAt(repo, T3);
  const run = path.join(repo, 'runs', 'r1');
  fs.mkdirSync(run, { recursive: true });
  return { repo, c1, c2, c3, run };
}

function collectingLogger(): { messages: string[]; logger: (m: string) => void } {
  const messages: string[] = [];
  return { messages, logger: (m) => messages.push(m) };
}

describe('git context', () => {
  describe('commit a run started from', () => {
    it('is the newest commit at or before the start time, null before the first commit', async () => {
      const { repo, c1, c2, c3, run } = threeCommitRepo();
      const resolver = new GitContextResolver();
      const between = await resolver.resolve(run, (T1 + 500) * 1000, null);
      assert.deepEqual(between, {
        repoRoot: repo,
        commit: c1,
        commitSource: 'start-time',
        branch: 'main',
        dirty: null, // an older commit: today's working tree says nothing about it
        remote: null,
      });
      assert.equal((await resolver.resolve(run, T2 * 1000, null))?.commit, c2, 'a commit made at the start instant counts');
      assert.equal((await resolver.resolve(run, T2 * 1000 - 1, null))?.commit, c1);
      const latest = await resolver.resolve(run, (T3 + 60) * 1000, null);
      assert.equal(latest?.commit, c3);
      assert.equal(latest?.dirty, false, 'a run of HEAD gets the working tree state');
      const before = await resolver.resolve(run, (T1 - 1) * 1000, null);
      // Its code was in no commit yet: no commit, so no branch or dirty state to claim either.
      assert.deepEqual(before, { repoRoot: repo, commit: null, commitSource: null, branch: null, dirty: null, remote: null });
    });

    it('is HEAD when the run has no start time', async () => {
      const { c3, run } = threeCommitRepo();
      const ctx = await new GitContextResolver().resolve(run, null);
      assert.equal(ctx?.commit, c3);
      assert.equal(ctx?.commitSource, 'head');
      assert.equal(ctx?.dirty, false);
    });

    it('keeps a commit the format recorded, expands an abbreviation, keeps one the repository lacks', async () => {
      const { repo, c1, run } = threeCommitRepo();
      const resolver = new GitContextResolver();
      // The recorded commit wins over the start time.
      const full = await resolver.resolve(run, (T3 + 60) * 1000, c1);
      assert.equal(full?.commit, c1);
      assert.equal(full?.commitSource, 'recorded');
      assert.equal(full?.branch, 'main');
      assert.equal(full?.dirty, null);
      const short = await resolver.resolve(run, null, `  ${c1.slice(0, 10).toUpperCase()} `);
      assert.equal(short?.commit, c1);
      const foreign = 'ab'.repeat(20);
      const kept = await resolver.resolve(run, null, foreign);
      assert.equal(kept?.commit, foreign);
      assert.equal(kept?.commitSource, 'recorded');
      assert.equal(kept?.branch, null, 'not on this branch: the branch is not claimed');
      assert.equal(kept?.remote, null);
      assert.equal(kept?.repoRoot, repo);
      // Empty means not recorded.
      assert.equal((await resolver.resolve(run, null, ''))?.commitSource, 'head');
    });

    it('does not claim the branch for a recorded commit made on another branch', async () => {
      const { repo, run } = threeCommitRepo();
      git(repo, ['checkout', '-q', '-b', 'side']);
      const side = commitAt(repo, T3 + 100, 'side.py');
      git(repo, ['checkout', '-q', 'main']);
      const ctx = await new GitContextResolver().resolve(run, null, side);
      assert.equal(ctx?.commit, side);
      assert.equal(ctx?.branch, null);
    });

    it('searches the first-parent history even when committer clocks went backwards', () => {
      // Newest first; the middle commit claims a time later than its child's.
      const h = (c: string): string => c.repeat(40);
      const history = new CommitHistory(`${h('c')} 300\n${h('b')} 500\n${h('a')} 100\n`);
      assert.equal(history.length, 3);
      assert.equal(history.atOrBefore(350_000), h('c'));
      assert.equal(history.atOrBefore(299_000), h('a'), 'b claims 500 s, so it cannot be what ran at 299 s');
      assert.equal(history.atOrBefore(99_000), null);
      assert.equal(history.expand('ccc'), h('c'));
    });
  });

  describe('branch', () => {
    it('names the checked-out branch', async () => {
      const { repo, run } = threeCommitRepo();
      git(repo, ['checkout', '-q', '-b', 'feature/long-run']);
      const ctx = await new GitContextResolver().resolve(run, null);
      assert.equal(ctx?.branch, 'feature/long-run');
    });

    it('is null on a detached HEAD, whose commit still answers', async () => {
      const { repo, c2, run } = threeCommitRepo();
      git(repo, ['checkout', '-q', '--detach', c2]);
      const resolver = new GitContextResolver();
      const ctx = await resolver.resolve(run, null);
      assert.equal(ctx?.commit, c2);
      assert.equal(ctx?.branch, null);
      assert.equal((await resolver.resolve(run, (T1 + 1) * 1000))?.branch, null);
    });
  });

  describe('dirty state', () => {
    it('counts modified tracked files, not untracked ones, .mlcycle/, or the run\'s own files', async () => {
      const { repo, run } = threeCommitRepo();
      commitAt(repo, T3 + 10, 'runs/r1/metrics.json', '{"loss": 1}\n');
      commitAt(repo, T3 + 20, '.mlcycle/registry.jsonl', '{}\n');
      commitAt(repo, T3 + 30, 'metrics.json', '{"acc": 0.5}\n');
      const other = path.join(repo, 'runs', 'r2');
      fs.mkdirSync(other, { recursive: true });

      // Untracked outputs and MLCycle's own files are not code changes.
      writeFile(path.join(run, 'model.pkl'), 'new output');
      writeFile(path.join(repo, 'notes.txt'), 'untracked');
      writeFile(path.join(repo, '.mlcycle', 'registry.jsonl'), '{}\n{}\n');
      assert.equal((await new GitContextResolver().resolve(run, null))?.dirty, false);

      // A tracked file the run rewrote, inside its own folder: dirty for other runs only.
      writeFile(path.join(run, 'metrics.json'), '{"loss": 0.5}\n');
      let resolver = new GitContextResolver();
      assert.equal((await resolver.resolve(run, null))?.dirty, false);
      assert.equal((await resolver.resolve(other, null))?.dirty, true);

      // A tracked output elsewhere, declared by the caller, does not count either.
      git(repo, ['checkout', '-q', '--', 'runs/r1/metrics.json']);
      writeFile(path.join(repo, 'metrics.json'), '{"acc": 0.7}\n');
      resolver = new GitContextResolver();
      assert.equal((await resolver.resolve(run, null))?.dirty, true);
      assert.equal((await resolver.resolve(run, null, null, { outputs: [path.join(repo, 'metrics.json')] }))?.dirty, false);

      // Code changes, staged or not, do.
      git(repo, ['checkout', '-q', '--', 'metrics.json']);
      writeFile(path.join(repo, 'train.py'), '# edited\n');
      resolver = new GitContextResolver();
      assert.equal((await resolver.resolve(run, null))?.dirty, true);
      git(repo, ['add', 'train.py']);
      assert.equal((await new GitContextResolver().resolve(run, null))?.dirty, true);
    });

    it('is read once per repository until invalidate()', async () => {
      const { repo, c3, run } = threeCommitRepo();
      const resolver = new GitContextResolver();
      assert.equal((await resolver.resolve(run, null))?.dirty, false);
      writeFile(path.join(repo, 'train.py'), '# edited\n');
      assert.equal((await resolver.resolve(run, null))?.dirty, false, 'cached');
      resolver.invalidate(repo);
      assert.equal((await resolver.resolve(run, null))?.dirty, true);
      // A new HEAD is seen after invalidate() too.
      git(repo, ['checkout', '-q', '--', 'train.py']);
      const c4 = commitAt(repo, T3 + 500);
      assert.equal((await resolver.resolve(run, null))?.commit, c3, 'cached');
      resolver.invalidate();
      const ctx = await resolver.resolve(run, null);
      assert.equal(ctx?.commit, c4);
      assert.equal(ctx?.dirty, false);
    });
  });

  describe('remote', () => {
    it('is origin\'s URL without credentials', async () => {
      const { repo, run } = threeCommitRepo();
      git(repo, ['remote', 'add', 'backup', 'git@example.com:team/backup.git']);
      git(repo, ['remote', 'add', 'origin', 'https://alice:s3cret@example.com/team/model.git']);
      const ctx = await new GitContextResolver().resolve(run, null);
      assert.equal(ctx?.remote, 'https://example.com/team/model.git');
    });

    it('falls back to the first remote when there is no origin', () => {
      assert.equal(parseRemotes('backup\tgit@h:a.git (fetch)\nbackup\tgit@h:a.git (push)\nup\thttps://h/b (fetch)\n'), 'git@h:a.git');
      assert.equal(parseRemotes(''), null);
    });

    it('strips passwords and http tokens, keeps ssh users and local paths', () => {
      const cases: [string, string][] = [
        ['https://alice:s3cret@github.com/org/repo.git', 'https://github.com/org/repo.git'],
        ['https://ghp_abcdef123456@github.com/org/repo.git', 'https://github.com/org/repo.git'],
        ['HTTP://x-access-token:t@host:8080/r?x=1', 'HTTP://host:8080/r?x=1'],
        ['https://user:p@ss@host/repo', 'https://host/repo'],
        ['ssh://git@host:2222/org/repo.git', 'ssh://git@host:2222/org/repo.git'],
        ['ssh://git:pw@host/org/repo.git', 'ssh://git@host/org/repo.git'],
        ['git@github.com:org/repo.git', 'git@github.com:org/repo.git'],
        ['https://github.com/org/repo.git', 'https://github.com/org/repo.git'],
        ['/srv/git/repo.git', '/srv/git/repo.git'],
        ['file:///srv/git/repo.git', 'file:///srv/git/repo.git'],
      ];
      for (const [url, expected] of cases) assert.equal(stripCredentials(url), expected, url);
    });
  });

  describe('where the repository is', () => {
    it('is null for a folder outside any repository', async () => {
      const outside = tempDir('mlcycle-nogit-');
      const resolver = new GitContextResolver();
      assert.equal(await resolver.resolve(path.join(outside, 'mlruns', '0', 'abc'), 1_000, null), null);
      assert.equal(resolver.gitProcessCount, 0);
    });

    it('finds the repository of a folder deep inside it', async () => {
      const { repo, c3 } = threeCommitRepo();
      const deep = path.join(repo, 'a', 'b', 'c', 'd', 'e', 'f', 'mlruns', '1', 'run');
      fs.mkdirSync(deep, { recursive: true });
      const ctx = await new GitContextResolver().resolve(deep, null);
      assert.equal(ctx?.repoRoot, repo);
      assert.equal(ctx?.commit, c3);
    });

    it('follows a linked worktree (a .git file with gitdir:) to its own branch and HEAD', async () => {
      const { repo, c2 } = threeCommitRepo();
      const wt = path.join(tempDir('mlcycle-wt-'), 'wt');
      git(repo, ['worktree', 'add', '-q', '-b', 'experiment', wt, c2]);
      assert.ok(fs.statSync(path.join(wt, '.git')).isFile());
      const run = path.join(wt, 'outputs', 'run-1');
      fs.mkdirSync(run, { recursive: true });
      const ctx = await new GitContextResolver().resolve(run, null);
      assert.equal(ctx?.repoRoot, wt);
      assert.equal(ctx?.commit, c2);
      assert.equal(ctx?.branch, 'experiment');
      assert.equal(ctx?.dirty, false);
    });

    it('answers for a repository without commits', async () => {
      const repo = initRepo();
      git(repo, ['remote', 'add', 'origin', 'https://example.com/new.git']);
      writeFile(path.join(repo, 'train.py'), 'print(1)\n');
      const resolver = new GitContextResolver();
      const ctx = await resolver.resolve(path.join(repo, 'runs'), Date.now(), null);
      assert.deepEqual(ctx, {
        repoRoot: repo,
        commit: null,
        commitSource: null,
        branch: null,
        dirty: null,
        remote: 'https://example.com/new.git',
      });
      assert.equal(resolver.gitProcessCount, 2, 'status and remote; no log without commits');
    });

    it('ignores GIT_DIR and friends inherited from the environment', async () => {
      const { repo, c3, run } = threeCommitRepo();
      const elsewhere = initRepo();
      commitAt(elsewhere, T1);
      const saved = process.env['GIT_DIR'];
      process.env['GIT_DIR'] = path.join(elsewhere, '.git');
      try {
        const ctx = await new GitContextResolver().resolve(run, null);
        assert.equal(ctx?.repoRoot, repo);
        assert.equal(ctx?.commit, c3);
      } finally {
        if (saved === undefined) delete process.env['GIT_DIR'];
        else process.env['GIT_DIR'] = saved;
      }
    });
  });

  describe('safety and failure', () => {
    it('starts no git process at all when disabled', async () => {
      const { run } = threeCommitRepo();
      const resolver = new GitContextResolver({ enabled: false });
      assert.equal(await resolver.resolve(run, null, 'ab'.repeat(20)), null);
      assert.equal(resolver.gitProcessCount, 0);
    });

    it('never runs a repository-configured fsmonitor command', async () => {
      const { repo, run } = threeCommitRepo();
      const marker = path.join(tempDir('mlcycle-marker-'), 'ran');
      git(repo, ['config', 'core.fsmonitor', `touch '${marker}'; false`]);
      writeFile(path.join(repo, 'train.py'), '# edited\n');
      const ctx = await new GitContextResolver().resolve(run, null);
      assert.equal(ctx?.dirty, true);
      assert.equal(fs.existsSync(marker), false);
    });

    it('logs once and answers null when git is missing', async () => {
      const { run } = threeCommitRepo();
      const other = threeCommitRepo();
      const { messages, logger } = collectingLogger();
      const resolver = new GitContextResolver({ binary: 'mlcycle-no-such-git', logger });
      const results = await Promise.all([
        resolver.resolve(run, null),
        resolver.resolve(other.run, null),
        resolver.resolve(path.join(run, 'x'), 1_000),
      ]);
      assert.deepEqual(results, [null, null, null]);
      assert.equal(await resolver.resolve(run, null), null);
      assert.equal(messages.length, 1, messages.join('\n'));
      assert.match(messages[0] ?? '', /git was not found/);
    });

    it('logs once per broken repository and still answers for the others', async () => {
      const broken = tempDir('mlcycle-broken-');
      writeFile(path.join(broken, '.git', 'HEAD'), 'not a ref\n');
      const { c3, run } = threeCommitRepo();
      const { messages, logger } = collectingLogger();
      const resolver = new GitContextResolver({ logger });
      assert.equal(await resolver.resolve(path.join(broken, 'runs', 'a'), null), null);
      assert.equal(await resolver.resolve(path.join(broken, 'runs', 'b'), null), null);
      assert.equal((await resolver.resolve(run, null))?.commit, c3);
      assert.equal(messages.length, 1, messages.join('\n'));
      assert.match(messages[0] ?? '', /git failed in/);
    });
  });

  describe('cost', () => {
    it('resolves 1,000 runs of one repository with 3 git processes', async () => {
      const { repo, c1, c2, c3 } = threeCommitRepo();
      const folders: string[] = [];
      for (let i = 0; i < 1_000; i++) folders.push(path.join(repo, 'mlruns', String(i % 10), `run-${i}`));
      const resolver = new GitContextResolver();
      // Concurrently, as an ingest would: every run shares the one pending read of the repository.
      const all = await Promise.all(folders.map((f, i) => resolver.resolve(f, (T1 + (i % 3) * 1_000 + 1) * 1000, null)));
      assert.equal(resolver.gitProcessCount, 3);
      assert.deepEqual(
        all.slice(0, 3).map((c) => c?.commit),
        [c1, c2, c3],
      );
      assert.ok(all.every((c) => c?.repoRoot === repo));
      // And again one by one: nothing more is spawned.
      for (const f of folders) await resolver.resolve(f, null);
      assert.equal(resolver.gitProcessCount, 3);
      resolver.invalidate(repo);
      await resolver.resolve(folders[0] ?? repo, null);
      assert.equal(resolver.gitProcessCount, 6);
    });

    it('reads many repositories at once (a few at a time), each once', async () => {
      const repos = Array.from({ length: 7 }, (_, i) => {
        const repo = initRepo();
        return { repo, head: commitAt(repo, T1 + i) };
      });
      const resolver = new GitContextResolver();
      const all = await Promise.all(
        repos.flatMap(({ repo }) => [0, 1, 2].map((k) => resolver.resolve(path.join(repo, 'runs', String(k)), null))),
      );
      assert.deepEqual(
        all.map((c) => c?.commit),
        repos.flatMap(({ head }) => [head, head, head]),
      );
      assert.equal(resolver.gitProcessCount, 3 * repos.length);
    });
  });

  describe('status parsing', () => {
    it('reads branch, HEAD and changed paths (with spaces, renames, conflicts) from porcelain v2', () => {
      const oid = 'a'.repeat(40);
      const h = '0'.repeat(40);
      const out = [
        `# branch.oid ${oid}`,
        '# branch.head main',
        `1 .M N... 100644 100644 100644 ${h} ${h} src/my file.py`,
        `2 R. N... 100644 100644 100644 ${h} ${h} R100 new name.py`,
        'old name.py',
        `u UU N... 100644 100644 100644 100644 ${h} ${h} ${h} conflict.py`,
        '',
      ].join('\0');
      assert.deepEqual(parseStatusV2(out), {
        head: oid,
        branch: 'main',
        changed: ['src/my file.py', 'new name.py', 'old name.py', 'conflict.py'],
      });
      assert.deepEqual(parseStatusV2('# branch.oid (initial)\0# branch.head (detached)\0'), { head: null, branch: null, changed: [] });
    });
  });
});
