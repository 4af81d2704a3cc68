/**
 * The chat page (docs/transports.md, "Chat page") in headless Chromium,
 * served by a real daemon's WebSocket listener on 127.0.0.1 (`ws`), with a
 * plain TCP user beside the browsers in the same rooms.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/app/daemon.js';
import { createLogger } from '../../src/app/logger.js';
import {
  browserGate,
  eventually,
  openInspector,
  sharedBrowser,
  waitForText,
  type InspectorPage
} from '../support/browser.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import { startTestDaemon } from '../support/daemon.js';

const gate = browserGate();
if (gate.skip)
  console.warn(`test/browser/chat-page.test.ts skipped: ${gate.reason}`);

// Page-side code is given as text: the tests' tsconfig has no DOM types.

/** The message list as shown: `kind|text` per line. */
function shown(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(
    "[...document.querySelectorAll('#messages li')].map((li) => `${li.dataset.kind}|${li.textContent}`)"
  );
}

/** The computed background colour of the first element `selector` finds. */
function background(page: Page, selector: string): Promise<string> {
  return page.evaluate<string>(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).backgroundColor`
  );
}

/** Waits until the page shows a line of `kind` that `match`es. */
function waitForShown(
  page: Page,
  kind: string,
  match: string | RegExp,
  what: string
): Promise<string[]> {
  const test = (line: string): boolean => {
    const [k, ...rest] = line.split('|');
    const text = rest.join('|');
    return (
      k === kind &&
      (typeof match === 'string' ? text === match : match.test(text))
    );
  };
  return eventually(
    () => shown(page),
    (lines) => lines.some(test),
    what
  );
}

/** The member list as shown, sorted. */
async function members(page: Page): Promise<string[]> {
  return (await page.locator('#members li').allTextContents()).sort();
}

function waitForMembers(
  page: Page,
  expected: string[],
  what: string
): Promise<string[]> {
  const want = [...expected].sort().join(',');
  return eventually(
    () => members(page),
    (names) => names.join(',') === want,
    `${what}: members ${want}`
  );
}

/** Types `text` in the message input and presses Enter. */
async function say(page: Page, text: string): Promise<void> {
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
}

/** Takes `name` through the name form. */
async function setName(page: Page, name: string): Promise<void> {
  await page.locator('#nick-input').fill(name);
  await page.locator('#nick-input').press('Enter');
  await waitForText(page.locator('#me'), name, `the page's name`);
}

/** Where `daemon` serves its chat page. */
function pageUrl(daemon: {
  ws: { host: string; port: number } | null;
}): string {
  if (daemon.ws === null) throw new Error('the daemon has no --ws');
  return `http://${daemon.ws.host}:${daemon.ws.port}/`;
}

