/**
 * Helpers for the browser tests (test/browser): whether Chromium is there
 * and required, one shared browser per file, pages that record what they
 * request, and bounded polling of what a page shows.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchChromium
} from '../../scripts/chromium.js';

/** Whether the browser tests run, and if not, why. */
export interface BrowserGate {
  /** True when the tests are skipped: no Chromium and not required. */
  readonly skip: boolean;
  /** Set when there is no Chromium: what to do about it. */
  readonly reason: string | null;
}

/**
 * No Chromium and `REQUIRE_BROWSER=1` (CI): the tests run and fail with
 * `reason`. No Chromium otherwise: they are skipped, and the caller warns.
 */
export function browserGate(): BrowserGate {
  if (chromiumAvailable()) return { skip: false, reason: null };
  const reason = `no chromium at ${CHROMIUM_PATH}: install chromium: apt-get install chromium`;
  return { skip: process.env['REQUIRE_BROWSER'] !== '1', reason };
}

/** One headless Chromium, launched on first use; `close()` it in afterAll. */
export interface SharedBrowser {
  get(): Promise<Browser>;
  close(): Promise<void>;
}

export function sharedBrowser(gate: BrowserGate): SharedBrowser {
  let launched: Promise<Browser> | null = null;
  return {
    get() {
      // Each test fails on its own (none is skipped) when chromium is missing.
      if (gate.reason !== null)
        return Promise.reject(new Error(`REQUIRE_BROWSER=1: ${gate.reason}`));
      launched ??= launchChromium();
      return launched;
    },
    async close() {
      const browser = await launched?.catch(() => null);
      launched = null;
      await browser?.close();
    }
  };
}

/** A page in its own browser context, recording everything it requests. */
export interface InspectorPage {
  readonly page: Page;
  /** Every URL the page asked for, in order. */
  readonly requests: readonly string[];
  /** Uncaught errors thrown in the page. */
  readonly pageErrors: readonly string[];
  close(): Promise<void>;
}

/**
 * Opens `url` in a fresh context with a `viewport` of 1280×1000 unless
 * given; resolves once it has loaded.
 */
export async function openInspector(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number } = { width: 1280, height: 1000 }
): Promise<InspectorPage> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000);
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const close = (): Promise<void> => context.close();
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
  } catch (err) {
    await close();
    throw err;
  }
  return { page, requests, pageErrors, close };
}

/**
 * Reads `read()` every 50 ms until `ok` holds for its value, for at most
 * `timeoutMs`; rejects naming `what` and the value seen last.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() >= deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}; last seen: ${JSON.stringify(value)}`
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The text of the one element `locator` finds right now, null if it finds
 * none; it does not wait. Finding more than one is a mistake in the test.
 */
export async function textOf(locator: Locator): Promise<string | null> {
  const texts = await locator.allTextContents();
  if (texts.length > 1)
    throw new Error(`${String(locator)} finds ${texts.length} elements`);
  return texts[0] ?? null;
}

/** Waits until the one element `locator` finds has exactly `text`. */
export function waitForText(
  locator: Locator,
  text: string,
  what: string,
  timeoutMs?: number
): Promise<string | null> {
  return eventually(
    () => textOf(locator),
    (value) => value === text,
    `${what} reads ${JSON.stringify(text)}`,
    timeoutMs
  );
}
