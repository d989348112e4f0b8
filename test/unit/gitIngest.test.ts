// Runs get the git context of the code they ran from, read from real repositories.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { runById, scanFolder } from '../helpers/scan';
import { tempDir } from '../helpers/temp';

const T1 = 1_750_000_000; // seconds
const T2 = T1 + 3600;

function git(cwd: string, args: string[], when?: number): string {
  const env = { ...process.env, GIT_AUTHOR_DATE: `${when ?? T1} +0000`, GIT_COMMITTER_DATE: `${when ?? T1} +0000` };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

describe('git context of runs', () => {
  it('a run gets the commit it started from, the branch, the remote; a recorded commit wins', async () => {
    const repo = tempDir();
    git(repo, ['init', '-q', '-b', 'main']);
    git(repo, ['config', 'user.email', 'a@example.com']);
    git(repo, ['config', 'user.name', 'A']);
    git(repo, ['remote', 'add', 'origin', 'https://user:secret@example.com/team/churn.git']);
    fs.writeFileSync(path.join(repo, 'train.py'), 'print(1)\n');
    fs.writeFileSync(path.join(repo, '.gitignore'), 'mlruns/\n.mlcycle/\n');
    git(repo, ['add', '.']);
    git(repo, ['commit', '-q', '-m', 'first'], T1);
    const first = git(repo, ['rev-parse', 'HEAD']);
    fs.writeFileSync(path.join(repo, 'train.py'), 'print(2)\n');
    git(repo, ['commit', '-qam', 'second'], T2);
    const second = git(repo, ['rev-parse', 'HEAD']);
    const mlruns = path.join(repo, 'mlruns');
    writeExperiment(mlruns, { id: '0', name: 'Default' });
    writeRun(mlruns, { experimentId: '0', runId: 'a'.repeat(32), name: 'between', startTime: (T1 + 60) * 1000, endTime: (T1 + 70) * 1000 });
    writeRun(mlruns, { experimentId: '0', runId: 'b'.repeat(32), name: 'latest', startTime: (T2 + 60) * 1000, endTime: (T2 + 70) * 1000 });
    writeRun(mlruns, {
      experimentId: '0',
      runId: 'c'.repeat(32),
      name: 'recorded',
      startTime: (T2 + 60) * 1000,
      endTime: (T2 + 70) * 1000,
      tags: { 'mlflow.source.git.commit': first },
    });
    const { runs } = await scanFolder(repo);
    assert.deepEqual(runById(runs, 'a'.repeat(32)).git, { commit: first, branch: 'main', dirty: null, remote: 'https://example.com/team/churn.git' });
    assert.deepEqual(runById(runs, 'b'.repeat(32)).git, { commit: second, branch: 'main', dirty: false, remote: 'https://example.com/team/churn.git' });
    assert.equal(runById(runs, 'c'.repeat(32)).git.commit, first);
  });

  it('outside a repository, and with git turned off (untrusted workspace), runs have no git context', async () => {
    const folder = tempDir();
    writeExperiment(path.join(folder, 'mlruns'), { id: '0', name: 'Default' });
    writeRun(path.join(folder, 'mlruns'), { experimentId: '0', runId: 'd'.repeat(32), name: 'r', startTime: 1, endTime: 2 });
    const { runs } = await scanFolder(folder);
    assert.deepEqual(runById(runs, 'd'.repeat(32)).git, { commit: null, branch: null, dirty: null, remote: null });
  });
});
