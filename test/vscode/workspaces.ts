// The workspaces the real-VS-Code tests open, written before the server starts: the demo workspace of `npm start`
// (tools/lib/demoWorkspace.ts) made a git repository. Also a `git` on the PATH that logs each call before running the
// real one (to prove which git processes the extension started); listings of the files are in listing.ts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDemoWorkspace, type DemoSummary } from '../../tools/lib/demoWorkspace';

/** What the in-host demo suites are told about the workspace they run on (MLCYCLE_E2E_INFO). */
export interface DemoInfo extends DemoSummary {
  /** HEAD of the repository the workspace is (git context of trusted runs). */
  head: string;
  branch: string;
}

/** Makes `folder` a git repository with everything in one commit dated 2020, before every run of the demo started. */
export function gitRepo(folder: string): { head: string; branch: string } {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=MLCycle Tests', '-c', 'user.email=tests@mlcycle.invalid', '-c', 'commit.gpgsign=false', ...args], {
      cwd: folder,
      env: { ...process.env, GIT_AUTHOR_DATE: '2020-01-01T12:00:00Z', GIT_COMMITTER_DATE: '2020-01-01T12:00:00Z' },
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'demo workspace');
  return { head: git('rev-parse', 'HEAD'), branch: 'main' };
}

/** The demo workspace of `npm start`, as a git repository. */
export async function writeDemoRepo(folder: string): Promise<DemoInfo> {
  const demo = await writeDemoWorkspace(folder);
  return { ...demo, ...gitRepo(folder) };
}

/**
 * A folder with a `git` that appends "<cwd> :: <args>" to `logFile`, then runs the real git. Put it first on the
 * server's PATH: the extension host and its engine workers inherit it, and simple-git runs `git` from the PATH.
 */
export function gitSpy(dir: string, logFile: string): string {
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const bin = path.join(dir, 'git-spy');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(logFile, '');
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s :: %s\\n' "$PWD" "$*" >> '${logFile}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  return bin;
}
