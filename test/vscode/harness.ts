// Shared plumbing for the real-VS-Code tests: where scripts/e2e/setup.sh put things, a throwaway code-server
// (own port, user-data, extensions and XDG folders in a temp dir, stopped with its whole process group) and
// headless Debian Chromium through playwright-core. See shared/docs/VSCODE-E2E.md for why each flag is there.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPlaywright, type Browser, type Page } from './playwright';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DEPS = process.env['MLCYCLE_E2E_DEPS'] ?? path.join(ROOT, '.deps');
export const NODE24 = path.join(DEPS, 'node24', 'current', 'bin', 'node');
export const CODE_SERVER = path.join(DEPS, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const PLAYWRIGHT = path.join(DEPS, 'playwright', 'node_modules', 'playwright-core');
export const CHROMIUM = process.env['MLCYCLE_E2E_CHROMIUM'] ?? '/usr/bin/chromium';
export const OUTPUT = path.join(ROOT, '.test-output');
export const VERBOSE = process.env['MLCYCLE_E2E_VERBOSE'] === '1';

const T0 = Date.now();
export function log(...parts: unknown[]): void {
  console.log(`[${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...parts);
}

export function requireSetup(): void {
  const missing = [NODE24, CODE_SERVER, PLAYWRIGHT, CHROMIUM].filter((p) => !fs.existsSync(p));
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: run scripts/e2e/setup.sh first (npm run test:vscode does)`);
  }
}

// ---- cleanup: whatever happens, servers and browsers started here are stopped ------------------------------

const cleanups: (() => Promise<void>)[] = [];
const groups = new Set<number>();
let failed = false;

