// Compiles the in-host suites (test/vscode/suite/index.ts and suite/<suite>/*.test.ts) with esbuild into
// out/vscode-tests/ (same layout), one CommonJS file per entry, so the extension host can require() them without a
// TypeScript loader. 'vscode' comes from the host and mocha from the project's node_modules, so both stay external;
// everything else (src/core, the fixture, the suite's helpers) is bundled into each file.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './harness';

export const TESTS_OUT = path.join(ROOT, 'out', 'vscode-tests');

/** Builds the suite; returns the runner module to pass as extensionTestsPath. */
export async function buildInHostTests(): Promise<string> {
  const suite = path.join(__dirname, 'suite');
  const entries = [
    path.join(suite, 'index.ts'),
    ...fs
      .readdirSync(suite, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => path.join(suite, f)),
  ];
  fs.rmSync(TESTS_OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: entries,
    outdir: TESTS_OUT,
    outbase: suite,
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
