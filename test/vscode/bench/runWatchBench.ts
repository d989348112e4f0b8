// VS Code's own file watcher on the watch benchmark's workspace (issue 3: "choose between chokidar
// and VS Code's own watcher by measuring both"). A variant of test/vscode/runInHost.ts: a throwaway
// code-server with the smoke-test driver, the workbench opened with a payload whose
// extensionTestsPath is test/vscode/bench/watchInHost.ts (bundled into out/vscode-bench/) and whose
// extensionDevelopmentPath is an empty stub extension (the project's extension would activate on
// the 10,000 runs and scan them, which is not what is measured). The in-host module writes its
// figures to a JSON file named in its environment; this script prints them and writes
// .bench/results-watch-vscode.json.
//
//   npm run bench:watch:vscode [-- --runs N] [--small] [--idle S] [--lines N] [--interval-ms MS] [--quiet L]
//                                  [--setups outside,workspace]
//
// Two setups, each a fresh server:
//   outside:   the workbench opens an empty folder and the watchers are on the mlruns/ of the
//              watch bench's copy (outside the workspace): only what our watchers cost is counted;
//   workspace: the workbench opens the copy's folder (mlruns/ inside the workspace, as users have
//              it): VS Code's own recursive workspace watcher comes first, then ours.
// Needs the e2e setup (scripts/e2e/setup.sh). Never part of the test suite.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandOf, inotifyInUse, maxUserWatches, processTree } from '../../../bench/lib/inotify';
import { REFERENCE_WORKLOAD, SMALL_WORKLOAD, type MlrunsOptions } from '../../../bench/lib/mlrunsGenerator';
import { machine, table, waitForQuiet } from '../../../bench/lib/report';
import { ensureCopy } from '../../../bench/lib/watchWorkspace';
import { BENCH_DIR, PROJECT } from '../../../bench/lib/workload';
import { CODE_SERVER, launchBrowser, log, requireSetup, ROOT, runMain, startServer, tempRoot } from '../harness';
import type { BenchConfig, BenchResult, Mode } from './watchInHost';

type Setup = 'outside' | 'workspace';

interface Args {
  workload: MlrunsOptions;
  idleS: number;
  lines: number;
  intervalMs: number;
  quiet: number | undefined;
  setups: Setup[];
}

function parseArgs(argv: string[]): Args {
  const values = new Map<string, string>();
  let small = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--small') small = true;
    else if (a.startsWith('--')) values.set(a.slice(2), argv[++i] ?? '');
    else throw new Error(`unexpected argument ${a}`);
  }
  const num = (name: string, def: number): number => {
    const v = values.get(name);
    values.delete(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name} needs a number > 0, got "${v}"`);
    return n;
  };
  const workload: MlrunsOptions = { ...(small ? SMALL_WORKLOAD : REFERENCE_WORKLOAD) };
  workload.runs = num('runs', workload.runs);
  const idleS = num('idle', 30);
  const lines = num('lines', 200);
  const intervalMs = num('interval-ms', 20);
  const quietText = values.get('quiet');
  values.delete('quiet');
  const setupsText = values.get('setups') ?? 'outside,workspace';
  values.delete('setups');
  const setups = setupsText.split(',').map((s) => {
    if (s !== 'outside' && s !== 'workspace') throw new Error(`--setups takes outside and/or workspace, got "${s}"`);
    return s as Setup;
  });
  if (values.size > 0) throw new Error(`unknown option --${[...values.keys()][0]}`);
  return { workload, idleS, lines, intervalMs, quiet: quietText === undefined ? undefined : Number(quietText), setups };
}

const OUT = path.join(ROOT, 'out', 'vscode-bench');

async function buildInHost(): Promise<string> {
  fs.rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'watchInHost.ts')],
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return path.join(OUT, 'watchInHost.js');
}

/** An extension with nothing in it: the payload needs an extensionDevelopmentPath. */
function stubExtension(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'mlcycle-watch-bench', publisher: 'mlcycle', version: '0.0.0', engines: { vscode: '^1.95.0' } }, null, 2),
  );
  return dir;
}

/** The code-server process listening on `port` (the root of the process tree whose watches count). */
function serverPid(port: number): number {
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = commandOf(Number(p), 100_000);
    if (cmd.includes(CODE_SERVER) && cmd.includes(`127.0.0.1:${port}`)) return Number(p);
  }
  throw new Error(`no code-server process on port ${port}`);
}

async function runSetup(setup: Setup, args: Args, testsPath: string, copy: { folder: string; mlruns: string; folders: number }): Promise<BenchResult & { setup: Setup; serverProcesses: string[] }> {
  if (args.quiet !== undefined) await waitForQuiet(args.quiet);
  const tmp = tempRoot(`watch-bench-${setup}`);
  const empty = path.join(tmp, 'empty-workspace');
  fs.mkdirSync(empty, { recursive: true });
  const workspace = setup === 'outside' ? empty : copy.folder;
  const ext = stubExtension(path.join(tmp, 'stub-extension'));
  const out = path.join(tmp, 'result.json');
  const server = await startServer({ dir: tmp, workspace, smokeTestDriver: true });
  const pid = serverPid(server.port);
  const modes: Mode[] = ['folders', 'recursive'];
  const config: BenchConfig = {
    mlruns: copy.mlruns,
    serverPid: pid,
    extraFolders: setup === 'workspace' ? [copy.folder] : [],
    modes,
    lines: args.lines,
    intervalMs: args.intervalMs,
    idleMs: args.idleS * 1000,
    out,
  };
  const { browser, page } = await launchBrowser(tmp);
  const exit = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  const payload: [string, string][] = [
    ['extensionDevelopmentPath', server.remote(ext)],
    ['extensionTestsPath', server.remote(testsPath)],
    ['skipWelcome', 'true'],
    ['extensionEnvironment', JSON.stringify({ MLCYCLE_BENCH_CONFIG: JSON.stringify(config) })],
  ];
  log(`${setup}: opening the workbench on ${workspace}`);
  await page.goto(server.workbenchUrl(workspace, payload));
  const timeoutS = 20 * 60;
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    exit,
    new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(124), timeoutS * 1000);
    }),
  ]);
  clearTimeout(timer);
  const processes = processTree(pid).map((p) => `${p} ${commandOf(p, 140)}`);
  await browser.close().catch(() => undefined);
  await server.stop();
  if (!fs.existsSync(out)) throw new Error(`${setup}: the in-host bench wrote nothing (exit ${code}); server log:\n${server.logTail()}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResult;
  if (result.error) log(`${setup}: in-host error: ${result.error}`);
  return { ...result, setup, serverProcesses: processes };
}

