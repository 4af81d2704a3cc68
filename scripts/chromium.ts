/**
 * Headless Chromium for the browser tests and the SVG diagrams: Debian's
 * package (`apt-get install chromium`), driven by playwright-core, never a
 * downloaded browser. `CHROMIUM_PATH` overrides where it is.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where the browser is: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH =
  process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps dialling Google's
 * hosts, which this closed network refuses; `--no-sandbox` because CI runs
 * as root. Playwright adds `--headless` and a fresh temporary profile.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

/** True when the browser binary is there. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Launches headless Chromium; close it with `browser.close()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS
  });
}
