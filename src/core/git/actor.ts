// Who acts on the registry, and whether the work tree is clean: two plain git questions asked at
// the moment of a registry action (never in untrusted workspaces: callers pass git = false).
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

function git(folder: string, args: string[]): string | undefined {
  try {
    // fsmonitor off and no optional locks: asking must not run repository-configured programs.
    return execFileSync('git', ['-c', 'core.fsmonitor=false', '--no-optional-locks', ...args], {
      cwd: folder,
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    }).trim();
  } catch {
    return undefined;
  }
}

/** `Name <email>`: MLCYCLE_ACTOR, else git's user.name and user.email, else the OS user. */
export function resolveActor(folder: string, useGit: boolean): string {
  const fromEnv = process.env['MLCYCLE_ACTOR']?.trim();
  if (fromEnv) return fromEnv;
  if (useGit) {
    const name = git(folder, ['config', 'user.name']);
    const email = git(folder, ['config', 'user.email']);
    if (name) return email ? `${name} <${email}>` : name;
  }
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Whether tracked files have no uncommitted changes (MLCycle's own folder aside); null outside git. */
export function gitTreeClean(folder: string): boolean | null {
  const out = git(folder, ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude).mlcycle']);
  if (out === undefined) return null;
  return out === '';
}
