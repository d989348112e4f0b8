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

/** The model folder MLflow logged for the run named `name` (the demo writes one per finished churn run). */
function modelOf(folder: string, name: string): string {
  const mlruns = path.join(folder, 'mlruns');
  for (const exp of fs.readdirSync(mlruns)) {
    const expDir = path.join(mlruns, exp);
    if (!fs.statSync(expDir).isDirectory()) continue;
    for (const run of fs.readdirSync(expDir)) {
      const meta = path.join(expDir, run, 'meta.yaml');
      const model = path.join(expDir, run, 'artifacts', 'model');
      if (fs.existsSync(meta) && fs.existsSync(model) && new RegExp(`^run_name: ${name}$`, 'm').test(fs.readFileSync(meta, 'utf8'))) return model;
    }
  }
  throw new Error(`the demo workspace has no model logged by run ${name}`);
}

/**
 * A model history in MLCycle's own registry, made with the CLI as a user would: v1 (the shallow trees) went to
 * production and is the champion, v2 (the tuned ones) is in staging, so the Models view and the model panel
 * have something to show. Only for `npm start`: the tests register their own.
 */
function seedRegistry(folder: string): void {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const run = (...args: string[]): void => void execFileSync(process.execPath, [cli, ...args, '--dir', folder], { stdio: 'pipe' });
  execFileSync(process.execPath, [cli, 'scan', folder], { stdio: 'pipe' });
  run('register', 'churn', modelOf(folder, 'gbt-shallow'));
  run('promote', 'churn', '1', 'staging', '--reason', 'offline evaluation passed');
  run('promote', 'churn', '1', 'production', '--reason', 'A/B test: +2.1 % retention');
  run('alias', 'churn', 'champion', '1');
  run('register', 'churn', modelOf(folder, 'gbt-tuned'));
  run('promote', 'churn', '2', 'staging', '--reason', 'beats v1 on accuracy offline');
}

runMain(async () => {
  const folder = path.join(DEMO, 'workspace');
  const demo = await writeDemoWorkspace(folder);
  seedRegistry(folder);
  log(`demo workspace written to ${folder} (${demo.runs} runs, one malformed file, churn v1 in production and v2 in staging)`);
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