describe.skipIf(gate.skip)('the chat page', () => {
  const browser = sharedBrowser(gate);
  const cleanups = createCleanups();
  afterEach(() => cleanups.run());
  afterAll(() => browser.close());

  /** A daemon with its page: the TCP port, and the page's URL. */
  const start = async (): Promise<{ port: number; url: string }> => {
    const test = await startTestDaemon({
      shutdownTimeoutMs: 2000,
      ws: { port: 0 }
    });
    cleanups.add(() => test.daemon.close());
    return { port: test.port, url: pageUrl(test.daemon) };
  };

  const open = async (url: string): Promise<InspectorPage> => {
    const view = await openInspector(await browser.get(), url);
    cleanups.add(() => view.close());
    await waitForShown(
      view.page,
      'notice',
      /^Connected to the chat server/,
      'greeting'
    );
    return view;
  };

  const tcpUser = async (port: number): Promise<TestClient> => {
    const client = await connectClient(port);
    cleanups.add(() => client.destroy());
    await client.waitForLine((line) => line.startsWith('Connected'));
    return client;
  };

  it('lets two browser users and a TCP user chat, rename, move rooms and whisper', async () => {
    const { port, url } = await start();
    const alice = await open(url);
    const bob = await open(url);
    const carol = await tcpUser(port);

    // Keyboard only: Tab reaches the message input first, Enter sends.
    await alice.page.keyboard.press('Tab');
    expect(
      await alice.page.evaluate<string>("document.activeElement?.id ?? ''")
    ).toBe('input');
    await alice.page.keyboard.type('/nick alice');
    await alice.page.keyboard.press('Enter');
    await waitForText(alice.page.locator('#me'), 'alice', "alice's name");
    await setName(bob.page, 'bob');
    await carol.send('/nick carol');
    await carol.waitForLine(
      '127.0.0.1:' + carol.socket.localPort + ' is now known as carol'
    );
    await waitForMembers(alice.page, ['alice (you)', 'bob', 'carol'], 'lobby');
    await waitForMembers(bob.page, ['alice', 'bob (you)', 'carol'], 'lobby');

    await say(alice.page, 'hello all');
    await waitForShown(alice.page, 'own', '[You] hello all', 'own line');
    await waitForShown(bob.page, 'chat', '[alice] hello all', 'relayed line');
    await carol.waitForLine('[alice] hello all');
    await carol.send('<b>hi</b> from nc');
    await waitForShown(
      alice.page,
      'chat',
      '[carol] <b>hi</b> from nc',
      'nc line'
    );
    // Text, not markup: no <b> element came from the server's line.
    expect(await alice.page.locator('#messages b').count()).toBe(0);

    // Rename: everyone's list follows.
    await setName(bob.page, 'bobby');
    await waitForShown(
      alice.page,
      'notice',
      'bob is now known as bobby',
      'rename'
    );
    await carol.waitForLine('bob is now known as bobby');
    await waitForMembers(
      alice.page,
      ['alice (you)', 'bobby', 'carol'],
      'after rename'
    );

    // Whisper by clicking a member: highlighted for its target only.
    await alice.page.locator('#members button', { hasText: 'bobby' }).click();
    expect(await alice.page.locator('#input').inputValue()).toBe('/msg bobby ');
    await alice.page.keyboard.type('psst');
    await alice.page.keyboard.press('Enter');
    await waitForShown(
      bob.page,
      'private-in',
      '[alice -> you] psst',
      'whisper in'
    );
    await waitForShown(
      alice.page,
      'private-out',
      '[you -> bobby] psst',
      'whisper out'
    );
    expect(await bob.page.locator('#messages li.private-in').count()).toBe(1);
    expect(await alice.page.locator('#messages li.private-in').count()).toBe(0);
    expect(await background(bob.page, 'li.private-in')).not.toBe(
      await background(bob.page, 'li.chat')
    );

    // Move rooms: the member lists of both rooms follow.
    await bob.page.locator('#room-input').fill('dev');
    await bob.page.locator('#room-input').press('Enter');
    await waitForText(bob.page.locator('#room'), '#dev', "bob's room");
    await waitForMembers(bob.page, ['bobby (you)'], 'bob alone in #dev');
    await waitForMembers(
      alice.page,
      ['alice (you)', 'carol'],
      'lobby after bob left'
    );
    await carol.send('/join #dev');
    await carol.waitForLine('Now in #dev (2 users online)');
    await waitForMembers(
      bob.page,
      ['bobby (you)', 'carol'],
      '#dev after carol'
    );
    await waitForMembers(alice.page, ['alice (you)'], 'lobby after carol left');
    await carol.send('in dev');
    await waitForShown(bob.page, 'chat', '[carol] in dev', 'chat in #dev');
    await alice.page.locator('#list-rooms').click();
    await eventually(
      () => alice.page.locator('#rooms li').allTextContents(),
      (rooms) => rooms.join(',') === '#dev (2),#lobby (1)',
      'the room list'
    );
    // The whisper went to bob alone.
    expect(carol.lines.some((line) => line.includes('psst'))).toBe(false);
    expect(alice.pageErrors.concat(bob.pageErrors)).toEqual([]);
  });

  it('shows everyone the leave of a page closed mid-chat', async () => {
    const { port, url } = await start();
    const alice = await open(url);
    const bob = await open(url);
    const carol = await tcpUser(port);
    await setName(alice.page, 'alice');
    await setName(bob.page, 'bob');
    await say(bob.page, 'bye soon');
    await waitForShown(alice.page, 'chat', '[bob] bye soon', 'bob speaks');
    await waitForMembers(
      alice.page,
      ['alice (you)', 'bob', carol.localAddr],
      'all three'
    );
    await bob.close();
    const leave = /^The user bob \(127\.0\.0\.1:\d+\) left \(2 users online\)$/;
    await waitForShown(alice.page, 'notice', leave, 'the leave');
    await carol.waitForLine((line) => leave.test(line));
    await waitForMembers(
      alice.page,
      ['alice (you)', carol.localAddr],
      'after the leave'
    );
  });

  it('shows the shutdown, then reconnects by itself to a new daemon', async () => {
    const first = await startTestDaemon({
      shutdownTimeoutMs: 2000,
      ws: { port: 0 }
    });
    cleanups.add(() => first.daemon.close());
    const alice = await open(pageUrl(first.daemon));
    await setName(alice.page, 'alice');
    await say(alice.page, '/join #dev');
    await waitForText(alice.page.locator('#room'), '#dev', 'the room');

    await first.daemon.close();
    await waitForShown(
      alice.page,
      'notice',
      'Server shutting down',
      'shutdown line'
    );
    const banner = alice.page.locator('#banner');
    await eventually(
      async () => [
        await banner.isVisible(),
        await banner.getAttribute('data-kind'),
        await banner.textContent()
      ],
      ([visible, kind, text]) =>
        visible === true &&
        kind === 'shutdown' &&
        /shutting down/.test(String(text)),
      'the shutdown banner'
    );

    // A new daemon on the same ports: the page comes back on its own,
    // with its name and room.
    const logger = createLogger({ console: false });
    const second = await startDaemon({
      host: '127.0.0.1',
      port: first.port,
      ws: { port: first.daemon.ws?.port ?? 0 },
      logger,
      floodRate: 0
    });
    cleanups.add(() => second.close());
    // A second greeting: the page is in the new daemon's lobby, and only
    // then takes its name and room back.
    await eventually(
      () => shown(alice.page),
      (lines) =>
        lines.filter((l) => l.startsWith('notice|Connected to the chat server'))
          .length === 2,
      'the greeting of the new daemon',
      20_000
    );
    await waitForText(
      alice.page.locator('#room'),
      '#dev',
      'the room again',
      20_000
    );
    await waitForText(alice.page.locator('#me'), 'alice', 'the name again');
    expect(await alice.page.locator('#banner').textContent()).toBe('');
    expect(await alice.page.locator('#banner').isHidden()).toBe(true);
    const carol = await tcpUser(second.port);
    await carol.send('/join #dev');
    await carol.waitForLine('Now in #dev (2 users online)');
    await say(alice.page, 'back again');
    await carol.waitForLine('[alice] back again');
  });
});