runMain(async () => {
  requireSetup();
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const copy = ensureCopy(args.workload);
  const limit = maxUserWatches();
  const free = limit - inotifyInUse();
  // A recursive watch takes one inotify watch per folder; the 'workspace' setup may take two sets (VS Code's and
  // ours). The limit is per user and shared with every other process: leave a quarter of what is free.
  if (2 * copy.folders > free * 0.75) throw new Error(`the recursive watchers need up to ${2 * copy.folders} inotify watches; only ${free} of ${limit} are free`);
  const testsPath = await buildInHost();
  const results = [];
  for (const setup of args.setups) results.push(await runSetup(setup, args, testsPath, copy));

  const rows: string[][] = [
    ['setup', 'watchers', 'server watches before → after (ready)', 'new run: folder / meta.yaml / metrics', 'append to the new run: p50 / p95 / max (events)', 'append to the existing run', 'end', `server CPU idle ${args.idleS} s`],
  ];
  const lat = (a: BenchResult['modes'][number]['append'], events: number): string =>
    a ? `${a.p50} / ${a.p95} / ${a.max} ms (${events} events${a.lost ? `, ${a.lost} of ${a.n} lines unseen` : ''})` : '—';
  for (const r of results) {
    rows.push([
      `${r.setup}: VS Code alone`,
      '—',
      `${r.baseline.watchesAtStart} at start, ${r.baseline.watches} after the idle window`,
      '',
      '',
      '',
      '',
      `${r.baseline.idleCpuMs} ms (${((r.baseline.idleCpuMs / r.baseline.idleWallMs) * 100).toFixed(2)} %)`,
    ]);
    for (const m of r.modes) {
      const f = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(0)} ms`);
      rows.push([
        `${r.setup}: ${m.mode}`,
        String(m.watchers),
        `${m.watchesBefore} → ${m.watchesAfter} (first event after ${m.readyMs === undefined ? 'never' : `${(m.readyMs / 1000).toFixed(1)} s`}); ${m.watchesAfterNewRun} with the new run; ${m.watchesAfterDispose} after dispose`,
        `${f(m.newRunFolderMs)} / ${f(m.newRunMetaMs)} / ${f(m.newRunMetricsMs)}`,
        lat(m.append, m.appendEvents),
        lat(m.appendExisting, m.appendExistingEvents),
        f(m.endMs),
        `${m.idleCpuMs} ms (${((m.idleCpuMs / m.idleWallMs) * 100).toFixed(2)} %)`,
      ]);
    }
  }
  console.log(`\nVS Code watcher benchmark — ${started.toISOString()}; VS Code ${results[0]?.vscodeVersion ?? '?'} (code-server); mlruns ${path.relative(PROJECT, copy.mlruns)} (${copy.folders} folders)`);
  console.log(table(rows));
  for (const r of results) {
    console.log(`\n${r.setup}: watches per server process (before → after), baseline first:`);
    for (const p of r.baseline.perProcess) console.log(`  baseline ${p.watches}  ${p.pid} ${p.command.slice(0, 120)}`);
    for (const m of r.modes) for (const p of m.perProcess) console.log(`  ${m.mode} ${p.before} → ${p.after}  ${p.pid} ${p.command.slice(0, 120)}`);
    for (const m of r.modes) console.log(`  ${m.mode}: first events after the new run: ${m.sample.slice(0, 12).map(([t, k, p]) => `${t} ms ${k} ${p}`).join('; ')}`);
  }
  const file = path.join(BENCH_DIR, 'results-watch-vscode.json');
  fs.writeFileSync(file, JSON.stringify({ startedAt: started.toISOString(), machine: { ...machine(), maxUserWatches: limit }, args, results }, null, 2) + '\n');
  const history = path.join(BENCH_DIR, 'results', `watch-vscode-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(history), { recursive: true });
  fs.copyFileSync(file, history);
  log(`results written to ${path.relative(PROJECT, file)}`);
  return results.some((r) => r.error) ? 1 : 0;
});