/** Runs `main`, then every registered cleanup (latest first), and exits with main's code (1 on an exception). */
export function runMain(main: () => Promise<number>): void {
  let stopping = false;
  const finish = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      failed = code !== 0;
      for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => log('cleanup failed:', e));
    }
    process.exit(code);
  };
  // Last resort if we die without the async cleanup: kill the server process groups synchronously.
  process.on('exit', () => {
    for (const pgid of groups) killGroup(pgid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void finish(130));
  main().then(finish, (err: unknown) => {
    console.error(err);
    void finish(1);
  });
}

export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

// ---- temp folders, ports -----------------------------------------------------------------------------------

/** A fresh temp folder, removed at the end unless the run failed or MLCYCLE_E2E_KEEP=1 (then its path is printed). */
export function tempRoot(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlcycle-${name}-`));
  onCleanup(async () => {
    if (failed || process.env['MLCYCLE_E2E_KEEP'] === '1') log(`kept ${dir} (server log, workspace, user data)`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export async function freePort(): Promise<number> {
  const fromEnv = Number(process.env['MLCYCLE_E2E_PORT']);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

// ---- code-server -------------------------------------------------------------------------------------------

export interface ServerOptions {
  /** Work folder: user-data, extensions and XDG folders and the server log go below it. */
  dir: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** `--vscode-option enable-smoke-test-driver`: needed for the ?payload= test run; it also hides toasts and dialogs. */
  smokeTestDriver?: boolean;
  /** Extensions folder; default `<dir>/extensions`. */
  extensionsDir?: string;
  /** Extra environment for the server, inherited by its extension host. */
  env?: Record<string, string>;
  /**
   * Workspace trust as a user has it: the server runs without `--disable-workspace-trust` and the user settings
   * turn `security.workspace.trust.enabled` on, so a folder nobody trusted opens in Restricted Mode.
   */
  workspaceTrust?: boolean;
  /** User settings on top of settings.json (written into the user-data folder). */
  userSettings?: Record<string, unknown>;
  /** A fixed port (default: MLCYCLE_E2E_PORT or a free one); a browser profile's storage is per origin. */
  port?: number;
}

export interface Server {
  url: string;
  port: number;
  logFile: string;
  /** `vscode-remote://` URI of a local path, as the workbench payload wants it. */
  remote(p: string): string;
  /** The workbench URL for a folder (or a `.code-workspace` file), with an optional payload. */
  workbenchUrl(folder: string, payload?: [string, string][]): string;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/** Folders for a code-server run, with the recipe's user settings (no Chat, no Welcome page, no telemetry). */
export function serverDirs(dir: string, userSettings: Record<string, unknown> = {}): { userData: string; extensions: string; xdg: string } {
  const userData = path.join(dir, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  const settings = { ...(JSON.parse(fs.readFileSync(path.join(__dirname, 'settings.json'), 'utf8')) as Record<string, unknown>), ...userSettings };
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  const extensions = path.join(dir, 'extensions');
  fs.mkdirSync(extensions, { recursive: true });
  const xdg = path.join(dir, 'xdg');
  for (const d of ['config', 'data', 'cache']) fs.mkdirSync(path.join(xdg, d), { recursive: true });
  return { userData, extensions, xdg };
}

function xdgEnv(xdg: string): Record<string, string> {
  // Keeps code-server's config.yaml and data, and Chromium's crash reports, out of $HOME.
  return {
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
  };
}

/** Runs code-server's CLI once (e.g. `--install-extension`), with the same folders as the server will use. */
export async function codeServerCli(dir: string, args: string[], extensionsDir?: string): Promise<string> {
  const { userData, extensions, xdg } = serverDirs(dir);
  const child = spawn(
    NODE24,
    [CODE_SERVER, '--user-data-dir', userData, '--extensions-dir', extensionsDir ?? extensions, ...args],
    { env: { ...process.env, ...xdgEnv(xdg) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`code-server ${args.join(' ')} exited with ${code}:\n${out}`);
  return out;
}

export async function startServer(options: ServerOptions): Promise<Server> {
  requireSetup();
  const trust = options.workspaceTrust === true;
  const { userData, extensions, xdg } = serverDirs(options.dir, {
    ...(trust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {}),
    ...options.userSettings,
  });
  const port = options.port ?? (await freePort());
  const logFile = path.join(options.dir, `code-server-${port}.log`);
  const logFd = fs.openSync(logFile, 'a');
  const args = [
    CODE_SERVER,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--reconnection-grace-time', '5', // the extension host goes away 5 s after the browser, not 3 h
    ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    '--user-data-dir', userData,
    '--extensions-dir', options.extensionsDir ?? extensions,
    options.workspace,
  ];
  const started = Date.now();
  // detached: its own process group, so stop() also ends the extension host, file watcher and pty host.
  const child: ChildProcess = spawn(NODE24, args, {
    detached: true,
    env: { ...process.env, ...xdgEnv(xdg), ...options.env },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  const pgid = child.pid!;
  groups.add(pgid);
  let exited: number | null | undefined;
  const exitedP = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  const logTail = (lines = 40): string => {
    try {
      return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (!groups.has(pgid)) return;
    killGroup(pgid, 'SIGTERM');
    const gone = await Promise.race([exitedP.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    // The server is down; make sure nothing of its group lingers (extension host, watcher, pty host).
    await new Promise((r) => setTimeout(r, gone ? 200 : 0));
    killGroup(pgid, 'SIGKILL');
    groups.delete(pgid);
    log(`code-server on port ${port} stopped`);
  };
  onCleanup(stop);

  const deadline = Date.now() + 60_000;
  while (true) {
    if (exited !== undefined) throw new Error(`code-server exited with ${exited} before it answered:\n${logTail()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 60 s:\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`code-server up on ${url} in ${Date.now() - started} ms${options.smokeTestDriver ? ' (smoke-test driver on)' : ''}${trust ? ' (workspace trust on)' : ''}; log ${logFile}`);

  const host = `127.0.0.1:${port}`;
  return {
    url,
    port,
    logFile,
    logTail,
    stop,
    remote: (p) => `vscode-remote://${host}${path.resolve(p)}`,
    workbenchUrl: (folder, payload) =>
      `${url}/?${folder.endsWith('.code-workspace') ? 'workspace' : 'folder'}=${encodeURIComponent(folder)}` +
      (payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''),
  };
}

// ---- browser -----------------------------------------------------------------------------------------------

export async function launchBrowser(dir: string): Promise<{ browser: Browser; page: Page }> {
  requireSetup();
  const { chromium } = loadPlaywright(PLAYWRIGHT);
  const xdg = path.join(dir, 'xdg-chromium');
  for (const d of ['config', 'data', 'cache']) fs.mkdirSync(path.join(xdg, d), { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true, // playwright adds --headless
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: { ...stringEnv(process.env), ...xdgEnv(xdg) },
  });
  onCleanup(() => browser.close().catch(() => undefined));
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // A workbench's first load on a fresh code-server install, on a loaded 2-core machine, took over 30 s in CI.
  page.setDefaultNavigationTimeout(180_000);
  page.on('pageerror', (e) => VERBOSE && log('[pageerror]', e.message));
  return { browser, page };
}

/**
 * "Developer: Reload Window" from the palette, then waits for the new page. Unlike `page.reload()` it lets VS Code
 * save its state first (the open editors, webviews' state) and waits for that to be written: a plain reload races
 * the workbench's asynchronous IndexedDB write, and a panel opened just before could come back missing.
 */
export async function reloadWindow(page: Page): Promise<void> {
  await page.keyboard.press('F1');
  const palette = page.locator('.quick-input-widget');
  await palette.waitFor({ state: 'visible' });
  await page.keyboard.type('Developer: Reload Window');
  await palette.locator('.monaco-list-row[aria-label="Developer: Reload Window"]').first().waitFor({ timeout: 15_000 });
  const loaded = page.waitForEvent('load', { timeout: 120_000 });
  await page.keyboard.press('Enter');
  await loaded;
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
