// Runs the mocha suite of test/vscode/suite/ inside the real (Node) extension host of a throwaway code-server,
// the way @vscode/test-electron runs extensionTestsPath: the workbench is opened with
//   ?payload=[["extensionDevelopmentPath", <project root>], ["extensionTestsPath", out/vscode-tests/index.js]]
// on a server started with `--vscode-option enable-smoke-test-driver` (without it the built workbench ignores the
// payload). When run() settles, the workbench calls window.codeAutomationExit(code), caught here. Exit code = the
// suite's. Usage: tsx test/vscode/runInHost.ts   (npm run test:vscode:host; needs dist/ built and the e2e setup)
// Env: MLCYCLE_E2E_PORT, MLCYCLE_E2E_TIMEOUT_S (default 240), MLCYCLE_E2E_GREP, MLCYCLE_E2E_VERBOSE=1 (whole
// workbench console), MLCYCLE_E2E_KEEP=1 (keep the temp folder).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { buildInHostTests } from './buildTests';
import { writeFixtureWorkspace } from './fixture';
import { launchBrowser, log, requireSetup, ROOT, runMain, startServer, tempRoot, VERBOSE } from './harness';
import type { ConsoleMessage } from './playwright';
import { REPORT_MARK } from './shared';

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

runMain(async () => {
  requireSetup();
  const main = path.join(ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const t0 = Date.now();
  const testsPath = await buildInHostTests();
  log(`in-host suite built in ${Date.now() - t0} ms: ${path.relative(ROOT, testsPath)}`);

  const tmp = tempRoot('in-host');
  const workspace = writeFixtureWorkspace(path.join(tmp, 'workspace'));
  const server = await startServer({ dir: tmp, workspace, smokeTestDriver: true });
  const { page } = await launchBrowser(tmp);

  const exit = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  const pending: Promise<void>[] = [];
  page.on('console', (message) => {
    pending.push(
      consoleText(message).then((text) => {
        const at = text.indexOf(REPORT_MARK);
        if (at >= 0) console.log(text.slice(at + REPORT_MARK.length));
        else if (VERBOSE) log(`[console.${message.type()}] ${text.slice(0, 2000)}`);
      }),
    );
  });

  const payload: [string, string][] = [
    ['extensionDevelopmentPath', server.remote(ROOT)],
    ['extensionTestsPath', server.remote(testsPath)],
    ['skipWelcome', 'true'],
  ];
  const grep = process.env['MLCYCLE_E2E_GREP'];
  if (grep) payload.push(['extensionEnvironment', JSON.stringify({ MLCYCLE_E2E_GREP: grep })]);
  log('opening the workbench with the test payload');
  await page.goto(server.workbenchUrl(workspace, payload));

  const timeoutS = Number(process.env['MLCYCLE_E2E_TIMEOUT_S'] ?? 240);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    exit,
    new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        log(`in-host tests did not finish within ${timeoutS} s`);
        resolve(124);
      }, timeoutS * 1000);
    }),
  ]);
  clearTimeout(timer);
  await Promise.all(pending);
  log(`in-host tests finished with exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    console.log(`--- code-server log (tail) ---\n${server.logTail()}`);
  }
  return code;
});
