/**
 * The inspector page (docs/inspector.md) in headless Chromium, against real
 * daemons with an admin listener and real chat clients on 127.0.0.1.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  browserGate,
  eventually,
  openInspector,
  sharedBrowser,
  textOf,
  waitForText,
  type InspectorPage
} from '../support/browser.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';

const gate = browserGate();
if (gate.skip)
  console.warn(`test/browser/inspector.test.ts skipped: ${gate.reason}`);

const GREETING = (line: string): boolean =>
  line.startsWith('Connected to the chat server (');
const SCREENSHOT_DIR = fileURLToPath(
  new URL('../../test-output/', import.meta.url)
);

interface ShownRow {
  id: string;
  remote: string;
  state: string;
  in: string;
  reason: string;
}

/** The connection table as shown, one object per row. */
async function readRows(page: Page): Promise<ShownRow[]> {
  const column = (name: string): Promise<string[]> =>
    page.locator(`#connections tbody tr td.${name}`).allTextContents();
  const [ids, remotes, states, ins, reasons] = await Promise.all(
    ['id', 'remote', 'state', 'in', 'reason'].map(column)
  );
  return (ids ?? []).map((id, i) => ({
    id,
    remote: remotes?.[i] ?? '?',
    state: states?.[i] ?? '?',
    in: ins?.[i] ?? '?',
    reason: reasons?.[i] ?? '?'
  }));
}

/** The followed connection's timeline as shown: `event: from → to` each. */
async function readTimeline(page: Page): Promise<string[]> {
  const [events, moves] = await Promise.all([
    page.locator('#timeline tbody tr td.event').allTextContents(),
    page.locator('#timeline tbody tr td.move').allTextContents()
  ]);
  return events.map((event, i) => `${event}: ${moves[i] ?? '?'}`);
}

/** The chart states highlighted as the followed connection's. */
async function highlighted(page: Page): Promise<string[]> {
  const current = page.locator('#chart g.state.current');
  const states: string[] = [];
  for (let i = 0; i < (await current.count()); i += 1)
    states.push((await current.nth(i).getAttribute('data-state')) ?? '?');
  return states;
}

const chartCount = (page: Page, state: string) =>
  page.locator(`#chart g.state[data-state="${state}"] text.count`);

