// Bundles the extension host, the CLI and each webview; copies sql.js's WebAssembly next to them.
// `--watch` rebuilds on change, `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
};

const webviewEntries = fs.existsSync('webview')
  ? fs
      .readdirSync('webview', { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join('webview', d.name, 'main.ts')))
      .map((d) => ({ in: path.join('webview', d.name, 'main.ts'), out: d.name }))
  : [];

const builds = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Parsing threads of the CLI and the extension (src/core/ingest/workerPool.ts).
  { ...node, entryPoints: ['src/core/ingest/ingestWorker.ts'], outfile: 'dist/ingestWorker.js' },
  // The extension's engine, one thread per workspace folder (src/core/service/engineWorker.ts).
  { ...node, entryPoints: ['src/core/service/engineWorker.ts'], outfile: 'dist/engineWorker.js' },
];
if (webviewEntries.length > 0) {
  builds.push({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: production,
    sourcemap: production ? false : 'linked',
    logLevel: 'warning',
    entryPoints: webviewEntries,
    outdir: 'dist/webview',
  });
}

function copyAssets() {
  fs.mkdirSync('dist', { recursive: true });
  fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
  fs.chmodSync('dist/cli.js', 0o755);
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.rebuild()));
  copyAssets();
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyAssets();
}
