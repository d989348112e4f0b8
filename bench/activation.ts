// Activation benchmark (DESIGN.md §9: "activation to first tree ≤ 150 ms (load WebAssembly lazily)"), in a real
// VS Code: code-server with the extension as the VSIX ships it (dist/mlcycle.vsix, installed into a folder of
// its own and loaded as the development extension), on the demo workspace of `npm start`.
//
//   npm run bench:activation [-- --runs N] [--no-profile]
//
// Each run takes three fresh server starts on the same port (a browser profile's storage, where code-server keeps
// VS Code's workspace state, is per origin):
//   cold:  a new demo workspace (no .mlcycle/) and a new browser profile: no store, no cached snapshot;
//   warm:  the same workspace and browser profile again: the tree comes from the snapshot the last session left
//          in workspaceState, before the engine answers;
//   store: the same workspace in a new browser profile: the store exists but no cached snapshot.
// The figure is the extension's own firstTreeMs() (activate() → first getChildren() with content), read in the
// extension host by test/vscode/bench/activationInHost.ts, which shows the Runs view as soon as it starts (VS Code
// does not restore an extension's view in a payload session) and records VS Code's requests for the tree. In the
// warm case the tree has content from activate() on, so what counts there is activate() plus the wait between
// VS Code's first request and content (nothing): the rest is VS Code starting the test module and opening the view.
// activate()'s own duration and the time VS Code took to load the module come from the extension host's logs.
// The first cold run also takes the cold path apart, step by step, on a copy of the workspace.
// Results: printed, and written to .bench/results-activation.json (+ a copy under .bench/results/).
// Needs the e2e setup (scripts/e2e/setup.sh) and dist/mlcycle.vsix (the npm script packages it first).
// Env: MLCYCLE_BENCH_SHOTS=DIR saves a screenshot 4 s into each session (to see what the workbench is doing).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeServerCli, freePort, launchBrowser, log, requireSetup, ROOT, runMain, startServer, tempRoot } from '../test/vscode/harness';
import type { ActivationConfig, ActivationResult, Mode } from '../test/vscode/bench/activationInHost';
import type { Browser, BrowserContext } from '../test/vscode/playwright';
import { writeDemoWorkspace } from '../tools/lib/demoWorkspace';

const BUDGET_MS = 150;
const BENCH_DIR = path.join(ROOT, '.bench');
const OUT = path.join(ROOT, 'out', 'vscode-bench-activation');

interface Args {
  runs: number;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, profile: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') {
      args.runs = Number(argv[++i]);
      if (!(args.runs >= 1)) throw new Error('--runs needs a number ≥ 1');
    } else if (a === '--no-profile') args.profile = false;
    else throw new Error(`unknown argument ${a} (use --runs N, --no-profile)`);
  }
  return args;
}

async function buildInHost(): Promise<string> {
  fs.rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test', 'vscode', 'bench', 'activationInHost.ts')],
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return path.join(OUT, 'activationInHost.js');
}

/** From the extension host's logs of the latest session: activate()'s own duration and VS Code's load + activate. */
function activationLogs(userData: string): { activateMs?: number; loadAndActivateMs?: number; reason?: string } {
  const logs = path.join(userData, 'logs');
  const sessions = fs.existsSync(logs) ? fs.readdirSync(logs).sort().reverse() : [];
  for (const s of sessions) {
    const host = path.join(logs, s, 'exthost1');
    const own = path.join(host, 'mlcycle.mlcycle', 'MLCycle.log');
    if (!fs.existsSync(own)) continue;
    const time = (line: string): number => Date.parse(line.slice(0, 23).replace(' ', 'T'));
    const activated = fs.readFileSync(own, 'utf8').split('\n').find((l) => l.includes('] activated in '));
    const start = fs.readFileSync(path.join(host, 'remoteexthost.log'), 'utf8').split('\n').find((l) => l.includes('_doActivateExtension mlcycle.mlcycle'));
    const out: { activateMs?: number; loadAndActivateMs?: number; reason?: string } = {};
    const m = activated && /activated in (\d+) ms/.exec(activated);
    if (m) out.activateMs = Number(m[1]);
    if (activated && start) out.loadAndActivateMs = time(activated) - time(start);
    const r = start && /activationEvent: '([^']+)'/.exec(start);
    if (r) out.reason = r[1]!;
    return out;
  }
  return {};
}

interface Sample extends ActivationResult {
  run: number;
  /** Keys of the workspace's state in the browser profile when the session ended (extension state, open view). */
  saved: string[];
  activateMs?: number;
  loadAndActivateMs?: number;
  reason?: string;
}

