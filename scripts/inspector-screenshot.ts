/**
 * `npm run screenshot`: regenerates docs/inspector.png from the running
 * page. Starts a daemon with an admin listener (both on free loopback
 * ports), opens the inspector in headless Chromium (scripts/chromium.ts) at
 * 1200×800, connects four clients that chat, lets one quit and follows it,
 * then screenshots the whole page. The PNG carries the sha256 of the chart
 * it shows (the connection machine's graph) in a `tEXt` chunk, so
 * test/unit/admin/screenshot.test.ts fails, without a browser, once the
 * machine no longer matches the picture.
 *
 * `npm run screenshot -- --check`: writes nothing, exits 1 if the PNG is stale.
 * `npm run screenshot -- --url URL [--out FILE] [--width PX]`: screenshots an
 * inspector that is already running (docs/inspector.md, "A screenshot").
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { startDaemon } from '../src/app/daemon.js';
import { createLogger } from '../src/app/logger.js';
import { connectionMachine } from '../src/machines/connection-machine.js';
import { machineGraph, type MachineGraph } from '../src/machines/graph.js';
import { launchChromium } from './chromium.js';

/** Where the screenshot goes, relative to the repository. */
export const SCREENSHOT_PATH = 'docs/inspector.png';
/** The `tEXt` keyword whose text is the chart's stamp. */
export const STAMP_KEYWORD = 'actor-chat chart';
const VIEWPORT = { width: 1200, height: 800 };
const TIMEOUT_MS = 10_000;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The stamp of the chart the page draws: `sha256:` and the hash of the
 * machine graph as `/api/machine` serves it.
 *
 * @example chartStamp(machineGraph(connectionMachine)) // 'sha256:9f…'
 */
export function chartStamp(graph: MachineGraph): string {
  const hash = createHash('sha256').update(JSON.stringify(graph));
  return `sha256:${hash.digest('hex')}`;
}

