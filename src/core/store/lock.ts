// A cross-process lock file beside the database, so that two VS Code windows, or the extension
// and the CLI, never write the store at the same moment. Held only for reload + apply + save.
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** A lock older than this (ms) whose owner cannot be checked is considered abandoned. */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  time: number;
}

function ownerIsGone(owner: LockOwner | undefined, staleMs: number): boolean {
  if (!owner) return true;
  if (owner.host === os.hostname()) {
    try {
      process.kill(owner.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return Date.now() - owner.time > staleMs;
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.time === 'number') {
      return parsed as LockOwner;
    }
  } catch {
    // unreadable or half-written: judged by its age below
  }
  return undefined;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Takes the lock (waiting for a live holder), runs fn, releases it. */
export function withFileLock<T>(lockPath: string, fn: () => T, options: LockOptions = {}): T {
  const release = acquire(lockPath, options);
  try {
    return fn();
  } finally {
    release();
  }
}

export function acquire(lockPath: string, options: LockOptions = {}): () => void {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 60_000;
  const started = Date.now();
  const me: LockOwner = { pid: process.pid, host: os.hostname(), time: Date.now() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      return () => {
        try {
          if (readOwner(lockPath)?.pid === me.pid) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(lockPath);
    let age = Infinity;
    try {
      age = Date.now() - fs.statSync(lockPath).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // A half-written lock file gets a moment to be completed before it counts as abandoned.
    if ((owner && ownerIsGone(owner, staleMs)) || (!owner && age > 2_000)) {
      try {
        fs.unlinkSync(lockPath);
      } catch {
        // someone else removed it first
      }
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `the store is locked by process ${owner?.pid ?? '?'} on ${owner?.host ?? '?'} (${lockPath}); ` +
          'if no MLCycle window or CLI is running, delete that file',
      );
    }
    Atomics.wait(sleeper, 0, 0, Math.min(50, 5 + attempt * 5));
  }
}
