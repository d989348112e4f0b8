// The UI scenario, as a person would do it, against the extension installed from the VSIX (`npm run package`):
// a throwaway code-server WITHOUT the smoke-test driver flag (that flag hides notification toasts and skips
// dialogs), on the demo workspace of `npm start`, driven by playwright-core in Debian's Chromium. What the screen
// shows is checked against what `mlcycle runs --json` says about the same folder. Screenshots of each main screen go
// to .test-output/screenshots/ (failure.png on error).
// Usage: tsx test/vscode/uiDriver.ts   (npm run test:vscode:ui; needs dist/mlcycle.vsix, dist/cli.js and the e2e setup)
// Env: MLCYCLE_E2E_PORT, MLCYCLE_E2E_VERBOSE=1 (page errors), MLCYCLE_E2E_KEEP=1 (keep the temp folder).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatNumber } from '../../src/core/util/numbers';
import { writeDemoWorkspace } from '../../tools/lib/demoWorkspace';
import { codeServerCli, launchBrowser, log, OUTPUT, requireSetup, ROOT, runMain, startServer, tempRoot } from './harness';
import type { Locator, Page } from './playwright';

const EXTENSION_ID = 'mlcycle.mlcycle';
const SHOTS = path.join(OUTPUT, 'screenshots');

interface CliRun {
  id: string;
  name: string | null;
  status: string;
  source: { kind: string; path: string };
  params: Record<string, string>;
  metrics: Record<string, { last: number | string | null }>;
}

/** `mlcycle runs DIR --json --no-scan`: what the extension's store holds, read by the CLI. */
function cliRuns(folder: string): CliRun[] {
  return JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'runs', folder, '--json', '--no-scan'], { encoding: 'utf8' })) as CliRun[];
}

function shown(v: number | string | null | undefined): string {
  return v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : v;
}

/** F1 opens the command palette with '>' typed; waits for the row whose label is exactly `title`. */
async function openCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const palette = page.locator('.quick-input-widget');
  await palette.waitFor({ state: 'visible' });
  await page.keyboard.type(title);
  await palette.locator(`.monaco-list-row[aria-label="${title}"]`).first().waitFor({ timeout: 15_000 });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