/** The chart stamp of the connection machine as it is defined now. */
export function currentChartStamp(): string {
  return chartStamp(machineGraph(connectionMachine));
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/**
 * Every `tEXt` chunk of a PNG, keyword to text. Throws on a file that is not
 * a PNG, is cut short, or has a chunk whose CRC does not match.
 */
export function readPngText(png: Buffer): Map<string, string> {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  const texts = new Map<string, string>();
  let at = 8;
  while (at < png.length) {
    if (at + 12 > png.length) throw new Error(`PNG cut short at ${at}`);
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    if (end > png.length) throw new Error(`PNG cut short in ${type}`);
    const body = png.subarray(at + 8, at + 8 + length);
    if (
      crc32(png.subarray(at + 4, at + 8 + length)) !== png.readUInt32BE(end - 4)
    )
      throw new Error(`PNG chunk ${type} at ${at} fails its CRC`);
    if (type === 'tEXt') {
      const nul = body.indexOf(0);
      if (nul > 0)
        texts.set(
          body.toString('latin1', 0, nul),
          body.toString('latin1', nul + 1)
        );
    }
    at = end;
    if (type === 'IEND') break;
  }
  return texts;
}

/** `png` with a `tEXt` chunk `keyword`: `text` right after its header. */
export function withPngText(
  png: Buffer,
  keyword: string,
  text: string
): Buffer {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  const headerEnd = 8 + 12 + png.readUInt32BE(8);
  const data = Buffer.from(`${keyword}\0${text}`, 'latin1');
  return Buffer.concat([
    png.subarray(0, headerEnd),
    chunk('tEXt', data),
    png.subarray(headerEnd)
  ]);
}

/** A chat client past its greeting, and a wait for a line it receives. */
async function chatter(port: number): Promise<{
  socket: Socket;
  local: string;
  waitFor(line: string): Promise<void>;
}> {
  const socket = connect({ host: '127.0.0.1', port });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (data: string) => (text += data));
  const waitFor = async (line: string): Promise<void> => {
    const deadline = Date.now() + TIMEOUT_MS;
    while (!text.split('\n').some((got) => got.startsWith(line))) {
      if (Date.now() > deadline) throw new Error(`no "${line}" within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await waitFor('Connected to the chat server (');
  return {
    socket,
    local: `${socket.localAddress}:${socket.localPort}`,
    waitFor
  };
}

/** Waits until the page shows `text` in `selector`. */
async function shows(
  page: Page,
  selector: string,
  text: string
): Promise<void> {
  await page
    .locator(selector, { hasText: text })
    .first()
    .waitFor({ timeout: TIMEOUT_MS });
}

/** Opens `url` at `width`×800 and waits until the page shows live data. */
async function openLive(
  browser: Browser,
  url: string,
  width: number
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height: VIEWPORT.height }
  });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page
    .locator('#status[data-status="live"]')
    .waitFor({ timeout: TIMEOUT_MS });
  // The first update has been drawn once the totals show numbers.
  await page
    .locator('#totals-accepted', { hasText: /^\d+$/ })
    .waitFor({ timeout: TIMEOUT_MS });
  return page;
}

const shoot = (page: Page): Promise<Buffer> =>
  page.screenshot({ fullPage: true, animations: 'disabled' });

/** Drives a fresh daemon's page into the pictured state and returns the PNG. */
async function takeScreenshot(): Promise<Buffer> {
  const logger = createLogger({ level: 'error' });
  const daemon = await startDaemon({
    logger,
    host: '127.0.0.1',
    port: 0,
    floodRate: 0,
    admin: { host: '127.0.0.1', port: 0 }
  });
  const sockets: Socket[] = [];
  const browser = await launchChromium();
  try {
    const url = daemon.admin?.url;
    if (url === undefined) throw new Error('the daemon has no admin listener');
    const page = await openLive(browser, url, VIEWPORT.width);

    const clients = [];
    for (let i = 0; i < 4; i += 1) {
      const client = await chatter(daemon.port);
      sockets.push(client.socket);
      clients.push(client);
    }
    const [talker, other, , quitter] = clients;
    if (talker === undefined || other === undefined || quitter === undefined)
      throw new Error('clients missing');
    for (const line of ['hello all', 'anyone on the night shift?'])
      talker.socket.write(`${line}\n`);
    await talker.waitFor('[You] anyone on the night shift?');
    other.socket.write('here, watching the inspector\n');
    await other.waitFor('[You] here, watching the inspector');
    quitter.socket.write('off for today, bye\n');
    await quitter.waitFor('[You] off for today, bye');
    quitter.socket.end();
    await shows(page, '#chart g.state[data-state="closed"] text.count', '1');

    await page
      .locator('#connections tbody tr td.state', { hasText: 'closed' })
      .click();
    await page
      .locator('#timeline tbody tr td.event', { hasText: 'room.left' })
      .waitFor({ timeout: TIMEOUT_MS });
    await shows(page, '#member-info', '1–3 of 3');
    await shows(page, '#room-members', '3');
    // One more update, so messages/s has two samples to go by.
    await page.waitForTimeout(1200);
    return await shoot(page);
  } finally {
    for (const socket of sockets) socket.destroy();
    await browser.close();
    await daemon.close();
  }
}

/** Screenshots the inspector already running at `url`. */
async function screenshotOf(url: string, width: number): Promise<Buffer> {
  const browser = await launchChromium();
  try {
    return await shoot(await openLive(browser, url, width));
  } finally {
    await browser.close();
  }
}

/** What the command line asks for. */
type Command =
  | { kind: 'docs' }
  | { kind: 'check' }
  | { kind: 'url'; url: string; out: string; width: number };

/** Reads the arguments; throws a one-line error for a bad one. */
export function parseScreenshotArgs(args: readonly string[]): Command {
  let check = false;
  let url: string | undefined;
  let out = 'inspector.png';
  let width = VIEWPORT.width;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    const value = (): string => {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if (arg === '--check') check = true;
    else if (arg === '--url') url = value();
    else if (arg === '--out') out = value();
    else if (arg === '--width') {
      const raw = value();
      width = Number(raw);
      if (!/^\d+$/.test(raw) || width < 320 || width > 4000)
        throw new Error(`invalid --width "${raw}" (expected 320 to 4000)`);
    } else throw new Error(`unknown argument "${arg}"`);
  }
  if (check && url !== undefined)
    throw new Error('--check and --url do not go together');
  if (url !== undefined) {
    if (!/^https?:\/\//.test(url))
      throw new Error(`invalid --url "${url}" (expected http://HOST:PORT/)`);
    return { kind: 'url', url, out, width };
  }
  return check ? { kind: 'check' } : { kind: 'docs' };
}

async function main(): Promise<void> {
  const command = parseScreenshotArgs(process.argv.slice(2));
  if (command.kind === 'url') {
    const png = await screenshotOf(command.url, command.width);
    writeFileSync(command.out, png);
    console.log(`wrote ${command.out} (${png.length} bytes)`);
    return;
  }
  const file = fileURLToPath(new URL(`../${SCREENSHOT_PATH}`, import.meta.url));
  const stamp = currentChartStamp();
  if (command.kind === 'check') {
    let shown: string | undefined;
    try {
      shown = readPngText(readFileSync(file)).get(STAMP_KEYWORD);
    } catch (err) {
      shown = `unreadable: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (shown !== stamp) {
      console.error(
        `${SCREENSHOT_PATH} is stale (chart ${shown ?? 'unstamped'}, machine ${stamp}): run npm run screenshot`
      );
      process.exitCode = 1;
    }
    return;
  }
  const png = withPngText(await takeScreenshot(), STAMP_KEYWORD, stamp);
  writeFileSync(file, png);
  console.log(`wrote ${SCREENSHOT_PATH} (${png.length} bytes, chart ${stamp})`);
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`inspector-screenshot: ${message.split('\n')[0]}`);
    process.exitCode = 1;
  });
}
