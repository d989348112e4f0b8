// Team sharing through git, on real repositories made with the system git in temporary folders:
// registry actions written as GTO tags (names, messages, commits), pushed to a bare remote, read
// back by a second clone, GTO's own tags read right, and every way it must stay quiet or fail soft.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main, type Io } from '../../src/cli/main';
import { gtoAdapter } from '../../src/core/ingest/gto/adapter';
import {
  buildGtoRegistry,
  compareVersionLabels,
  describeGitTags,
  gtoNameProblem,
  mlcycleVersion,
  nextCounter,
  parseGtoTag,
  readGitTags,
  type GitTagsReport,
} from '../../src/core/registry/gitTags';
import { invalidName } from '../../src/core/registry/names';
import type { Registry } from '../../src/core/registry/registry';
import { listSourceModels, type SourceModelRow } from '../../src/core/store/queries';
import { Workspace } from '../../src/core/workspace';
import { tempDir, writeFile } from '../helpers/temp';

const T1 = 1_700_000_000; // seconds
const ACTOR = 'Ada Lovelace <ada@example.com>';

// The test's own git calls, and MLCycle's, ignore the user's global and system config (signing,
// hooks, default branch names) so the repositories are the same everywhere.
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
  // The test's own commits must not set off the programs trapRepositoryPrograms plants.
  return execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args], { cwd, env: { ...GIT_ENV, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function initRepo(dir = tempDir('mlcycle-gto-')): string {
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Test']);
  git(dir, ['config', 'user.email', 'test@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  // The store and the objects are MLCycle's own; the policy would be committed in a real team.
  writeFile(path.join(dir, '.gitignore'), '.mlcycle/\n');
  return dir;
}

function commitAt(repo: string, seconds: number, file = 'train.py'): string {
  writeFile(path.join(repo, file), `# ${seconds}\n`);
  git(repo, ['add', '--', file, '.gitignore']);
  const date = `${seconds} +0000`;
  git(repo, ['commit', '-q', '-m', `at ${seconds}`], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return git(repo, ['rev-parse', 'HEAD']);
}

/** Tag name → [annotated?, peeled commit, subject, tagger] of every tag of `repo`. */
function tagsOf(repo: string): Map<string, { annotated: boolean; commit: string; message: string; tagger: string; date: number }> {
  const out = new Map<string, { annotated: boolean; commit: string; message: string; tagger: string; date: number }>();
  const text = git(repo, ['for-each-ref', '--format=%(refname:strip=2)%09%(objecttype)%09%(*objectname)%09%(contents:subject)%09%(taggername) %(taggeremail)%09%(taggerdate:unix)', 'refs/tags']);
  for (const line of text.split('\n').filter(Boolean)) {
    const [name = '', type = '', commit = '', message = '', tagger = '', date = ''] = line.split('\t');
    out.set(name, { annotated: type === 'tag', commit, message, tagger, date: Number(date) });
  }
  return out;
}

/** Tagger dates of the tags MLCycle writes come from git's own GIT_COMMITTER_DATE. */
function at(seconds: number): void {
  process.env['GIT_COMMITTER_DATE'] = `${seconds} +0000`;
}

const SAVED_ENV = ['GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL', 'GIT_COMMITTER_DATE', 'MLCYCLE_GIT_TAGS', 'MLCYCLE_ACTOR', 'PATH', 'MLCYCLE_TEST_GIT_LOG'];
let savedEnv: Record<string, string | undefined> = {};
const open: Workspace[] = [];

beforeEach(() => {
  savedEnv = Object.fromEntries(SAVED_ENV.map((k) => [k, process.env[k]]));
  process.env['GIT_CONFIG_NOSYSTEM'] = '1';
  process.env['GIT_CONFIG_GLOBAL'] = '/dev/null';
  delete process.env['MLCYCLE_GIT_TAGS'];
  delete process.env['MLCYCLE_ACTOR'];
});
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function workspace(folder: string, options: Parameters<typeof Workspace.open>[1] = {}): Promise<{ ws: Workspace; registry: Registry }> {
  const ws = await Workspace.open(folder, { workers: 0, ...options });
  open.push(ws);
  return { ws, registry: ws.registry({ actor: () => ACTOR }) };
}

function policy(repo: string, text: string): void {
  writeFile(path.join(repo, '.mlcycle', 'policy.yaml'), text);
}

function names(report: GitTagsReport | null): string[] {
  return report?.tags.map((t) => t.name) ?? [];
}

function warnings(io: { stderr: string[] }): string[] {
  return io.stderr.filter((l) => l.startsWith('warning:'));
}

// A `git` on PATH that logs every call and runs the real one: proof of what was (not) started.
function loggingGit(): string {
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const bin = tempDir('mlcycle-gto-bin-');
  const log = path.join(bin, 'calls.log');
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> "${log}"\nexec "${real}" "$@"\n`, { mode: 0o755 });
  process.env['PATH'] = `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`;
  fs.writeFileSync(log, '');
  return log;
}

/**
 * Programs a repository's config can name, each leaving a mark when run: MLCycle must run none
 * (hooks on ref updates and pushes, a signing program, fsmonitor).
 */
function trapRepositoryPrograms(repo: string): string {
  const marks = tempDir('mlcycle-gto-marks-');
  const script = (name: string, exit = 0): string => {
    const file = path.join(marks, `${name}.sh`);
    fs.writeFileSync(file, `#!/bin/sh\ntouch "${path.join(marks, name)}"\nexit ${exit}\n`, { mode: 0o755 });
    return file;
  };
  const hooks = path.join(repo, '.git', 'hooks');
  fs.mkdirSync(hooks, { recursive: true });
  fs.copyFileSync(script('reference-transaction'), path.join(hooks, 'reference-transaction'));
  fs.copyFileSync(script('pre-push', 1), path.join(hooks, 'pre-push'));
  fs.chmodSync(path.join(hooks, 'reference-transaction'), 0o755);
  fs.chmodSync(path.join(hooks, 'pre-push'), 0o755);
  git(repo, ['config', 'tag.gpgSign', 'true']);
  git(repo, ['config', 'gpg.program', script('gpg', 1)]);
  git(repo, ['config', 'core.fsmonitor', script('fsmonitor')]);
  return marks;
}

function marksLeft(marks: string): string[] {
  return fs.readdirSync(marks).filter((f) => !f.endsWith('.sh'));
}

function capture(cwd: string): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

/** The store's read-only registries, as `mlcycle models` lists them. */
async function gtoModels(ws: Workspace): Promise<SourceModelRow[]> {
  await ws.ingestor.scan();
  return ws.store.read((db) => listSourceModels(db)).filter((m) => m.kind === 'gto');
}

/**
 * Two versions on two commits, v1 to staging then production, then v2 to production (v1 demoted):
 * the life cycle every test below shares.
 */
async function lifeCycle(repo: string, registry: Registry, c1: string): Promise<{ c2: string; reports: GitTagsReport[] }> {
  writeFile(path.join(repo, 'model.pkl'), 'weights 1');
  at(T1 + 10);
  const v1 = await registry.register({ model: 'churn', path: 'model.pkl' });
  const c2 = commitAt(repo, T1 + 100);
  writeFile(path.join(repo, 'model.pkl'), 'weights 2');
  at(T1 + 110);
  const v2 = await registry.register({ model: 'churn', path: 'model.pkl' });
  at(T1 + 200);
  const s1 = await registry.setStage({ model: 'churn', version: 1, stage: 'staging' });
  at(T1 + 300);
  const p1 = await registry.setStage({ model: 'churn', version: 1, stage: 'production' });
  at(T1 + 400);
  const p2 = await registry.setStage({ model: 'churn', version: 2, stage: 'production' });
  assert.deepEqual(p2.demoted, [1]);
  assert.equal(v1.version, 1);
  assert.equal(c1 !== c2, true);
  return { c2, reports: [v1.gitTags!, v2.gitTags!, s1.gitTags!, p1.gitTags!, p2.gitTags!] };
}

describe('git tags (GTO)', function () {
  this.timeout(60_000);

  describe('names', () => {
    it("parses every kind of GTO tag with GTO's regex, and refuses what GTO refuses", () => {
      assert.deepEqual(parseGtoTag('m@v1.2.3'), { tag: 'm@v1.2.3', artifact: 'm', action: 'register', version: 'v1.2.3', stage: null, counter: null });
      assert.deepEqual(parseGtoTag('m@v1.2.3#1'), { tag: 'm@v1.2.3#1', artifact: 'm', action: 'register', version: 'v1.2.3', stage: null, counter: 1 });
      assert.equal(parseGtoTag('m@v1.2.3!')?.action, 'deregister');
      assert.deepEqual(parseGtoTag('m#prod#5'), { tag: 'm#prod#5', artifact: 'm', action: 'assign', version: null, stage: 'prod', counter: 5 });
      assert.deepEqual(parseGtoTag('m#prod!#6'), { tag: 'm#prod!#6', artifact: 'm', action: 'unassign', version: null, stage: 'prod', counter: 6 });
      assert.equal(parseGtoTag('m#prod')?.counter, null);
      assert.equal(parseGtoTag('m@deprecated')?.action, 'deprecate');
      assert.equal(parseGtoTag('m@created#3')?.action, 'create');
      assert.equal(parseGtoTag('path/to=model@v2.0.0-rc.1+build.5')?.artifact, 'path/to:model');
      assert.equal(parseGtoTag('churn_model-2#production#12')?.artifact, 'churn_model-2');
      for (const bad of ['v1.2.3', 'm@1.2.3', 'm@v1.2', 'm@v01.2.3', 'churn.v2@v1.0.0', '-m@v1.0.0', 'm-@v1.0.0', 'm#prod#x', 'm@latest', 'm#pr.od#1']) {
        assert.equal(parseGtoTag(bad), null, bad);
      }
    });

    it('MLCycle names are GTO names except for dots, which are reported', () => {
      for (const ok of ['churn', 'c', 'churn_model-2', 'A1']) {
        assert.equal(invalidName('model', ok), undefined);
        assert.equal(gtoNameProblem(ok), undefined, ok);
      }
      assert.equal(invalidName('model', 'churn.v2'), undefined);
      assert.match(gtoNameProblem('churn.v2') ?? '', /contains "\.".*"churn-v2"/);
      assert.deepEqual([mlcycleVersion('v3.0.0'), mlcycleVersion('v3.1.0'), mlcycleVersion('v0.0.0')], [3, null, null]);
      assert.equal(nextCounter('m', ['m@v1.0.0', 'm#prod#4', 'm@v2.0.0#7', 'other#prod#9', 'm#dev']), 8);
      assert.equal(nextCounter('m', []), 1);
      const sorted = ['v1.10.0', 'v1.2.3', 'v1.2.3-rc.1', 'v1.2.3-alpha', 'v0.9.0', 'abc123'].sort(compareVersionLabels);
      assert.deepEqual(sorted, ['v0.9.0', 'v1.2.3-alpha', 'v1.2.3-rc.1', 'v1.2.3', 'v1.10.0', 'abc123']);
    });
  });

  describe('writing', () => {
    it('git_tags: local writes annotated tags with exact names and messages on the right commits', async () => {
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      policy(repo, 'git_tags: local\n');
      const { registry } = await workspace(repo);
      const { c2, reports } = await lifeCycle(repo, registry, c1);
      assert.deepEqual(reports.map(names), [
        ['churn@v1.0.0'],
        ['churn@v2.0.0'],
        ['churn#staging#1'],
        ['churn#production#2'],
        ['churn#decommissioned#3', 'churn#production#4'],
      ]);
      assert.ok(reports.every((r) => r.mode === 'local' && r.push === null && r.warnings.length === 0));
      assert.equal(describeGitTags(reports[4]!), 'tagged churn#decommissioned#3, churn#production#4');

      const tags = tagsOf(repo);
      assert.deepEqual(Object.fromEntries([...tags].map(([n, t]) => [n, [t.annotated, t.commit, t.message, t.tagger]])), {
        'churn@v1.0.0': [true, c1, 'Registering artifact churn version v1.0.0', ACTOR],
        'churn@v2.0.0': [true, c2, 'Registering artifact churn version v2.0.0', ACTOR],
        'churn#staging#1': [true, c1, 'Assigning stage staging to artifact churn version v1.0.0', ACTOR],
        'churn#production#2': [true, c1, 'Assigning stage production to artifact churn version v1.0.0', ACTOR],
        'churn#decommissioned#3': [true, c1, 'Assigning stage decommissioned to artifact churn version v1.0.0', ACTOR],
        'churn#production#4': [true, c2, 'Assigning stage production to artifact churn version v2.0.0', ACTOR],
      });
      assert.equal(tags.get('churn@v1.0.0')!.date, T1 + 10);
      assert.equal(tags.get('churn#production#4')!.date, T1 + 400);

      // Aliases are not GTO stages: nothing is tagged for them.
      registry.setAlias('churn', 'champion', 2);
      assert.equal(tagsOf(repo).size, 6);

      // Archiving the demoted version: the next counter, on v1's commit.
      at(T1 + 500);
      const archived = await registry.setStage({ model: 'churn', version: 1, stage: 'archived', reason: 'old' });
      assert.deepEqual(names(archived.gitTags), ['churn#archived#5']);
      assert.equal(tagsOf(repo).get('churn#archived#5')!.commit, c1);
    });

    it('git_tags: push pushes each new tag to origin; a second clone reads the registry back from them', async () => {
      const bare = tempDir('mlcycle-gto-remote-');
      git(bare, ['init', '-q', '--bare', '-b', 'main']);
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      git(repo, ['remote', 'add', 'origin', bare]);
      git(repo, ['push', '-q', 'origin', 'main']);
      policy(repo, 'git_tags: push\n');
      const marks = process.platform === 'win32' ? null : trapRepositoryPrograms(repo);
      const { registry } = await workspace(repo);
      const { c2, reports } = await lifeCycle(repo, registry, c1);
      // The hooks, the signing program and fsmonitor the repository names never ran (and the
      // failing pre-push hook did not stop the push).
      if (marks !== null) assert.deepEqual(marksLeft(marks), []);
      for (const r of reports) assert.deepEqual([r.mode, r.push, r.warnings], ['push', { remote: 'origin', ok: true }, []]);
      assert.equal(describeGitTags(reports[0]!), 'tagged churn@v1.0.0 (pushed to origin)');
      const remoteTags = tagsOf(bare);
      assert.deepEqual([...remoteTags.keys()].sort(), ['churn#decommissioned#3', 'churn#production#2', 'churn#production#4', 'churn#staging#1', 'churn@v1.0.0', 'churn@v2.0.0']);
      assert.equal(remoteTags.get('churn@v2.0.0')!.commit, c2);

      // A teammate: clone, fetch the tags, scan.
      const clone = path.join(tempDir('mlcycle-gto-clone-'), 'team');
      git(path.dirname(clone), ['clone', '-q', bare, clone]);
      git(clone, ['fetch', '-q', '--tags']);
      const { ws } = await workspace(clone);
      const models = await gtoModels(ws);
      assert.equal(models.length, 1);
      const churn = models[0]!;
      assert.deepEqual([churn.name, churn.source, churn.kind], ['churn', '.git', 'gto']);
      assert.deepEqual(
        churn.versions.map((v) => [v.version, v.tags['gto.version'], v.stage, v.status, v.tags['gto.commit'], v.tags['gto.registered_by']]),
        [
          [1, 'v1.0.0', 'decommissioned', 'registered', c1, ACTOR],
          [2, 'v2.0.0', 'production', 'registered', c2, ACTOR],
        ],
      );
      assert.equal(churn.versions[0]!.created, (T1 + 10) * 1000);
      const history = JSON.parse(churn.versions[0]!.tags['gto.history']!) as { tag: string; action: string; stage?: string; by: string; at: string }[];
      assert.deepEqual(
        history.map((e) => [e.tag, e.action, e.stage ?? null, e.by, e.at]),
        [
          ['churn@v1.0.0', 'register', null, ACTOR, new Date((T1 + 10) * 1000).toISOString()],
          ['churn#staging#1', 'assign', 'staging', ACTOR, new Date((T1 + 200) * 1000).toISOString()],
          ['churn#production#2', 'assign', 'production', ACTOR, new Date((T1 + 300) * 1000).toISOString()],
          ['churn#decommissioned#3', 'assign', 'decommissioned', ACTOR, new Date((T1 + 400) * 1000).toISOString()],
        ],
      );
      // As GTO sees it v1 still holds staging (no later version took it; MLCycle writes no
      // unassignment), but a version's current stage is the one it was given last.
      assert.equal(churn.versions[0]!.tags['gto.stages'], 'staging,decommissioned');

      // `mlcycle models` in the clone lists them with their stages.
      const io = capture(clone);
      assert.equal(await main(['models', '--json'], io), 0, io.stderr.join('\n'));
      const listed = JSON.parse(io.stdout.join('\n')) as { name: string; source: string; kind?: string; readOnly: boolean; versions: { version: number; stage: string | null }[] }[];
      assert.deepEqual(
        listed.map((m) => [m.name, m.source, m.kind, m.readOnly, m.versions.map((v) => [v.version, v.stage])]),
        [['churn', '.git', 'gto', true, [[1, 'decommissioned'], [2, 'production']]]],
      );
      const text = capture(clone);
      assert.equal(await main(['models'], text), 0);
      const table = text.stdout.join('\n');
      assert.match(table, /churn\s+v1\.0\.0\s+decommissioned\s+.*\.git \(git tags\)/);
      assert.match(table, /churn\s+v2\.0\.0\s+production\s+.*\.git \(git tags\)/);

      // A new promotion upstream, fetched: the next scan sees it (the tags' files changed).
      at(T1 + 600);
      await registry.setStage({ model: 'churn', version: 2, stage: 'decommissioned', reasonKind: 'better-model' });
      git(clone, ['fetch', '-q', '--tags']);
      const after = await gtoModels(ws);
      assert.deepEqual(
        after[0]!.versions.map((v) => v.stage),
        ['decommissioned', 'decommissioned'],
      );
    });

    it('off (the default) writes nothing; MLCYCLE_GIT_TAGS overrides the policy', async () => {
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      const { registry } = await workspace(repo);
      writeFile(path.join(repo, 'model.pkl'), 'w');
      const v1 = await registry.register({ model: 'churn', path: 'model.pkl' });
      const s1 = await registry.setStage({ model: 'churn', version: 1, stage: 'staging' });
      assert.deepEqual([v1.gitTags, s1.gitTags], [null, null]);
      policy(repo, 'git_tags: off\n');
      await registry.setStage({ model: 'churn', version: 1, stage: 'production' });
      assert.equal(tagsOf(repo).size, 0);
      assert.equal(registry.policy().gitTags, 'off');

      // The environment wins over the team's setting (CI turning tags on for one job).
      process.env['MLCYCLE_GIT_TAGS'] = 'local';
      const v2 = await registry.register({ model: 'churn', path: 'model.pkl' });
      // v2 is on the same commit as v1, which has no tag: v2 gets it.
      assert.deepEqual(names(v2.gitTags), ['churn@v2.0.0']);
      // v1 was registered while tags were off, and has no known commit: its stage is not tagged.
      const d1 = await registry.setStage({ model: 'churn', version: 1, stage: 'decommissioned', reasonKind: 'better-model' });
      assert.deepEqual(names(d1.gitTags), []);
      assert.match(d1.gitTags!.warnings[0]!, /churn#decommissioned: v1 of churn has no registration tag/);
      process.env['MLCYCLE_GIT_TAGS'] = 'off';
      policy(repo, 'git_tags: local\n');
      await registry.setStage({ model: 'churn', version: 2, stage: 'staging' });
      assert.deepEqual([...tagsOf(repo).keys()], ['churn@v2.0.0']);
      assert.equal(tagsOf(repo).get('churn@v2.0.0')!.commit, c1);

      // A bad value is reported and leaves tags off.
      policy(repo, 'git_tags: always\n');
      assert.equal(registry.policy().gitTags, undefined);
      assert.match(registry.policy().diagnostics[0]!.message, /git_tags must be one of off, local, push/);
    });

    it('reports what it cannot tag: dotted names, two versions on one commit, no repository; the action stands', async () => {
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      policy(repo, 'git_tags: local\n');
      const { registry } = await workspace(repo);
      writeFile(path.join(repo, 'model.pkl'), 'w');
      const dotted = await registry.register({ model: 'churn.v2', path: 'model.pkl' });
      assert.equal(dotted.version, 1);
      assert.deepEqual(names(dotted.gitTags), []);
      assert.match(dotted.gitTags!.warnings[0]!, /"churn\.v2" contains "\."/);

      const v1 = await registry.register({ model: 'churn', path: 'model.pkl' });
      const v2 = await registry.register({ model: 'churn', path: 'model.pkl' });
      assert.deepEqual(names(v1.gitTags), ['churn@v1.0.0']);
      assert.deepEqual(names(v2.gitTags), []);
      assert.match(v2.gitTags!.warnings[0]!, new RegExp(`not tagged churn@v2.0.0: commit ${c1.slice(0, 7)} already carries churn@v1.0.0`));
      assert.equal(registry.model('churn')!.versions.length, 2);

      const plain = tempDir('mlcycle-gto-nogit-');
      policy(plain, 'git_tags: local\n');
      const other = await workspace(plain);
      writeFile(path.join(plain, 'model.pkl'), 'w');
      const v = await other.registry.register({ model: 'churn', path: 'model.pkl' });
      assert.equal(v.version, 1);
      assert.deepEqual(names(v.gitTags), []);
      assert.match(v.gitTags!.warnings[0]!, /not in a git working tree/);
    });

    it('a push that fails (remote removed) leaves the action done and reports it; the CLI prints a warning line', async () => {
      const bare = tempDir('mlcycle-gto-remote-');
      git(bare, ['init', '-q', '--bare', '-b', 'main']);
      const repo = initRepo();
      commitAt(repo, T1);
      git(repo, ['remote', 'add', 'origin', bare]);
      policy(repo, 'git_tags: push\n');
      process.env['MLCYCLE_ACTOR'] = ACTOR;
      writeFile(path.join(repo, 'model.pkl'), 'w');

      const io = capture(repo);
      assert.equal(await main(['register', 'churn', 'model.pkl'], io), 0, io.stderr.join('\n'));
      assert.deepEqual(io.stdout.slice(-1), ['tagged churn@v1.0.0 (pushed to origin)']);
      assert.deepEqual(warnings(io), []);

      git(repo, ['remote', 'remove', 'origin']);
      const failed = capture(repo);
      assert.equal(await main(['promote', 'churn', '1', 'staging'], failed), 0, failed.stderr.join('\n'));
      assert.equal(failed.stdout[0], 'churn v1 → staging');
      assert.deepEqual(failed.stdout.slice(-1), ['tagged churn#staging#1']);
      assert.equal(warnings(failed).length, 1);
      assert.match(warnings(failed)[0]!, /^warning: pushing churn#staging#1 to origin failed: .*origin.*The tags are local; push them with: git push origin churn#staging#1$/s);
      // The action stands, and the tag is there locally.
      const { registry } = await workspace(repo);
      assert.equal(registry.model('churn')!.versions[0]!.stage, 'staging');
      assert.ok(tagsOf(repo).has('churn#staging#1'));
      assert.equal(tagsOf(bare).has('churn#staging#1'), false);

      // --json carries the same report.
      const json = capture(repo);
      assert.equal(await main(['promote', 'churn', '1', 'production', '--json'], json), 0);
      const out = JSON.parse(json.stdout.join('\n')) as { stage: string; gitTags: GitTagsReport };
      assert.equal(out.stage, 'production');
      assert.deepEqual([names(out.gitTags), out.gitTags.push], [['churn#production#2'], { remote: 'origin', ok: false }]);
      assert.equal(warnings(json).length, 1);
      const alias = capture(repo);
      assert.equal(await main(['alias', 'churn', 'champion', '1', '--json'], alias), 0);
      assert.equal((JSON.parse(alias.stdout.join('\n')) as { gitTags: unknown }).gitTags, null);
    });
  });

  describe('reading', () => {
    it("reads tags GTO itself writes: semver versions, counters, unassignment, deregistration, deprecation, simple stages", async () => {
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      const c2 = commitAt(repo, T1 + 100);
      const c3 = commitAt(repo, T1 + 200);
      const tag = (name: string, commit: string, seconds: number, message = name): void => {
        git(repo, ['tag', '-a', '-m', message, name, commit], { GIT_COMMITTER_DATE: `${seconds} +0000`, GIT_COMMITTER_NAME: 'Grace', GIT_COMMITTER_EMAIL: 'grace@example.com' });
      };
      tag('m@v0.9.0', c1, T1 + 1000, 'Registering artifact m version v0.9.0');
      tag('m@v1.2.3', c2, T1 + 1100, 'Registering artifact m version v1.2.3');
      tag('m#prod#5', c2, T1 + 1200, 'Assigning stage prod to artifact m version v1.2.3');
      tag('m#prod!#6', c2, T1 + 1300, "Unassigning stage 'prod' to artifact 'm' version 'v1.2.3'");
      tag('m#dev', c2, T1 + 1400, 'Assigning stage dev to artifact m version v1.2.3');
      tag('m@v0.9.0!', c1, T1 + 1500, 'Deregistering artifact m version v0.9.0');
      tag('m@v1.3.0#7', c3, T1 + 1600, 'Registering artifact m version v1.3.0');
      tag('m#prod#8', c3, T1 + 1700, 'Assigning stage prod to artifact m version v1.3.0');
      tag('m@deprecated', c3, T1 + 1800, "Deprecating artifact 'm'");
      tag('path/to=model@v2.0.0', c1, T1 + 1900);
      tag('path/to=model#staging#1', c1, T1 + 1950);
      tag('churn.v2@v1.0.0', c1, T1 + 2000); // not a GTO name: ignored
      tag('release-1', c1, T1 + 2000); // not a GTO tag at all
      git(repo, ['tag', 'm#staging#9', c1]); // lightweight: GTO skips them

      const listed = await readGitTags(repo);
      assert.ok(!('error' in listed));
      const view = buildGtoRegistry(listed.records);
      assert.deepEqual(
        view.map((m) => m.name),
        ['m', 'path/to:model'],
      );
      const m = view[0]!;
      assert.deepEqual([m.deprecated?.tag, m.deprecated?.tagger], ['m@deprecated', 'Grace <grace@example.com>']);
      assert.deepEqual(
        m.versions.map((v) => [v.label, v.number, v.commit, v.registered, v.deregistered, v.stage, v.stages]),
        [
          ['v0.9.0', 1, c1, false, true, null, []],
          ['v1.2.3', 2, c2, true, false, 'dev', ['dev']],
          ['v1.3.0', 3, c3, true, false, 'prod', ['prod']],
        ],
      );
      assert.deepEqual(
        m.versions[1]!.events.map((e) => [e.tag, e.action, e.tagger, e.time]),
        [
          ['m@v1.2.3', 'register', 'Grace <grace@example.com>', (T1 + 1100) * 1000],
          ['m#prod#5', 'assign', 'Grace <grace@example.com>', (T1 + 1200) * 1000],
          ['m#prod!#6', 'unassign', 'Grace <grace@example.com>', (T1 + 1300) * 1000],
          ['m#dev', 'assign', 'Grace <grace@example.com>', (T1 + 1400) * 1000],
        ],
      );
      assert.deepEqual(
        view[1]!.versions.map((v) => [v.label, v.number, v.stage]),
        [['v2.0.0', 2, 'staging']],
      );

      // The same through a scan: the store's read-only registry, and `mlcycle models`.
      const { ws } = await workspace(repo);
      const models = await gtoModels(ws);
      assert.deepEqual(
        models.map((x) => [x.name, x.source, x.tags, x.versions.map((v) => [v.version, v.tags['gto.version'], v.stage, v.status, v.deleted])]),
        [
          [
            'm',
            '.git',
            { 'gto.deprecated': 'true', 'gto.deprecated_by': 'Grace <grace@example.com>', 'gto.deprecated_at': new Date((T1 + 1800) * 1000).toISOString() },
            [
              [1, 'v0.9.0', null, 'deregistered', true],
              [2, 'v1.2.3', 'dev', 'deprecated', false],
              [3, 'v1.3.0', 'prod', 'deprecated', false],
            ],
          ],
          ['path/to:model', '.git', {}, [[2, 'v2.0.0', 'staging', 'registered', false]]],
        ],
      );
      const io = capture(repo);
      assert.equal(await main(['models'], io), 0);
      assert.match(io.stdout.join('\n'), /m\s+v0\.9\.0\s+deregistered\s/);
      assert.match(io.stdout.join('\n'), /m\s+v1\.2\.3\s+dev \(deprecated\)\s/);

      // Unassigning the newer version's prod hands the stage back to an older one, as in GTO; a
      // later event brings a deprecated artifact back (GTO's "active" is its last event).
      tag('m#prod!#10', c3, T1 + 2100);
      tag('m#prod#11', c2, T1 + 2200);
      const again = await gtoModels(ws);
      assert.deepEqual(again[0]!.tags, {});
      assert.deepEqual(
        again[0]!.versions.map((v) => [v.tags['gto.version'], v.stage, v.tags['gto.stages'] ?? '']),
        [
          ['v0.9.0', null, ''],
          ['v1.2.3', 'prod', 'dev,prod'],
          ['v1.3.0', null, ''],
        ],
      );
    });

    it('a repository without GTO tags is no source; rescans skip git until the tags change', async () => {
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      git(repo, ['tag', '-a', '-m', 'release', 'v1.0.0', c1]);
      const { ws } = await workspace(repo);
      const first = await ws.ingestor.scan();
      assert.deepEqual(first.sources, []);
      git(repo, ['tag', '-a', '-m', 'Registering artifact m version v1.0.0', 'm@v1.0.0', c1]);
      const second = await ws.ingestor.scan();
      assert.deepEqual(second.sources.map((s) => [s.kind, s.path]), [['gto', '.git']]);
      const state = (): string => ws.store.read((db) => String(db.exec("SELECT state FROM sources WHERE kind = 'gto'")[0]?.values[0]?.[0]));
      const before = state();
      const log = process.platform === 'win32' ? null : loggingGit();
      await ws.ingestor.scan();
      assert.equal(state(), before);
      if (log !== null) assert.doesNotMatch(fs.readFileSync(log, 'utf8'), /for-each-ref/);
      // Packing the tags moves the files without changing the tags: read again, registry kept.
      git(repo, ['pack-refs', '--all']);
      await ws.ingestor.scan();
      assert.notEqual(state(), before);
      if (log !== null) assert.match(fs.readFileSync(log, 'utf8'), /for-each-ref/);
      assert.deepEqual((await gtoModels(ws)).map((m) => m.versions.map((v) => v.tags['gto.version'])), [['v1.0.0']]);
    });
  });

  describe('untrusted workspaces', () => {
    it('write no tag and start no git, whatever the policy says; the tags are not read either', async function () {
      if (process.platform === 'win32') this.skip();
      const repo = initRepo();
      const c1 = commitAt(repo, T1);
      git(repo, ['tag', '-a', '-m', 'Registering artifact m version v1.0.0', 'm@v1.0.0', c1]);
      policy(repo, 'git_tags: local\n');
      writeFile(path.join(repo, 'model.pkl'), 'w');
      const log = loggingGit();
      process.env['MLCYCLE_GIT_TAGS'] = 'push';

      // Control: a trusted workspace does start git (through the logging wrapper).
      const trusted = await workspace(tempDir('mlcycle-gto-trusted-'), { git: true });
      fs.writeFileSync(path.join(trusted.ws.folder, 'x.pkl'), 'x');
      await trusted.registry.register({ model: 'x', path: 'x.pkl' });
      assert.notEqual(fs.readFileSync(log, 'utf8'), '');
      fs.writeFileSync(log, '');

      const { ws, registry } = await workspace(repo, { git: false, adapters: [gtoAdapter] });
      await ws.ingestor.scan();
      const v1 = await registry.register({ model: 'churn', path: 'model.pkl' });
      const s1 = await registry.setStage({ model: 'churn', version: 1, stage: 'production' });
      assert.deepEqual([v1.gitTags, s1.gitTags], [null, null]);
      assert.equal(registry.model('churn')!.versions[0]!.stage, 'production');
      assert.deepEqual(ws.store.read((db) => listSourceModels(db)), []);
      assert.equal(fs.readFileSync(log, 'utf8'), '');
      assert.deepEqual([...tagsOf(repo).keys()], ['m@v1.0.0']);
    });
  });
});
