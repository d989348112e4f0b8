// The UI scenario, as a person would do it, against the extension installed from the VSIX (`npm run package`):
// a throwaway code-server WITHOUT the smoke-test driver flag (that flag hides notification toasts and skips
// dialogs), driven by playwright-core in Debian's Chromium. Screenshots of each main screen go to
// .test-output/screenshots/ (failure.png on error).
// Usage: tsx test/vscode/uiDriver.ts   (npm run test:vscode:ui; needs dist/mlcycle.vsix and the e2e setup)
// Env: MLCYCLE_E2E_PORT, MLCYCLE_E2E_VERBOSE=1 (page errors), MLCYCLE_E2E_KEEP=1 (keep the temp folder).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_RUNS, LATE_RUN, writeFixtureWorkspace, writeRun } from './fixture';
import { codeServerCli, launchBrowser, log, OUTPUT, requireSetup, ROOT, runMain, startServer, tempRoot } from './harness';
import type { Page } from './playwright';

const EXTENSION_ID = 'mlcycle.mlcycle';
const SHOTS = path.join(OUTPUT, 'screenshots');

/** F1 opens the command palette with '>' typed; pick the row whose label is exactly `title`. */
async function openCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const palette = page.locator('.quick-input-widget');
  await palette.waitFor({ state: 'visible' });
  await page.keyboard.type(title);
  await palette.locator(`.monaco-list-row[aria-label="${title}"]`).first().waitFor({ timeout: 15_000 });
}

runMain(async () => {
  requireSetup();
  const vsix = path.join(ROOT, 'dist', 'mlcycle.vsix');
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run npm run package first`);
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png')) fs.rmSync(path.join(SHOTS, f));

  const tmp = tempRoot('ui');
  const workspace = writeFixtureWorkspace(path.join(tmp, 'workspace'));
  const t0 = Date.now();
  await codeServerCli(tmp, ['--install-extension', vsix]);
  const listed = await codeServerCli(tmp, ['--list-extensions', '--show-versions']);
  if (!listed.includes(`${EXTENSION_ID}@`)) throw new Error(`${EXTENSION_ID} is not installed:\n${listed}`);
  log(`installed ${path.relative(ROOT, vsix)} (${listed.trim()}) in ${Date.now() - t0} ms`);

  const server = await startServer({ dir: tmp, workspace });
  const { page } = await launchBrowser(tmp);

  const passed: string[] = [];
  let step = '';
  const check = async (name: string, body: () => Promise<void>): Promise<void> => {
    step = name;
    const t = Date.now();
    await body();
    passed.push(name);
    log(`ok  ${name} (${Date.now() - t} ms)`);
  };
  const shot = async (name: string): Promise<void> => {
    await page.mouse.move(900, 600); // no hover tooltip in the picture
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${path.relative(ROOT, file)}`);
  };

  try {
    const activity = page.locator('.activitybar .action-label[aria-label^="MLCycle"]');
    await check('the workbench opens the fixture workspace with the MLCycle activity-bar item', async () => {
      await page.goto(server.workbenchUrl(workspace));
      await activity.waitFor({ timeout: 90_000 });
      await page.locator('.explorer-folders-view .monaco-list-row[aria-label^="mlruns"]').waitFor({ timeout: 30_000 });
      await shot('01-workbench');
    });

    // Custom tree views are role=tree named after the view; a row's accessible name is its tooltip, so match by text.
    const tree = page.getByRole('tree', { name: 'Runs' });
    const row = (name: string) => tree.getByRole('treeitem').filter({ hasText: name });
    await check('the MLCycle view lists the fixture runs', async () => {
      await activity.click();
      for (const run of FIXTURE_RUNS) await row(run.name).waitFor({ timeout: 30_000 });
      await shot('02-runs-tree');
    });

    await check('"MLCycle: Scan Workspace" from the command palette picks up a new run', async () => {
      writeRun(workspace, LATE_RUN); // on disk only: the tree shows it once the scan has read it
      await openCommand(page, 'MLCycle: Scan Workspace');
      await shot('03-command-palette');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
      await row(LATE_RUN.name).waitFor({ timeout: 30_000 });
      for (const run of FIXTURE_RUNS) await row(run.name).waitFor({ timeout: 5_000 });
      await shot('04-after-scan');
    });

    await check('no error notification', async () => {
      const errors = page.locator('.notifications-toasts .notification-list-item', { hasText: 'MLCycle' });
      if ((await errors.count()) > 0) throw new Error(`notifications: ${(await errors.allInnerTexts()).join(' | ')}`);
    });
  } catch (err) {
    await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => undefined);
    console.error(`ui: step failed: ${step}; screenshot ${path.relative(ROOT, path.join(SHOTS, 'failure.png'))}`);
    console.error(`--- code-server log (tail) ---\n${server.logTail()}`);
    console.log(`ui: ${passed.length} passed, 1 failed`);
    throw err;
  }
  log(`ui scenario done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`ui: ${passed.length} passed, 0 failed`);
  return 0;
});