async function openOnce(opts: {
  mode: Mode;
  run: number;
  dir: string;
  port: number;
  workspace: string;
  extension: string;
  testsPath: string;
  context: BrowserContext;
  profile?: ActivationConfig['profile'];
}): Promise<Sample> {
  const out = path.join(opts.dir, `result-${opts.mode}.json`);
  fs.rmSync(out, { force: true });
  const server = await startServer({ dir: opts.dir, workspace: opts.workspace, smokeTestDriver: true, port: opts.port });
  const page = await opts.context.newPage();
  const exit = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  const config: ActivationConfig = { mode: opts.mode, out, ...(opts.profile ? { profile: opts.profile } : {}) };
  const payload: [string, string][] = [
    ['extensionDevelopmentPath', server.remote(opts.extension)],
    ['extensionTestsPath', server.remote(opts.testsPath)],
    ['skipWelcome', 'true'],
    ['extensionEnvironment', JSON.stringify({ MLCYCLE_BENCH_CONFIG: JSON.stringify(config) })],
  ];
  await page.goto(server.workbenchUrl(opts.workspace, payload));
  if (process.env['MLCYCLE_BENCH_SHOTS']) {
    void page.waitForTimeout(4000).then(() => page.screenshot({ path: path.join(process.env['MLCYCLE_BENCH_SHOTS']!, `${opts.mode}-${opts.run}-4s.png`) }).catch(() => undefined));
  }
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exit, new Promise<number>((r) => (timer = setTimeout(() => r(124), 5 * 60_000)))]);
  clearTimeout(timer);
  // What the browser profile kept of this session: the extension's workspaceState and the open view.
  const saved = await page
    .evaluate(async () => {
      const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('vscode-web-state-db-') && !n.includes('global'));
      const found: string[] = [];
      for (const name of names) {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open(name);
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        for (const key of ['mlcycle.mlcycle', 'workbench.sidebar.activeviewletid']) {
          const value = await new Promise<unknown>((resolve) => {
            const r = db.transaction('ItemTable', 'readonly').objectStore('ItemTable').get(key);
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => resolve(undefined);
          });
          if (typeof value === 'string') found.push(key === 'mlcycle.mlcycle' ? `${key} (${value.length} chars)` : `${key}=${value}`);
        }
        db.close();
      }
      return found;
    })
    .catch(() => [] as string[]);
  // Leave the page (its state is flushed to the browser profile), then stop the server.
  await page.goto('about:blank').catch(() => undefined);
  await page.close().catch(() => undefined);
  await server.stop();
  if (!fs.existsSync(out)) throw new Error(`${opts.mode} #${opts.run}: no result (exit ${code}); server log:\n${server.logTail()}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as ActivationResult;
  if (result.error) throw new Error(`${opts.mode} #${opts.run}: ${result.error}`);
  return { ...result, run: opts.run, saved, ...activationLogs(path.join(opts.dir, 'user-data')) };
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length === 0 ? NaN : v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const f0 = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(0));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(rows[0]!), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