runMain(async () => {
  requireSetup();
  const vsix = path.join(ROOT, 'dist', 'mlcycle.vsix');
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run npm run package first`);
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png')) fs.rmSync(path.join(SHOTS, f));

  const tmp = tempRoot('ui');
  const demo = await writeDemoWorkspace(path.join(tmp, 'workspace'));
  const t0 = Date.now();
  await codeServerCli(tmp, ['--install-extension', vsix]);
  const listed = await codeServerCli(tmp, ['--list-extensions', '--show-versions']);
  if (!listed.includes(`${EXTENSION_ID}@`)) throw new Error(`${EXTENSION_ID} is not installed:\n${listed}`);
  log(`installed ${path.relative(ROOT, vsix)} (${listed.trim()}) in ${Date.now() - t0} ms`);

  const server = await startServer({ dir: tmp, workspace: demo.folder });
  const { page } = await launchBrowser(tmp);

  const passed: string[] = [];
  const seen: string[] = [];
  let step = '';
  const check = async (name: string, body: () => Promise<void>): Promise<void> => {
    step = name;
    const t = Date.now();
    await body();
    passed.push(name);
    log(`ok  ${name} (${Date.now() - t} ms)`);
  };
  const shot = async (name: string): Promise<void> => {
    await page.mouse.move(1390, 450); // no hover tooltip in the picture
    await page.waitForTimeout(300);
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${path.relative(ROOT, file)}`);
  };

  // Custom tree views are role=tree named after the view; a row's accessible name is its accessibility label, so
  // match rows by their text (label and description).
  const tree = page.getByRole('tree', { name: 'Runs' });
  const rows = tree.getByRole('treeitem');
  // The label element carries the item's label as its aria-label.
  const row = (label: string): Locator => rows.filter({ has: page.locator(`.monaco-icon-label[aria-label="${label}"]`) });
  const rowText = async (label: string): Promise<string> => {
    const r = row(label).first();
    const name = await r.locator('.label-name').innerText();
    const description = await r.locator('.label-description').innerText().catch(() => '');
    return `${name.trim()} ${description.trim()}`.trim();
  };
  const rowLabels = async (): Promise<string[]> => (await rows.locator('.label-name').allInnerTexts()).map((t) => t.trim());
  const viewDescription = page.locator('.pane-header', { has: page.locator('h3.title', { hasText: /^Runs$/ }) }).locator('.description').first();

  try {
    const activity = page.locator('.activitybar .action-label[aria-label^="MLCycle"]');
    await check('the workbench opens the demo workspace with the MLCycle activity-bar item', async () => {
      await page.goto(server.workbenchUrl(demo.folder));
      await activity.waitFor({ timeout: 90_000 });
      await page.locator('.explorer-folders-view .monaco-list-row[aria-label^="mlruns"]').waitFor({ timeout: 60_000 });
      await shot('01-workbench');
    });

    let cli: CliRun[] = [];
    await check('the MLCycle container lists the demo runs with their values, the running ones marked', async () => {
      await activity.click();
      await row('gbt-tuned').first().waitFor({ timeout: 60_000 });
      // The tree renders only the rows in view: the Artifacts and Models panes collapsed, every run of the demo fits.
      for (const title of ['Artifacts', 'Models']) {
        const header = page.locator('.pane-header', { has: page.locator('h3.title', { hasText: new RegExp(`^${title}$`) }) }).first();
        if ((await header.getAttribute('aria-expanded').catch(() => null)) === 'true') await header.click();
      }
      // The values the store has (the extension saved it; the CLI reads the same file).
      cli = await until('the store to hold the demo runs', 30_000, async () => {
        const r = cliRuns(demo.folder);
        return r.length === demo.runs - 1 ? r : undefined;
      });
      const tuned = cli.find((r) => r.name === 'gbt-tuned')!;
      const tunedText = await rowText('gbt-tuned');
      const acc = `accuracy ${shown(tuned.metrics['accuracy']?.last)}`;
      if (!tunedText.includes(acc)) throw new Error(`gbt-tuned row "${tunedText}" does not show "${acc}"`);
      seen.push(`MLflow run: "${tunedText}"`);
      // A run of another format: the MLflow database (auc and logloss).
      const xgb = cli.find((r) => r.name === 'xgb-baseline')!;
      const xgbText = await rowText('xgb-baseline');
      for (const k of ['auc', 'logloss']) {
        const want = `${k} ${shown(xgb.metrics[k]?.last)}`;
        if (!xgbText.includes(want)) throw new Error(`xgb-baseline row "${xgbText}" does not show "${want}"`);
      }
      seen.push(`MLflow database run: "${xgbText}"`);
      const resnet = await rowText('resnet50');
      if (!/train\/loss 0\.\d+/.test(resnet) && !/val\/top1 0\.\d+/.test(resnet)) throw new Error(`resnet50 (TensorBoard) row "${resnet}" shows no metric`);
      seen.push(`TensorBoard run: "${resnet}"`);
      // The runs still training: "running" and a spinning icon.
      for (const name of ['gbt-live', 'version_1']) {
        const text = await rowText(name);
        if (!text.includes('running')) throw new Error(`${name} row "${text}" is not marked running`);
        const spinning = await row(name).first().locator('.custom-view-tree-node-item-icon.codicon-sync.codicon-modifier-spin').count();
        if (spinning === 0) throw new Error(`${name} has no spinning icon`);
        seen.push(`running: "${text}"`);
      }
      // Sources, labelled with their kind.
      for (const source of ['mlruns', 'fraud/mlflow.db', 'lightning_logs', 'tb_logs/resnet50']) await row(source).first().waitFor({ timeout: 5_000 });
      await shot('02-runs-tree');
    });

    await check('the status bar counts the runs tracked and running', async () => {
      const running = cli.filter((r) => r.status === 'RUNNING').length;
      const item = page.locator(`.statusbar-item-label[aria-label="MLCycle: ${cli.length} runs tracked, ${running} running"]`);
      await item.waitFor({ timeout: 30_000 });
      const text = (await item.innerText()).replace(/\s+/g, ' ').trim();
      if (text !== `${cli.length} runs · ${running} running`) throw new Error(`status bar item says "${text}"`);
      seen.push(`status bar: "${text}"`);
    });

    await check('"MLCycle: Sort Runs…" from the palette sorts by a metric', async () => {
      await openCommand(page, 'MLCycle: Sort Runs…');
      await shot('03-command-palette');
      await page.keyboard.press('Enter');
      const picker = page.locator('.quick-input-widget');
      await picker.locator('.monaco-list-row', { hasText: 'Newest first' }).first().waitFor({ timeout: 15_000 });
      await page.keyboard.type('accuracy');
      const choice = picker.locator('.monaco-list-row', { hasText: 'highest first' }).filter({ hasText: /^\s*accuracy/ });
      await choice.first().waitFor({ timeout: 15_000 });
      await shot('04-sort-picker');
      await choice.first().click();
      await picker.waitFor({ state: 'hidden' });
      await until('the view to say how it is sorted', 15_000, async () => ((await viewDescription.innerText()).includes('sorted by accuracy ↓') ? true : undefined));
      // Under mlruns the run with the highest accuracy comes first now.
      const best = cli
        .filter((r) => r.source.path === 'mlruns' && typeof r.metrics['accuracy']?.last === 'number' && !r.name?.startsWith('trial-'))
        .sort((a, b) => (b.metrics['accuracy']!.last as number) - (a.metrics['accuracy']!.last as number))[0]!;
      await until(`${best.name} first under mlruns`, 15_000, async () => {
        const labels = await rowLabels();
        return labels[labels.indexOf('mlruns') + 1] === best.name ? true : undefined;
      });
      const text = await rowText(best.name!);
      if (!text.startsWith(`${best.name} accuracy ${shown(best.metrics['accuracy']!.last)}`)) throw new Error(`${best.name}: "${text}"`);
      seen.push(`sorted: view says "${await viewDescription.innerText()}", first under mlruns: "${text}"`);
      await shot('05-sorted');
    });

    await check('"MLCycle: Filter Runs…" from the palette keeps the matching runs; "Clear Filter" brings them back', async () => {
      await openCommand(page, 'MLCycle: Filter Runs…');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Filter Runs' }).waitFor({ timeout: 15_000 });
      await page.keyboard.type('xgb');
      await page.keyboard.press('Enter');
      await until('only the xgb runs', 15_000, async () => {
        const labels = await rowLabels();
        return labels.includes('xgb-baseline') && labels.includes('xgb-regularized') && !labels.includes('gbt-tuned') ? true : undefined;
      });
      seen.push(`filtered: view says "${await viewDescription.innerText()}", rows ${(await rowLabels()).join(', ')}`);
      await shot('06-filtered');
      await openCommand(page, 'MLCycle: Clear Filter');
      await page.keyboard.press('Enter');
      await row('gbt-tuned').first().waitFor({ timeout: 15_000 });
    });

    await check('clicking a run opens its details; the preview shows its params and metrics', async () => {
      const run = cli.find((r) => r.name === 'gbt-deep')!;
      await row('gbt-deep').first().click();
      await page.locator('.tab[aria-label^="Preview gbt-deep.md"]').waitFor({ timeout: 30_000 });
      const doc = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
      await doc.locator('h1', { hasText: 'gbt-deep' }).waitFor({ timeout: 30_000 });
      const cellRow = async (first: string): Promise<string> =>
        (await doc.locator('tr', { has: doc.locator('td:first-child', { hasText: new RegExp(`^${first}$`) }) }).first().innerText()).replace(/\s+/g, ' ').trim();
      const lr = await cellRow('learning_rate');
      if (lr !== `learning_rate ${run.params['learning_rate']}`) throw new Error(`params row "${lr}"`);
      const acc = await cellRow('accuracy');
      if (!acc.startsWith(`accuracy ${shown(run.metrics['accuracy']!.last)} `)) throw new Error(`metrics row "${acc}"`);
      const status = await cellRow('Status');
      if (status !== 'Status FINISHED') throw new Error(`status row "${status}"`);
      seen.push(`details of gbt-deep: "${lr}", "${acc}"`);
      await shot('07-run-details');
    });

    await check('the malformed metric line is in the Problems panel, on its file and line', async () => {
      await page.keyboard.press('Control+Shift+M');
      const panel = page.locator('.markers-panel');
      try {
        await panel.waitFor({ state: 'visible', timeout: 10_000 });
      } catch {
        await openCommand(page, 'View: Focus Problems');
        await page.keyboard.press('Enter');
        await panel.waitFor({ state: 'visible', timeout: 15_000 });
      }
      const marker = panel.locator('.monaco-list-row', { hasText: 'is not a number' });
      await marker.first().waitFor({ timeout: 30_000 });
      const text = (await marker.first().innerText()).replace(/\s+/g, ' ').trim();
      if (!text.includes('value "0.9x3" is not a number') || !/\[Ln 2, Col 1\]/.test(text)) throw new Error(`problem row "${text}"`);
      const file = panel.locator('.monaco-list-row', { hasText: 'val_auc' });
      await file.first().waitFor({ timeout: 5_000 });
      seen.push(`Problems: "${(await file.first().innerText()).replace(/\s+/g, ' ').trim()}" / "${text}"`);
      await shot('08-problems');
    });

    await check('no error notification', async () => {
      const errors = page.locator('.notifications-toasts .notification-list-item', { hasText: 'MLCycle' });
      if ((await errors.count()) > 0) throw new Error(`notifications: ${(await errors.allInnerTexts()).join(' | ')}`);
    });
  } catch (err) {
    await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => undefined);
    console.error(`ui: step failed: ${step}; screenshot ${path.relative(ROOT, path.join(SHOTS, 'failure.png'))}`);
    console.error(`ui: tree rows: ${(await rows.allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ')).join(' | ')}`);
    console.error(`--- code-server log (tail) ---\n${server.logTail()}`);
    console.log(`ui: ${passed.length} passed, 1 failed`);
    throw err;
  }
  for (const s of seen) log(`seen: ${s}`);
  log(`ui scenario done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`ui: ${passed.length} passed, 0 failed`);
  return 0;
});
