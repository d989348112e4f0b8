// The benchmarks' workload: generated once into .bench/ and reused while its manifest matches the
// options and the generator version (bench/ingest.ts, bench/watch.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedCounts, generateMlruns, GENERATOR_VERSION, type MlrunsOptions, type MlrunsSummary } from './mlrunsGenerator';

export const PROJECT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(PROJECT, '.bench');

export function log(message: string): void {
  process.stderr.write(message + '\n');
}

export interface Manifest {
  generatorVersion: number;
  options: MlrunsOptions;
  mlruns: string;
  summary: MlrunsSummary;
  generatedAt: string;
  generationMs: number;
}

export function workloadKey(o: MlrunsOptions): string {
  return `mlruns-r${o.runs}-e${o.experiments}-p${o.params}-m${o.metrics}-s${o.steps}-t${o.tags}-seed${o.seed}`;
}

export function ensureWorkload(options: MlrunsOptions): { workspace: string; manifest: Manifest; reused: boolean } {
  const workspace = path.join(BENCH_DIR, workloadKey(options));
  const mlruns = path.join(workspace, 'mlruns');
  const manifestFile = path.join(workspace, 'manifest.json');
  try {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    if (
      m.generatorVersion === GENERATOR_VERSION &&
      m.mlruns === mlruns &&
      JSON.stringify(m.options) === JSON.stringify(options) &&
      fs.existsSync(mlruns)
    ) {
      return { workspace, manifest: m, reused: true };
    }
  } catch {
    // no manifest (or an unreadable one): generate
  }
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.mkdirSync(workspace, { recursive: true });
  const expected = expectedCounts(options);
  log(`generating ${options.runs} runs (${expected.files} files, ${expected.points} points) into ${path.relative(PROJECT, mlruns)} …`);
  const started = performance.now();
  const summary = generateMlruns(mlruns, options, (p) => {
    if (p.runsWritten % 2000 === 0) log(`  ${p.runsWritten}/${p.runs} runs written`);
  });
  const manifest: Manifest = {
    generatorVersion: GENERATOR_VERSION,
    options,
    mlruns,
    summary,
    generatedAt: new Date().toISOString(),
    generationMs: Math.round(performance.now() - started),
  };
  // Written last: a generation that was interrupted has no manifest and is redone.
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  log(`  done in ${(manifest.generationMs / 1000).toFixed(1)} s (${(summary.bytes / 1e6).toFixed(0)} MB of file content)`);
  return { workspace, manifest, reused: false };
}
