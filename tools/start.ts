// `npm start`: MLCycle in a real VS Code in your browser. Writes the demo workspace (several
// formats, runs still training, one malformed file), starts code-server on it with the extension
// loaded from this checkout, keeps the live runs growing, and prints the URL. Ctrl+C stops it all.
// MLCYCLE_PORT chooses the port (default 8080); `npm start -- --cli` only prints what the CLI reads.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CODE_SERVER, log, NODE24, onCleanup, runMain, startServer } from '../test/vscode/harness';
import { startLiveRuns } from './lib/demoLive';
import { writeDemoWorkspace } from './lib/demoWorkspace';

const ROOT = path.resolve(__dirname, '..');
const DEMO = path.join(ROOT, '.demo');

function cliListing(folder: string): void {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  for (const args of [['scan', folder], ['runs', folder, '--no-scan'], ['models', folder, '--no-scan']]) {
    console.log(`$ mlcycle ${args.map((a) => (a === folder ? path.relative(process.cwd(), folder) || '.' : a)).join(' ')}`);
    execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
    console.log('');
  }
}

runMain(async () => {
  const folder = path.join(DEMO, 'workspace');
  const demo = await writeDemoWorkspace(folder);
  log(`demo workspace written to ${folder} (${demo.runs} runs, one malformed file)`);
  if (process.argv.includes('--cli')) {
    cliListing(folder);
    return 0;
  }
  if (!fs.existsSync(NODE24) || !fs.existsSync(CODE_SERVER)) {
    log('setting up code-server (first time only: a few minutes; needs the npm registry, and apt as root)');
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'e2e', 'setup.sh')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('the code-server setup failed (see above)');
  }
  // The extension is loaded straight from this checkout (dist/ was just built by `npm start`).
  const serverDir = path.join(DEMO, 'code-server');
  const extensions = path.join(serverDir, 'extensions');
  fs.rmSync(extensions, { recursive: true, force: true });
  fs.mkdirSync(extensions, { recursive: true });
  fs.symlinkSync(ROOT, path.join(extensions, 'mlcycle.mlcycle-0.1.0'), 'dir');
  process.env['MLCYCLE_E2E_PORT'] = process.env['MLCYCLE_PORT'] ?? '8080';
  const server = await startServer({ dir: serverDir, workspace: folder, extensionsDir: extensions });
  const live = startLiveRuns(demo.live);
  onCleanup(async () => live.stop());
  console.log(`\n  MLCycle is running in VS Code: open ${server.workbenchUrl(folder)}\n  (Ctrl+C stops it)\n`);
  await new Promise<void>(() => undefined); // until Ctrl+C: runMain's handler stops the server
  return 0;
});