function waitForStatus(
  page: Page,
  status: 'live' | 'reconnecting',
  timeoutMs = 10_000
): Promise<string | null> {
  return eventually(
    () => page.locator('#status').getAttribute('data-status'),
    (value) => value === status,
    `the status badge says ${status}`,
    timeoutMs
  );
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

describe.skipIf(gate.skip)('the inspector page', () => {
  const browser = sharedBrowser(gate);
  const cleanups = createCleanups();
  afterEach(() => cleanups.run());
  afterAll(() => browser.close());

  const open = async (
    url: string,
    viewport?: { width: number; height: number }
  ): Promise<InspectorPage> => {
    const view = await openInspector(await browser.get(), url, viewport);
    cleanups.add(() => view.close());
    return view;
  };

  const startInspected = async (
    adminPort = 0
  ): Promise<TestDaemon & { adminUrl: string; adminPort: number }> => {
    const test = await startTestDaemon({
      admin: { host: '127.0.0.1', port: adminPort },
      shutdownTimeoutMs: 2000
    });
    cleanups.add(() => test.daemon.close());
    const { admin } = test.daemon;
    if (admin === null) throw new Error('the daemon started no admin listener');
    return { ...test, adminUrl: admin.url, adminPort: admin.port };
  };

  /** Connects `count` clients, `batch` at a time, each past its greeting. */
  const connectMany = async (
    port: number,
    count: number,
    batch = 20
  ): Promise<TestClient[]> => {
    const clients: TestClient[] = [];
    for (let start = 0; start < count; start += batch) {
      const size = Math.min(batch, count - start);
      const connected = await Promise.all(
        Array.from({ length: size }, async () => {
          const client = await connectClient(port);
          cleanups.add(() => client.destroy());
          await client.waitForLine(GREETING, 5000);
          return client;
        })
      );
      clients.push(...connected);
    }
    return clients;
  };

  it('follows one connection from join to quit on the table, the chart and its timeline', async () => {
    const { port, adminUrl } = await startInspected();
    const clients = await connectMany(port, 3);
    const { page, pageErrors } = await open(adminUrl);
    await waitForStatus(page, 'live');

    const rows = await eventually(
      () => readRows(page),
      (shown) =>
        shown.length === 3 && shown.every((row) => row.state === 'online'),
      'the table shows three online rows'
    );
    expect(
      sameSet(
        rows.map((row) => row.remote),
        clients.map((client) => client.localAddr)
      )
    ).toBe(true);
    await waitForText(chartCount(page, 'online'), '3', 'the online count');
    await waitForText(page.locator('#room-members'), '3', 'room members');
    await waitForText(page.locator('#member-info'), '1–3 of 3', 'members');
    expect(
      sameSet(
        await page.locator('#members tbody td.remote').allTextContents(),
        clients.map((client) => client.localAddr)
      )
    ).toBe(true);

    const [talker] = clients;
    if (talker === undefined) throw new Error('no client');
    const id = rows.find((row) => row.remote === talker.localAddr)?.id;
    if (id === undefined) throw new Error(`no row for ${talker.localAddr}`);
    for (let i = 1; i <= 3; i += 1) await talker.send(`line ${i}`);
    await talker.waitForLine('[You] line 3', 5000);
    const row = page.locator(`#connections tbody tr[data-id="${id}"]`);
    await waitForText(row.locator('td.in'), '3', `${id}'s msgs in`);
    // Only the talker's cell counts its lines: nobody else sent any.
    const msgsIn = (await readRows(page)).map((shown) => [shown.id, shown.in]);
    expect(Object.fromEntries(msgsIn)).toEqual(
      Object.fromEntries(rows.map((r) => [r.id, r.id === id ? '3' : '0']))
    );

    await row.click();
    await page.locator('#timeline-panel').waitFor({ state: 'visible' });
    expect(await textOf(page.locator('#watch-id'))).toBe(id);
    await eventually(
      () => readTimeline(page),
      (timeline) =>
        timeline.join('\n') ===
        [
          'xstate.init: (start) → connecting',
          'room.joined: connecting → online'
        ].join('\n'),
      `${id}'s timeline shows its start and join`
    );
    await eventually(
      () => highlighted(page),
      (states) => states.join() === 'online',
      'the chart highlights online'
    );

    talker.end();
    await talker.closed;
    await waitForText(row.locator('td.state'), 'closed', `${id}'s state`);
    expect(await textOf(row.locator('td.reason'))).toBe('client quit');
    await eventually(
      () => readTimeline(page),
      (timeline) =>
        timeline.join('\n') ===
        [
          'xstate.init: (start) → connecting',
          'room.joined: connecting → online',
          'tcp.end: online → leaving',
          'room.left: leaving → closed'
        ].join('\n'),
      `${id}'s timeline shows its quit`
    );
    await eventually(
      () => highlighted(page),
      (states) => states.join() === 'closed',
      'the chart highlights closed'
    );
    await waitForText(chartCount(page, 'online'), '2', 'the online count');
    await waitForText(chartCount(page, 'closed'), '1', 'the closed count');
    await waitForText(page.locator('#room-members'), '2', 'room members');
    await waitForText(page.locator('#member-info'), '1–2 of 2', 'members');
    expect(
      await page.locator('#members tbody td.remote').allTextContents()
    ).not.toContain(talker.localAddr);
    const others = (await readRows(page)).filter((shown) => shown.id !== id);
    expect(others.map((shown) => shown.state)).toEqual(['online', 'online']);

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({
      path: `${SCREENSHOT_DIR}inspector.png`,
      fullPage: true
    });
    expect(pageErrors).toEqual([]);
  });

  it('reconnects to a daemon restarted on the same admin port and starts afresh', async () => {
    const first = await startInspected();
    const { page } = await open(first.adminUrl);
    await waitForStatus(page, 'live');
    // The log shows transitions from the moment the page is open.
    const [old] = await connectMany(first.port, 1);
    if (old === undefined) throw new Error('no client');
    await eventually(
      () => readRows(page),
      (shown) => shown.length === 1 && shown[0]?.remote === old.localAddr,
      'the first daemon’s client is shown'
    );
    const logHas = async (text: string): Promise<boolean> =>
      (await page.locator('#log li').allTextContents()).some((line) =>
        line.includes(text)
      );
    await eventually(
      () => logHas(old.localAddr),
      Boolean,
      'the log shows the first client'
    );

    await first.daemon.close();
    await waitForStatus(page, 'reconnecting');

    // The port was just released; another process may briefly hold it.
    let second: Awaited<ReturnType<typeof startInspected>> | null = null;
    for (let attempt = 1; second === null; attempt += 1) {
      try {
        second = await startInspected(first.adminPort);
      } catch (err) {
        const code = (err as { cause?: { code?: unknown } }).cause?.code;
        if (code !== 'EADDRINUSE' || attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(second.adminPort).toBe(first.adminPort);
    const fresh = await connectMany(second.port, 2);
    const restartedAt = Date.now();

    await waitForStatus(page, 'live', 10_000);
    await eventually(
      () => readRows(page),
      (shown) =>
        sameSet(
          shown.map((row) => row.remote),
          fresh.map((client) => client.localAddr)
        ) && shown.every((row) => row.state === 'online'),
      'the table shows the new daemon’s two clients',
      10_000
    );
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    await waitForText(chartCount(page, 'online'), '2', 'the online count');
    await waitForText(chartCount(page, 'closed'), '0', 'the closed count');
    const [late] = await connectMany(second.port, 1);
    await eventually(
      () => logHas(late?.localAddr ?? '?'),
      Boolean,
      'the log shows a client that joined since'
    );
    expect(await logHas(old.localAddr)).toBe(false);
  });

  it('pages 120 connections 50 at a time and filters by state', async () => {
    const { port, adminUrl } = await startInspected();
    const clients = await connectMany(port, 120);
    const { page } = await open(adminUrl);
    await waitForStatus(page, 'live');
    const pageInfo = page.locator('#page-info');
    const ids = (from: number, to: number): string[] =>
      Array.from({ length: from - to + 1 }, (_, i) => `c${from - i}`);

    await waitForText(pageInfo, '1–50 of 120', 'the page info');
    expect((await readRows(page)).map((row) => row.id)).toEqual(ids(120, 71));
    expect(await page.locator('#prev').isDisabled()).toBe(true);

    await page.locator('#next').click();
    await waitForText(pageInfo, '51–100 of 120', 'the page info');
    await eventually(
      () => readRows(page),
      (shown) => shown.map((row) => row.id).join() === ids(70, 21).join(),
      'the second page shows c70 to c21'
    );

    await page.locator('#next').click();
    await waitForText(pageInfo, '101–120 of 120', 'the page info');
    expect((await readRows(page)).length).toBe(20);
    expect(await page.locator('#next').isDisabled()).toBe(true);

    const quitters = clients.slice(0, 5);
    for (const client of quitters) client.end();
    await Promise.all(quitters.map((client) => client.closed));
    await waitForText(chartCount(page, 'closed'), '5', 'the closed count');

    await page.locator('#state-filter').selectOption('closed');
    await waitForText(pageInfo, '1–5 of 5', 'the page info');
    const closed = await eventually(
      () => readRows(page),
      (shown) => shown.length === 5,
      'the closed filter shows five rows'
    );
    expect(closed.every((row) => row.state === 'closed')).toBe(true);
    expect(closed.every((row) => row.reason === 'client quit')).toBe(true);
    expect(
      sameSet(
        closed.map((row) => row.remote),
        quitters.map((client) => client.localAddr)
      )
    ).toBe(true);
    expect(await page.locator('#connections tbody tr').count()).toBe(5);
  });

  it('keeps every state of the chart in view at 800 px wide, with no sideways scrolling', async () => {
    const { port, adminUrl } = await startInspected();
    await connectMany(port, 2);
    const { page, pageErrors } = await open(adminUrl, {
      width: 800,
      height: 600
    });
    await waitForStatus(page, 'live');
    await waitForText(chartCount(page, 'online'), '2', 'the online count');

    const panel = await page.locator('#chart-panel').boundingBox();
    if (panel === null) throw new Error('the chart panel is not shown');
    expect(panel.x).toBeGreaterThanOrEqual(0);
    expect(panel.x + panel.width).toBeLessThanOrEqual(800);
    const states = page.locator('#chart g.state');
    expect(await states.count()).toBe(5);
    for (let i = 0; i < 5; i += 1) {
      const state = states.nth(i);
      const name = await state.getAttribute('data-state');
      const box = await state.boundingBox();
      if (box === null) throw new Error(`state ${name} is not drawn`);
      // Inside the panel, which clips what overflows it.
      expect(box.x, `${name} starts inside the panel`).toBeGreaterThanOrEqual(
        panel.x
      );
      expect(
        box.x + box.width,
        `${name} ends inside the panel`
      ).toBeLessThanOrEqual(panel.x + panel.width);
    }
    const closed = page.locator('#chart g.state[data-state="closed"]');
    expect(await closed.isVisible()).toBe(true);
    // Nothing on the page needs a sideways scroll: not the chart, not the room.
    const measure = async (expression: string): Promise<number> =>
      Number(await page.evaluate(expression));
    const root = 'document.documentElement';
    expect(await measure(`${root}.scrollWidth`)).toBeLessThanOrEqual(
      await measure(`${root}.clientWidth`)
    );
    const chartPanel = "document.getElementById('chart-panel')";
    expect(
      await measure(`${chartPanel}.scrollWidth - ${chartPanel}.clientWidth`)
    ).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('shows no timeline hint and an empty room until someone connects', async () => {
    const { port, adminUrl } = await startInspected();
    const { page } = await open(adminUrl);
    await waitForStatus(page, 'live');
    const hint = page.getByText('Click a connection to follow its timeline.');
    await waitForText(page.locator('#page-info'), 'none', 'the page info');
    expect(await hint.isVisible()).toBe(false);
    await waitForText(page.locator('#member-info'), 'none', 'members');
    expect(await page.locator('#members-empty').isVisible()).toBe(true);

    await connectMany(port, 1);
    await waitForText(page.locator('#page-info'), '1–1 of 1', 'the page info');
    await hint.waitFor({ state: 'visible' });
    await waitForText(page.locator('#member-info'), '1–1 of 1', 'members');
    expect(await page.locator('#members-empty').isVisible()).toBe(false);
  });

  it('lists the room members 20 to a page, oldest first, and follows one on a click', async () => {
    const { port, adminUrl } = await startInspected();
    const clients = await connectMany(port, 25, 5);
    const { page } = await open(adminUrl);
    await waitForStatus(page, 'live');
    const info = page.locator('#member-info');
    const shown = () =>
      page.locator('#members tbody td.remote').allTextContents();
    const ids = async (): Promise<string[]> => {
      const rows = page.locator('#members tbody tr');
      const seen: string[] = [];
      for (let i = 0; i < (await rows.count()); i += 1)
        seen.push((await rows.nth(i).getAttribute('data-id')) ?? '?');
      return seen;
    };

    await waitForText(info, '1–20 of 25', 'members');
    expect(await page.locator('#member-prev').isDisabled()).toBe(true);
    // Accept order: c1 … c20 on the first page, c21 … c25 on the second.
    expect(await ids()).toEqual(
      Array.from({ length: 20 }, (_, i) => `c${i + 1}`)
    );
    const first = await shown();
    await page.locator('#member-next').click();
    await waitForText(info, '21–25 of 25', 'members');
    await eventually(
      ids,
      (seen) => seen.join() === 'c21,c22,c23,c24,c25',
      'the second page shows c21 to c25'
    );
    expect(await page.locator('#member-next').isDisabled()).toBe(true);
    expect(
      sameSet(
        [...first, ...(await shown())],
        clients.map((client) => client.localAddr)
      )
    ).toBe(true);

    // A member who leaves drops off the list.
    const leaver = clients.at(-1);
    if (leaver === undefined) throw new Error('no client');
    leaver.end();
    await leaver.closed;
    await waitForText(info, '21–24 of 24', 'members');
    expect(await shown()).not.toContain(leaver.localAddr);

    await page.locator('#members tbody tr[data-id="c22"]').click();
    await page.locator('#timeline-panel').waitFor({ state: 'visible' });
    expect(await textOf(page.locator('#watch-id'))).toBe('c22');
    await eventually(
      () => readTimeline(page),
      (timeline) => timeline.at(-1) === 'room.joined: connecting → online',
      'c22’s timeline shows its join'
    );
  });

  it('lists the rooms 20 to a page and filters the table by a room, by keyboard', async () => {
    const { port, adminUrl } = await startInspected();
    // One room each: a connection may create only 5 rooms a minute.
    const clients = await connectMany(port, 22, 11);
    const room = (i: number): string => `#r${String(i + 1).padStart(2, '0')}`;
    await Promise.all(
      clients.map(async (client, i) => {
        await client.send(`/join ${room(i)}`);
        await client.waitForLine((line) => line.startsWith('Now in #r'));
      })
    );
    const [ann] = clients;
    if (ann === undefined) throw new Error('no clients');
    const [second] = await connectMany(port, 1);
    if (second === undefined) throw new Error('no client');
    await second.send('/join #r01');
    await second.waitForLine('Now in #r01 (2 users online)');
    await ann.send('/nick ann');
    await ann.waitForLine((line) => line.endsWith('is now known as ann'));
    const { page, pageErrors } = await open(adminUrl);
    await waitForStatus(page, 'live');

    // The lobby, empty now, and #r01 … #r22, by name.
    const info = page.locator('#room-info');
    const names = () => page.locator('#rooms tbody td.name').allTextContents();
    await waitForText(info, '1–20 of 23', 'the rooms page');
    await waitForText(page.locator('#room-count'), '23', 'the room count');
    await waitForText(page.locator('#name-count'), '1', 'the name count');
    expect(await names()).toEqual([
      '#lobby',
      ...Array.from({ length: 19 }, (_, i) => room(i))
    ]);
    const members = await page
      .locator('#rooms tbody td.members')
      .allTextContents();
    expect(members.slice(0, 3)).toEqual(['0', '2', '1']);
    expect(await page.locator('#room-prev').isDisabled()).toBe(true);
    await page.locator('#room-next').focus();
    await page.keyboard.press('Enter');
    await waitForText(info, '21–23 of 23', 'the rooms page');
    expect(await names()).toEqual(['#r20', '#r21', '#r22']);
    expect(await page.locator('#room-next').isDisabled()).toBe(true);
    await page.locator('#room-prev').focus();
    await page.keyboard.press('Enter');
    await waitForText(info, '1–20 of 23', 'the rooms page');

    // A room's button filters the table to it; Enter presses it.
    const pageInfo = page.locator('#page-info');
    await waitForText(pageInfo, '1–23 of 23', 'the page info');
    await page.locator('#rooms button[data-room="#r01"]').focus();
    await page.keyboard.press('Enter');
    await waitForText(pageInfo, '1–2 of 2', 'the #r01 page info');
    expect(await page.locator('#room-filter').inputValue()).toBe('#r01');
    const shown = await eventually(
      () => readRows(page),
      (rows) => rows.length === 2,
      'the table shows #r01’s two connections'
    );
    expect(
      sameSet(
        shown.map((row) => row.remote),
        [ann.localAddr, second.localAddr]
      )
    ).toBe(true);
    const cells = async (name: string) =>
      page.locator(`#connections tbody td.${name}`).allTextContents();
    expect(await cells('room')).toEqual(['#r01', '#r01']);
    expect((await cells('name')).sort()).toEqual(['', 'ann']);

    // Typed, in any case, and applied on Enter.
    const filter = page.locator('#room-filter');
    await filter.focus();
    await filter.fill('');
    await page.keyboard.type('#R07');
    await page.keyboard.press('Enter');
    await waitForText(pageInfo, '1–1 of 1', 'the #r07 page info');
    expect(await cells('room')).toEqual(['#r07']);
    // A name no room can have is refused where it is typed.
    await filter.fill('r07 x');
    await page.keyboard.press('Enter');
    await eventually(
      () => filter.getAttribute('aria-invalid'),
      (value) => value === 'true',
      'the filter is marked invalid'
    );
    expect(await page.locator('#room-filter-help').isVisible()).toBe(true);
    expect(await textOf(pageInfo)).toBe('1–1 of 1');
    // Cleared: every room again.
    await filter.fill('');
    await page.keyboard.press('Enter');
    await waitForText(pageInfo, '1–23 of 23', 'the page info');
    expect(await filter.getAttribute('aria-invalid')).toBe('false');
    expect(pageErrors).toEqual([]);
  });

  it('requests nothing from anywhere but the admin listener', async () => {
    const { port, adminUrl } = await startInspected();
    await connectMany(port, 2);
    const { page, requests, pageErrors } = await open(adminUrl);
    await waitForStatus(page, 'live');
    await eventually(
      () => readRows(page),
      (shown) => shown.length === 2,
      'the table shows two rows'
    );
    // Follow a connection and filter: each reopens the stream.
    await page.locator('#connections tbody tr').first().click();
    await page.locator('#timeline-panel').waitFor({ state: 'visible' });
    await page.locator('#state-filter').selectOption('online');
    await waitForText(page.locator('#page-info'), '1–2 of 2', 'the page info');
    await waitForStatus(page, 'live');

    const origin = new URL(adminUrl).origin;
    const elsewhere = requests.filter((url) => new URL(url).origin !== origin);
    expect(elsewhere).toEqual([]);
    const paths = new Set(requests.map((url) => new URL(url).pathname));
    for (const path of ['/', '/inspector.js', '/inspector.css', '/events'])
      expect(paths).toContain(path);
    expect(pageErrors).toEqual([]);
  });
});
