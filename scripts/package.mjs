// Builds the VSIX from a staging folder holding only what ships. vsce lists the whole project
// before applying .vscodeignore, which costs minutes with the e2e toolchain in .deps/.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const stage = path.join(root, '.cache', 'vsix-stage');
const out = path.join(root, 'dist', 'mlcycle.vsix');

execFileSync(process.execPath, [path.join(root, 'esbuild.mjs'), '--production'], { cwd: root, stdio: 'inherit' });
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
const ship = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'media', 'dist/extension.js', 'dist/sql-wasm.wasm', 'dist/ingestWorker.js', 'dist/engineWorker.js', 'dist/webview'];
for (const item of ship) {
  const from = path.join(root, item);
  if (!fs.existsSync(from)) continue;
  fs.cpSync(from, path.join(stage, item), { recursive: true, filter: (p) => !p.endsWith('.map') });
}
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '-o', out], { cwd: stage, stdio: 'inherit' });
