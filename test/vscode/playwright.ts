// The slice of playwright-core's API the drivers use. playwright-core lives in .deps/ (scripts/e2e/setup.sh), outside
// node_modules, so its own typings are not visible to `tsc -p .`, which must pass before the setup has run.
import { createRequire } from 'node:module';

export interface LocatorOptions {
  hasText?: string | RegExp;
  /** Keeps the elements that contain a match of this (page-relative) locator. */
  has?: Locator;
}

export interface Locator {
  click(options?: { timeout?: number; button?: 'left' | 'right'; clickCount?: number }): Promise<void>;
  dblclick(options?: { timeout?: number }): Promise<void>;
  hover(options?: { timeout?: number }): Promise<void>;
  innerText(options?: { timeout?: number }): Promise<string>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  nth(index: number): Locator;
  last(): Locator;
  screenshot(options: { path: string }): Promise<unknown>;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  locator(selector: string, options?: LocatorOptions): Locator;
  getByRole(role: string, options?: { name?: string | RegExp; exact?: boolean }): Locator;
  filter(options: LocatorOptions): Locator;
  first(): Locator;
  count(): Promise<number>;
  allInnerTexts(): Promise<string[]>;
  isVisible(): Promise<boolean>;
}

export interface JSHandle {
  jsonValue(): Promise<unknown>;
}

export interface ConsoleMessage {
  type(): string;
  text(): string;
  args(): JSHandle[];
}

/** `page.frameLocator(...)`: locators inside an iframe (webviews are two nested frames). */
export interface FrameLocator {
  locator(selector: string, options?: LocatorOptions): Locator;
  frameLocator(selector: string): FrameLocator;
  first(): FrameLocator;
  last(): FrameLocator;
}

export interface Page extends Pick<Locator, 'locator' | 'getByRole'> {
  goto(url: string, options?: { timeout?: number; waitUntil?: 'load' | 'domcontentloaded' | 'commit' }): Promise<unknown>;
  setDefaultNavigationTimeout(ms: number): void;
  waitForEvent(event: 'load', options?: { timeout?: number }): Promise<unknown>;
  frameLocator(selector: string): FrameLocator;
  close(options?: { runBeforeUnload?: boolean }): Promise<void>;
  evaluate<T>(fn: () => T): Promise<T>;
  mouse: { move(x: number, y: number): Promise<void> };
  keyboard: { press(key: string): Promise<void>; type(text: string, options?: { delay?: number }): Promise<void> };
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  on(event: 'console', listener: (message: ConsoleMessage) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  waitForTimeout(ms: number): Promise<void>;
}

export interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface Browser {
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<Page>;
  /** A browser profile of its own (cookies, IndexedDB: VS Code's workspace storage lives there in code-server). */
  newContext(options?: { viewport?: { width: number; height: number } }): Promise<BrowserContext>;
  close(): Promise<void>;
}

interface PlaywrightCore {
  chromium: {
    launch(options: {
      executablePath: string;
      headless: boolean;
      args: string[];
      timeout?: number;
      env?: Record<string, string>;
    }): Promise<Browser>;
  };
}

/** Loads playwright-core from its folder (`.deps/playwright/node_modules/playwright-core`). */
export function loadPlaywright(folder: string): PlaywrightCore {
  return createRequire(__filename)(folder) as PlaywrightCore;
}
