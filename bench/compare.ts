// First paint of the Compare Runs panel on 50 runs × 10 metrics × 10,000 steps (DESIGN.md §9: ≤ 1 s), measured
// in the real browser: code-server with the extension under development, Chromium through playwright-core, and
// test/vscode/bench/compareInHost.ts in the extension host running the command and timing until the webview's
// `painted` message. The workload is an MLflow file store written by bench/lib/mlrunsGenerator.ts.
//
//   npm run bench:compare [-- --repeat N] [--runs N] [--steps N]
//
// Needs the e2e setup (scripts/e2e/setup.sh) and `npm run build`. Never part of the test suite.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, log, requireSetup, ROOT, runMain, startServer, tempRoot } from '../test/vscode/harness';
import type { CompareBenchConfig, CompareBenchResult } from '../test/vscode/bench/compareInHost';
import { REFERENCE_WORKLOAD, type MlrunsOptions } from './lib/mlrunsGenerator';
import { machine, median, pass, table } from './lib/report';
import { BENCH_DIR, ensureWorkload, PROJECT } from './lib/workload';

const BUDGET_MS = 1000;

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const n = Number(process.argv[i + 1]);
  if (!(n > 0)) throw new Error(`--${name} needs a number > 0`);
  return n;
}

async function buildInHost(): Promise<string> {
  const out = path.join(ROOT, 'out', 'vscode-bench-compare');
  fs.rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test', 'vscode', 'bench', 'compareInHost.ts')],
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return path.join(out, 'compareInHost.js');
}

runMain(async () => {
  requireSetup();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'webview', 'compare.js'))) throw new Error('dist/ is missing: run npm run build first');
  const workload: MlrunsOptions = { ...REFERENCE_WORKLOAD, runs: option('runs', 50), experiments: 1, steps: option('steps', 10_000) };
  const repeat = option('repeat', 5);
  const started = new Date();
  const { workspace, manifest } = ensureWorkload(workload);
  log(`workload ${path.relative(PROJECT, workspace)}: ${manifest.summary.runs} runs, ${manifest.summary.points.toLocaleString()} points`);
  const testsPath = await buildInHost();
  const tmp = tempRoot('compare-bench');
  const out = path.join(tmp, 'result.json');
  const config: CompareBenchConfig = { repeat, out };
  const server = await startServer({ dir: tmp, workspace, smokeTestDriver: true });
  const { page } = await launchBrowser(tmp);
  // The browser's console, webview frames included: what went wrong in a page is in here.
  const consoleLog = path.join(tmp, 'browser-console.log');
  page.on('console', (m) => fs.appendFileSync(consoleLog, `${new Date().toISOString()} [${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => fs.appendFileSync(consoleLog, `${new Date().toISOString()} [pageerror] ${e.message}\n`));
  const exit = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
  const payload: [string, string][] = [
    ['extensionDevelopmentPath', server.remote(ROOT)],
    ['extensionTestsPath', server.remote(testsPath)],
    ['skipWelcome', 'true'],
    ['extensionEnvironment', JSON.stringify({ MLCYCLE_BENCH_CONFIG: JSON.stringify(config) })],
  ];
  await page.goto(server.workbenchUrl(workspace, payload));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exit, new Promise((r) => (timer = setTimeout(r, 20 * 60_000)))]);
  clearTimeout(timer);
  await server.stop();
  if (!fs.existsSync(out)) throw new Error(`the in-host bench wrote nothing; server log:\n${server.logTail()}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as CompareBenchResult;
  if (result.error) throw new Error(`in-host: ${result.error}`);

  const reps = result.repetitions;
  const warm = reps.slice(1);
  const f = (ms: number): string => `${Math.round(ms)} ms`;
  const rows = [['repetition', 'command → first paint (tables)', 'command → curves painted', 'host load (summaries + histories)', 'webview render: tables / curves', 'points drawn (charts in view)']];
  reps.forEach((r, i) =>
    rows.push([
      i === 0 ? '1 (cold: histories decoded)' : `${i + 1} (worker cache)`,
      f(r.firstPaintMs),
      f(r.curvesMs),
      f(r.loadMs),
      `${f(r.webviewMs)} / ${f(r.webviewCurvesMs)}`,
      `${r.points.toLocaleString()} (${r.charts})`,
    ]),
  );
  const m = (k: 'firstPaintMs' | 'curvesMs' | 'loadMs' | 'webviewMs' | 'webviewCurvesMs'): number => median(warm.map((r) => r[k]));
  if (warm.length > 0) rows.push(['median of 2…', f(m('firstPaintMs')), f(m('curvesMs')), f(m('loadMs')), `${f(m('webviewMs'))} / ${f(m('webviewCurvesMs'))}`, '']);
  console.log(
    `\nCompare Runs first paint — ${started.toISOString()}; VS Code ${result.vscodeVersion} (code-server), Chromium (headless, no GPU); ` +
      `${result.runs} runs × ${result.metrics} metrics, ${result.points.toLocaleString()} points; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );
  console.log(table(rows));
  const stepRows = [['repetition', 'panel created', 'webview: script fetched / ready (its clock)', 'webview ready', 'summaries (worker)', 'tables posted', 'tables painted', 'histories (worker)', 'histories posted', 'curves painted', 'longest host stall (ended at)']];
  reps.forEach((r, i) => {
    const st = r.steps;
    const boot = r.boot ? `${r.boot.scriptFetchedAt === null ? '?' : f(r.boot.scriptFetchedAt)} / ${f(r.boot.readyAt)}` : '—';
    stepRows.push([String(i + 1), f(st.created), boot, f(st.ready), f(st.summaries), f(st.tablesPosted), f(r.firstPaintMs), f(st.histories), f(st.seriesPosted), f(r.curvesMs), `${f(r.hostStall.ms)} (${f(r.hostStall.endedAt)})`]);
  });
  console.log('\nms after the command, host clock:');
  console.log(table(stepRows));
  const cold = reps[0]!.firstPaintMs;
  console.log(`\nbudget: first paint ≤ ${BUDGET_MS} ms → cold ${f(cold)} ${pass(cold <= BUDGET_MS)}; median of the others ${warm.length > 0 ? f(m('firstPaintMs')) : '—'}`);
  const file = path.join(BENCH_DIR, 'results-compare.json');
  fs.writeFileSync(file, JSON.stringify({ startedAt: started.toISOString(), machine: machine(), loadavg: os.loadavg(), workload, result }, null, 2) + '\n');
  log(`results written to ${path.relative(PROJECT, file)}`);
  return 0;
});
