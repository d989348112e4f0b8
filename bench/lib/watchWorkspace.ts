// The workspace bench/watch.ts and the VS Code watch bench watch: a hard-linked copy (`cp -al`) of
// a generated workload, so that the workload itself is never written to. Only new files are written
// in the copy (scratch runs, removed afterwards; leftovers of an interrupted run are removed here).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MlrunsOptions } from './mlrunsGenerator';
import { BENCH_DIR, ensureWorkload, log, PROJECT, workloadKey } from './workload';

export interface WatchWorkspace {
  folder: string;
  mlruns: string;
  /** Below the workspace folder, its own store excluded. */
  folders: number;
  files: number;
}

export function countTree(dir: string): { folders: number; files: number } {
  let folders = 0;
  let files = 0;
  const walk = (d: string): void => {
    folders++;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== '.mlcycle') walk(path.join(d, e.name));
      } else files++;
    }
  };
  walk(dir);
  return { folders, files };
}

export function ensureCopy(options: MlrunsOptions): WatchWorkspace {
  const { workspace, manifest } = ensureWorkload(options);
  const folder = path.join(BENCH_DIR, `watch-${workloadKey(options)}`);
  const mlruns = path.join(folder, 'mlruns');
  const marker = path.join(folder, 'copied-from.json');
  const stamp = JSON.stringify({ source: workspace, generatedAt: manifest.generatedAt });
  const fresh = fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === stamp;
  if (!fresh) {
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(folder, { recursive: true });
    log(`hard-linking ${path.relative(PROJECT, manifest.mlruns)} into ${path.relative(PROJECT, mlruns)} …`);
    const t = performance.now();
    execFileSync('cp', ['-al', manifest.mlruns, mlruns]);
    fs.writeFileSync(marker, stamp);
    log(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // Scratch runs left by an interrupted run: folders of the copy's experiments that the original lacks.
  for (const exp of fs.readdirSync(mlruns, { withFileTypes: true })) {
    if (!exp.isDirectory() || exp.name.startsWith('.')) continue;
    const original = new Set(fs.readdirSync(path.join(manifest.mlruns, exp.name)));
    for (const name of fs.readdirSync(path.join(mlruns, exp.name))) {
      if (!original.has(name)) fs.rmSync(path.join(mlruns, exp.name, name), { recursive: true, force: true });
    }
  }
  return { folder, mlruns, ...countTree(folder) };
}
