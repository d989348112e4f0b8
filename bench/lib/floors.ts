// The floors of the ingest benchmark (DESIGN.md §9): what reading the workload costs when nothing
// is stored. Straightforward synchronous code on purpose: the budget is a ratio to what a plain
// reader pays, not to the fastest reader imaginable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface FloorResult {
  ms: number;
  /** CPU time (user + system) of the measured section. */
  cpuMs: number;
  folders: number;
  files: number;
  /** Bytes read (floor) or summed from stat (stat floor). */
  bytes: number;
  runs: number;
  points: number;
  /** Kept so the work cannot be optimised away; also lets two runs be compared. */
  checksum: number;
}

/** CPU time (user + system) since a process.cpuUsage() reading, in ms. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function emptyResult(): FloorResult {
  return { ms: 0, cpuMs: 0, folders: 0, files: 0, bytes: 0, runs: 0, points: 0, checksum: 0 };
}

/** readdir of every folder below root (and root itself), nothing else. */
export function walkFloor(root: string): FloorResult {
  const r = emptyResult();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const walk = (dir: string): void => {
    r.folders++;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else {
        r.files++;
        r.checksum += e.name.length;
      }
    }
  };
  walk(root);
  r.ms = performance.now() - started;
  r.cpuMs = cpuMsSince(cpu);
  return r;
}

/** The walk plus a stat of every file. */
export function statFloor(root: string): FloorResult {
  const r = emptyResult();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const walk = (dir: string): void => {
    r.folders++;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        r.files++;
        r.bytes += st.size;
        r.checksum += st.mtimeMs % 1000;
      }
    }
  };
  walk(root);
  r.ms = performance.now() - started;
  r.cpuMs = cpuMsSince(cpu);
  return r;
}

type FolderKind = 'other' | 'metrics' | 'text';

/**
 * Reads and parses every file of an MLflow file store, storing nothing: meta.yaml with the `yaml`
 * package, metric lines split and their three fields through Number(), params and tags as text.
 */
export function readFloor(root: string): FloorResult {
  const r = emptyResult();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const walk = (dir: string, kind: FolderKind): void => {
    r.folders++;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const childKind: FolderKind =
          kind !== 'other' ? kind : e.name === 'metrics' ? 'metrics' : e.name === 'params' || e.name === 'tags' ? 'text' : 'other';
        walk(p, childKind);
        continue;
      }
      r.files++;
      const text = fs.readFileSync(p, 'utf8');
      r.bytes += text.length;
      if (kind === 'metrics') {
        for (const line of text.split('\n')) {
          if (line === '') continue;
          const fields = line.split(' ');
          const ts = Number(fields[0]);
          const value = Number(fields[1]);
          const step = Number(fields[2]);
          r.points++;
          r.checksum += ts % 997 + step + (value === value ? value : 0);
        }
      } else if (kind === 'text') {
        r.checksum += text.length;
      } else if (e.name === 'meta.yaml') {
        const doc = parseYaml(text) as Record<string, unknown> | null;
        if (doc && typeof doc === 'object') {
          r.checksum += Object.keys(doc).length;
          if ('run_id' in doc) r.runs++;
        }
      }
    }
  };
  walk(root, 'other');
  r.ms = performance.now() - started;
  r.cpuMs = cpuMsSince(cpu);
  return r;
}
