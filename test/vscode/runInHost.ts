// Runs the mocha suites of test/vscode/suite/ inside the real (Node) extension host of a throwaway code-server,
// the way @vscode/test-electron runs extensionTestsPath: the workbench is opened with
//   ?payload=[["extensionDevelopmentPath", <project root>], ["extensionTestsPath", out/vscode-tests/index.js]]
// on a server started with `--vscode-option enable-smoke-test-driver` (without it the built workbench ignores the
// payload). When run() settles, the workbench calls window.codeAutomationExit(code), caught here.
// Each suite (test/vscode/suites.ts: a folder of suite/) gets its own server and workspace, one after the other.
// Exit code: 0 when every suite passed, else that of the first failing one.
// Usage: tsx test/vscode/runInHost.ts [SUITE...]   (npm run test:vscode:host; needs dist/ built and the e2e setup)
// Env: MLCYCLE_E2E_SUITES (comma-separated, same as the arguments), MLCYCLE_E2E_PORT, MLCYCLE_E2E_TIMEOUT_S (per
// suite, default 300), MLCYCLE_E2E_GREP, MLCYCLE_E2E_VERBOSE=1 (whole workbench console), MLCYCLE_E2E_KEEP=1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { buildInHostTests } from './buildTests';
import { launchBrowser, log, requireSetup, ROOT, runMain, startServer, tempRoot, VERBOSE } from './harness';
import type { Browser, ConsoleMessage } from './playwright';
import { REPORT_MARK } from './shared';
import { SUITES, type InHostSuite } from './suites';

async function consoleText(message: ConsoleMessage): Promise<string> {
  let args: unknown[];
  try {
    args = await Promise.all(message.args().map((a) => a.jsonValue()));
  } catch {
    args = [message.text()];
  }
  // Console calls forwarded from the extension host start with a '%c…' label and its CSS.
  if (typeof args[0] === 'string' && args[0].startsWith('%c') && typeof args[1] === 'string') args = args.slice(2);
  return format(...args);
}

interface SuiteResult {
  name: string;
  code: number;
  summary: string;
  seconds: number;
}

async function runSuite(suite: InHostSuite, testsPath: string, browser: Browser): Promise<SuiteResult> {
  const t0 = Date.now();
  const tmp = tempRoot(`in-host-${suite.name}`);
  const prepared = await suite.prepare(tmp);
  log(`suite ${suite.name}: ${suite.title}`);
  const server = await startServer({ dir: tmp, workspace: prepared.open, smokeTestDriver: true, ...prepared.server });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => VERBOSE && log('[pageerror]', e.message));

  const exit = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  let summary = '';
  const pending: Promise<void>[] = [];
  page.on('console', (message) => {
    pending.push(
      consoleText(message).then((text) => {
        const at = text.indexOf(REPORT_MARK);
        if (at >= 0) {
          const line = text.slice(at + REPORT_MARK.length);
          if (line.startsWith('in-host: ')) summary = line;
          console.log(line);
        } else if (VERBOSE) log(`[console.${message.type()}] ${text.slice(0, 2000)}`);
      }),
    );
  });

  const env: Record<string, string> = { MLCYCLE_E2E_SUITE: suite.name, MLCYCLE_E2E_INFO: JSON.stringify(prepared.info) };
  const grep = process.env['MLCYCLE_E2E_GREP'];
  if (grep) env['MLCYCLE_E2E_GREP'] = grep;
  const payload: [string, string][] = [
    ['extensionDevelopmentPath', server.remote(ROOT)],
    ['extensionTestsPath', server.remote(testsPath)],
    ['skipWelcome', 'true'],
    ['extensionEnvironment', JSON.stringify(env)],
  ];
  await page.goto(server.workbenchUrl(prepared.open, payload));

  const timeoutS = Number(process.env['MLCYCLE_E2E_TIMEOUT_S'] ?? 300);
  let timer: NodeJS.Timeout | undefined;
  let code = await Promise.race([
    exit,
    new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        log(`suite ${suite.name} did not finish within ${timeoutS} s`);
        resolve(124);
      }, timeoutS * 1000);
    }),
  ]);
  clearTimeout(timer);
  await Promise.all(pending);
  await context.close().catch(() => undefined);
  await server.stop();
  if (code !== 0) console.log(`--- code-server log (tail) ---\n${server.logTail()}`);
  for (const problem of prepared.check?.() ?? []) {
    console.log(`  ✗ after the server stopped: ${problem}`);
    if (code === 0) code = 1;
  }
  const seconds = (Date.now() - t0) / 1000;
  log(`suite ${suite.name} finished with exit code ${code} after ${seconds.toFixed(1)} s`);
  return { name: suite.name, code, summary: summary || '(no mocha summary)', seconds };
}

runMain(async () => {
  requireSetup();
  const main = path.join(ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const wanted = [...process.argv.slice(2), ...(process.env['MLCYCLE_E2E_SUITES'] ?? '').split(',')].filter(Boolean);
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(', ')}; there are ${SUITES.map((s) => s.name).join(', ')}`);
  const suites = wanted.length > 0 ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;

  const t0 = Date.now();
  const testsPath = await buildInHostTests();
  log(`in-host suites built in ${Date.now() - t0} ms: ${path.relative(ROOT, testsPath)}`);
  const { browser } = await launchBrowser(tempRoot('in-host-browser'));
  const results: SuiteResult[] = [];
  for (const suite of suites) results.push(await runSuite(suite, testsPath, browser));

  console.log('\nin-host suites:');
  for (const r of results) console.log(`  ${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name.padEnd(10)} ${r.summary.replace('in-host: ', '')} (${r.seconds.toFixed(0)} s)`);
  log(`in-host tests finished after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return results.find((r) => r.code !== 0)?.code ?? 0;
});
