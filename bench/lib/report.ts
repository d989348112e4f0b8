// Shared by the benchmarks' reports: load-average waits, tables, the machine and the code measured.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { log, PROJECT } from './workload';

/** Waits until the 1-minute load average is below `limit`, for at most 3 minutes. */
export async function waitForQuiet(limit: number): Promise<void> {
  const until = Date.now() + 3 * 60_000;
  let said = false;
  while (os.loadavg()[0]! >= limit && Date.now() < until) {
    if (!said) log(`  waiting for the load average (${os.loadavg()[0]!.toFixed(1)}) to drop below ${limit} …`);
    said = true;
    await new Promise((r) => setTimeout(r, 5000));
  }
}

export const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const mib = (bytes: number): number => bytes / (1024 * 1024);
export const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
export const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(rows[0]!), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  let fsType = '';
  try {
    fsType = fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === '/')?.split(' ')[2] ?? '';
  } catch {
    // not Linux
  }
  const sqlJsVersion = (JSON.parse(fs.readFileSync(path.join(PROJECT, 'node_modules', 'sql.js', 'package.json'), 'utf8')) as { version: string }).version;
  return {
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? '?',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    rootFs: fsType,
    sqlJs: sqlJsVersion,
  };
}

/** Which code was measured: the commit, and a hash of src/ as it is on disk (it may be edited). */
export function codeVersion(): { commit: string; srcChanged: boolean; srcHash: string } {
  const git = (...a: string[]): string => {
    try {
      return execFileSync('git', a, { cwd: PROJECT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) hash.update(path.relative(PROJECT, p)).update('\0').update(fs.readFileSync(p)).update('\0');
    }
  };
  walk(path.join(PROJECT, 'src'));
  return {
    commit: git('rev-parse', '--short', 'HEAD') || '?',
    srcChanged: git('status', '--porcelain', '--', 'src') !== '',
    srcHash: hash.digest('hex').slice(0, 12),
  };
}
