// Compiles the in-host suite (test/vscode/suite/*.ts) with esbuild into out/vscode-tests/, one CommonJS file per
// entry, so the extension host can require() it without a TypeScript loader. 'vscode' comes from the host and mocha
// from the project's node_modules, so both stay external; everything else (src/core, the fixture) is bundled.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './harness';

export const TESTS_OUT = path.join(ROOT, 'out', 'vscode-tests');

/** Builds the suite; returns the runner module to pass as extensionTestsPath. */
export async function buildInHostTests(): Promise<string> {
  const suite = path.join(__dirname, 'suite');
  const entries = fs
    .readdirSync(suite)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(suite, f));
  fs.rmSync(TESTS_OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: entries,
    outdir: TESTS_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return path.join(TESTS_OUT, 'index.js');
}
