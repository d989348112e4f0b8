// inotify watches held by processes, read from /proc (Linux): what DESIGN.md §9's "OS watches" budget counts.
import * as fs from 'node:fs';

/** inotify watches held by a process: the `inotify wd:` lines of its /proc/<pid>/fdinfo files. */
export function inotifyWatches(pid: number): number {
  let n = 0;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return 0;
  }
  for (const fd of fds) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      if (!text.includes('inotify wd:')) continue;
      for (const line of text.split('\n')) if (line.startsWith('inotify wd:')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

export function inotifyInUse(): number {
  let n = 0;
  for (const p of fs.readdirSync('/proc')) if (/^\d+$/.test(p)) n += inotifyWatches(Number(p));
  return n;
}

export function maxUserWatches(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
  } catch {
    return 8192;
  }
}


/** A process and all its descendants (from the PPid lines of /proc/<pid>/status). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(p));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The command line of a process, shortened, for reports. */
export function commandOf(pid: number, max = 120): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, max);
  } catch {
    return '';
  }
}