runMain(async () => {
  requireSetup();
  const args = parseArgs(process.argv.slice(2));
  const vsix = path.join(ROOT, 'dist', 'mlcycle.vsix');
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run npm run package first (npm run bench:activation does)`);
  const startedAt = new Date();
  const tmp = tempRoot('bench-activation');
  // The extension exactly as the VSIX ships it (production bundle), in a folder of its own.
  const installDir = path.join(tmp, 'installed');
  await codeServerCli(path.join(tmp, 'install'), ['--install-extension', vsix], installDir);
  const extension = path.join(installDir, fs.readdirSync(installDir).find((d) => d.startsWith('mlcycle.mlcycle-'))!);
  const testsPath = await buildInHost();
  const { browser } = await launchBrowser(tmp);
  log(`extension from ${path.relative(ROOT, vsix)} in ${extension}; ${args.runs} runs of cold, warm and store; load ${os.loadavg()[0]!.toFixed(2)}`);

  const samples: Sample[] = [];
  for (let run = 1; run <= args.runs; run++) {
    const dir = path.join(tmp, `run-${run}`);
    const workspace = (await writeDemoWorkspace(path.join(dir, 'workspace'))).folder;
    const profileCopy = run === 1 && args.profile ? (await writeDemoWorkspace(path.join(dir, 'profile-copy'))).folder : undefined;
    const port = await freePort();
    const common = { run, dir, port, workspace, extension, testsPath };
    const newContext = (b: Browser): Promise<BrowserContext> => b.newContext({ viewport: { width: 1400, height: 900 } });
    const first = await newContext(browser);
    const cold = await openOnce({ ...common, mode: 'cold', context: first, ...(profileCopy ? { profile: { folder: profileCopy, dist: path.join(extension, 'dist') } } : {}) });
    samples.push(cold);
    samples.push(await openOnce({ ...common, mode: 'warm', context: first }));
    await first.close();
    const second = await newContext(browser);
    samples.push(await openOnce({ ...common, mode: 'store', context: second }));
    await second.close();
    const last = samples.slice(-3);
    log(`run ${run}: ${last.map((s) => `${s.mode} ${f0(s.firstTreeMs)} ms${s.cachedAtModuleStart ? ' (cached)' : ''}${s.shownLate ? ' (late)' : ''}, shown → tree ${f0(s.focusToTreeMs)} ms, asks → content ${f0(s.askToContentMs)} ms, activate ${f0(s.activateMs)} ms`).join('; ')}`);
  }
  await browser.close();

  const modes: Mode[] = ['cold', 'warm', 'store'];
  const what: Record<Mode, string> = {
    cold: 'cold: first ever open (no store, no cached snapshot)',
    warm: 'warm: second open (cached snapshot in workspaceState)',
    store: 'store only: store on disk, no cached snapshot',
  };
  const rows: string[][] = [['case', 'activation → first tree, median (min–max) ms', 'view shown → tree ms', 'VS Code asks → content ms', 'activate() ms', 'load + activate ms', 'activation → engine idle ms', `budget ≤ ${BUDGET_MS} ms`]];
  const verdicts: Record<string, string> = {};
  for (const m of modes) {
    const s = samples.filter((x) => x.mode === m);
    const ft = s.map((x) => x.firstTreeMs!).filter((x) => x !== undefined);
    const shownToTree = median(s.map((x) => x.focusToTreeMs ?? NaN));
    const activate = median(s.map((x) => x.activateMs ?? NaN));
    const flags = [s.some((x) => x.shownLate) ? 'upper bound: content before the view was shown' : '', m === 'warm' && !s.every((x) => x.cachedAtModuleStart) ? 'NOT all from the cache' : ''].filter(Boolean);
    const askToContent = median(s.map((x) => x.askToContentMs ?? NaN));
    // Warm: the tree has content from activate() on; a view already open when the extension activates is answered
    // with content on VS Code's first request: activate() + asks → content is the extension's share.
    const judged = m === 'warm' ? activate + askToContent : median(ft);
    verdicts[m] = `${judged <= BUDGET_MS ? 'PASS' : 'FAIL'} (${f0(judged)} ms${m === 'warm' ? ' = activate() + asks → content' : ''})`;
    rows.push([
      what[m],
      `${f0(median(ft))} (${f0(Math.min(...ft))}–${f0(Math.max(...ft))})${flags.length ? ` [${flags.join('; ')}]` : ''}`,
      f0(shownToTree),
      f0(askToContent),
      f0(activate),
      f0(median(s.map((x) => x.loadAndActivateMs ?? NaN))),
      f0(median(s.map((x) => x.idleMs ?? NaN))),
      verdicts[m]!,
    ]);
  }
  const version = samples[0]?.vscodeVersion ?? '?';
  console.log(`\nActivation benchmark — ${startedAt.toISOString()}; VS Code ${version} (code-server), ${os.availableParallelism()} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(table(rows));
  console.log(`\nper run (ms: first tree / activate() / module load + activate / idle; activation event):`);
  for (const s of samples) console.log(`  ${s.mode.padEnd(5)} #${s.run}: ${f0(s.firstTreeMs)} / ${f0(s.activateMs)} / ${f0(s.loadAndActivateMs)} / ${f0(s.idleMs)}; ${(s.reason ?? '?').split(':')[0]}; ${s.runsInFirstTree} runs in the first tree${s.fromCache ? ' (from the cache)' : ''}${s.cachedAtModuleStart ? ' (cache in use at module start)' : ''}; bench module started ${f0(s.moduleStartMs)} ms after activate(); saved: ${s.saved.join(', ') || 'nothing'}`);
  const profile = samples.find((s) => s.profile)?.profile;
  if (profile) {
    console.log(`\ncold path taken apart (first run, a second copy of the demo workspace, the extension's own engineWorker.js):`);
    console.log(
      table([
        ['step', 'ms'],
        [`WebAssembly.compile of sql-wasm.wasm (${(profile.wasmBytes / 1024).toFixed(0)} KiB), on its own`, f0(profile.wasmCompileMs)],
        ['engine worker: new Worker → first answer (thread + bundle load)', f0(profile.workerReadyMs)],
        ['init: sql.js (compile + instantiate) + store created + ingestor', f0(profile.initMs)],
        ['snapshot of the empty store', f0(profile.emptySnapshotMs)],
        [`scan of the demo workspace (engine says ${f0(profile.scanReportedMs)})`, f0(profile.scanMs)],
        [`snapshot (${profile.runs} runs, ${(profile.snapshotBytes / 1024).toFixed(0)} KiB JSON)`, f0(profile.snapshotMs)],
        ['reopen with the store: worker', f0(profile.reopen.workerReadyMs)],
        ['reopen with the store: init (sql.js + store read)', f0(profile.reopen.initMs)],
        ['reopen with the store: snapshot', f0(profile.reopen.snapshotMs)],
      ]),
    );
  }
  fs.mkdirSync(path.join(BENCH_DIR, 'results'), { recursive: true });
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a checkout
  }
  const file = path.join(BENCH_DIR, 'results-activation.json');
  fs.writeFileSync(file, JSON.stringify({ startedAt: startedAt.toISOString(), commit, vscode: version, cores: os.availableParallelism(), loadavg: os.loadavg(), args, budgetMs: BUDGET_MS, verdicts, samples }, null, 2) + '\n');
  fs.copyFileSync(file, path.join(BENCH_DIR, 'results', `activation-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`));
  log(`results written to ${path.relative(ROOT, file)}`);
  return 0;
});
