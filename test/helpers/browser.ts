/**
 * A real browser for the tests: Debian's chromium, headless, driven by
 * playwright-core (no browser download). withPage() opens a file:// page,
 * records what the page logs, its uncaught errors and every request that
 * leaves the file (a self-contained page makes none), saves screenshots to
 * test-artifacts/ and closes everything, even when the test fails. Every wait
 * is bounded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from './paths.js';

/** Debian's chromium; TRK_CHROMIUM names another build. */
export const CHROMIUM = process.env.TRK_CHROMIUM ?? '/usr/bin/chromium';
/** Where tests leave their screenshots (git-ignored, kept by CI as artifacts). */
export const ARTIFACT_DIR = path.join(REPO_ROOT, 'test-artifacts');
/** The bound on every single wait (launch, load, a selector, a click). */
export const WAIT_MS = 15_000;

/** Why browser tests cannot run here, or false when they can. */
export function browserUnavailable(): string | false {
  if (!fs.existsSync(CHROMIUM)) return `no chromium at ${CHROMIUM} (apt-get install chromium, or set TRK_CHROMIUM)`;
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install: it is a devDependency)';
  }
  return false;
}

export interface ConsoleEntry {
  type: string;
  text: string;
}

export interface OpenPage {
  page: Page;
  /** Every console message, in order. */
  console: ConsoleEntry[];
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** URLs the page asked for other than the file itself (all refused). */
  requests: string[];
  /** Console errors and warnings plus uncaught exceptions: what must be empty. */
  problems(): string[];
  /** Saves a PNG to test-artifacts/NAME.png and returns its path. */
  screenshot(name: string, fullPage?: boolean): Promise<string>;
  /** Saves a PNG to FILE (its directory made if need be) and returns FILE. */
  screenshotTo(file: string, fullPage?: boolean): Promise<string>;
}

export interface PageOptions {
  width?: number;
  height?: number;
  /** Open this http:// URL instead of a file (trk-collect --web): its origin is let through, the rest refused and recorded. */
  url?: string;
}

let shared: Promise<Browser> | undefined;

async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({
    executablePath: CHROMIUM,
    // chromium refuses to run as root with its sandbox; as a user it keeps it
    args: root ? ['--no-sandbox'] : [],
    timeout: WAIT_MS,
  });
}

/** Rejects after ms, naming what was being waited for. */
export function bounded<T>(what: string, p: Promise<T>, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/**
 * Opens FILE in a fresh page of the shared browser, runs fn, and closes the
 * page (and its context) whatever happens. The browser itself is launched
 * once per test file; call closeBrowser() in an after() hook.
 */
export async function withPage<T>(file: string, fn: (p: OpenPage) => Promise<T>, options: PageOptions = {}): Promise<T> {
  shared ??= launch();
  let browser: Browser;
  try {
    browser = await shared;
  } catch (err) {
    shared = undefined;
    throw err;
  }
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    // the report's numbers are formatted for this locale
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    const fileUrl = options.url ?? pathToFileURL(path.resolve(file)).href;
    const origin = options.url === undefined ? undefined : new URL(options.url).origin;
    const open: OpenPage = {
      page,
      console: [],
      errors: [],
      requests: [],
      problems() {
        return [
          ...open.console.filter((m) => m.type === 'error' || m.type === 'warning').map((m) => `console ${m.type}: ${m.text}`),
          ...open.errors.map((e) => `uncaught: ${e}`),
        ];
      },
      screenshot(name, fullPage = false) {
        return open.screenshotTo(path.join(ARTIFACT_DIR, `${name}.png`), fullPage);
      },
      async screenshotTo(file, fullPage = false) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await page.screenshot({ path: file, fullPage, timeout: WAIT_MS });
        return file;
      },
    };
    page.on('console', (m) => open.console.push({ type: m.type(), text: m.text() }));
    page.on('pageerror', (e) => open.errors.push(String(e)));
    // a self-contained page loads nothing but itself: record the rest, and
    // refuse the network (file:// and data: are not routed, only recorded)
    page.on('request', (r) => {
      const url = r.url();
      if (url !== fileUrl && !url.startsWith('data:') && (origin === undefined || !url.startsWith(`${origin}/`))) open.requests.push(url);
    });
    await context.route(/^(https?|wss?):/, (route) => (origin !== undefined && route.request().url().startsWith(`${origin}/`) ? route.continue() : route.abort()));
    await page.goto(fileUrl, { waitUntil: 'load', timeout: WAIT_MS });
    return await fn(open);
  } finally {
    await bounded('closing the page', context.close()).catch(() => undefined);
  }
}

/** Closes the shared browser (bounded: a hung browser does not hold the test run). */
export async function closeBrowser(): Promise<void> {
  const pending = shared;
  shared = undefined;
  if (pending === undefined) return;
  const browser = await pending.catch(() => undefined);
  if (browser !== undefined) await bounded('closing chromium', browser.close()).catch(() => undefined);
}
