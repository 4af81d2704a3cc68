/**
 * The inspector's event stream, `/events` (docs/inspector.md, "The event
 * stream"), read over real HTTP while real chat clients come and go:
 * hello, updates, rows and timelines, filters and paging, bad parameters,
 * the update rate, the viewer limit, and a few hundred connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ViewQuery } from '../../src/admin/view-query.js';
import type {
  ConnectionRow,
  TimelineEntry,
  Transition
} from '../../src/admin/monitor.js';
import type { MachineGraph } from '../../src/machines/graph.js';
import { connectClient, type TestClient } from '../support/client.js';
import { createHarness } from '../support/harness.js';
import { openSse, request, type SseStream } from '../support/sse.js';
import { until, within } from '../support/wait.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

interface Hello {
  startedAt: number;
  machine: MachineGraph;
  query: ViewQuery;
}

interface View {
  offset: number;
  limit: number;
  state: string;
  order: string;
  total: number;
  rows: ConnectionRow[];
}

interface Update {
  at: number;
  room: { members: number; messages: number; rooms: number; names: number };
  states: Record<string, number>;
  totals: {
    accepted: number;
    refused: Record<string, number>;
    disconnects: Record<string, number>;
  };
  transitions: Transition[];
  dropped: number;
  view?: View;
  members?: {
    offset: number;
    limit: number;
    total: number;
    rows: Array<{ id: string; remote: string; since: number }>;
  };
  watch?: { id: string; row: ConnectionRow | null; timeline: TimelineEntry[] };
}

/** A daemon with an admin listener on 127.0.0.1, and its base URL. */
async function adminDaemon(): Promise<{
  url: string;
  t: Awaited<ReturnType<typeof daemon>>;
}> {
  const t = await daemon({ admin: { host: '127.0.0.1', port: 0 } });
  return { url: t.daemon.admin?.url ?? '', t };
}

/** Opens `/events?query`; closed on cleanup. */
async function events(url: string, query = ''): Promise<SseStream> {
  const stream = await openSse(
    `${url}events${query === '' ? '' : `?${query}`}`
  );
  cleanups.add(() => stream.close());
  return stream;
}

/** Connects `n` members one after another, each past its greeting. */
async function members(port: number, n: number): Promise<TestClient[]> {
  const list: TestClient[] = [];
  for (let i = 0; i < n; i += 1) {
    const c = await client(port);
    await c.waitForLine((line) => line.startsWith('Connected to the chat'));
    list.push(c);
  }
  return list;
}

/** The latest `view` any update so far carried. */
function lastView(stream: SseStream): View | undefined {
  return stream
    .all<Update>('update')
    .map((u) => u.view)
    .filter((v): v is View => v !== undefined)
    .at(-1);
}

/** `chat_inspector_viewers` from /metrics. */
async function viewers(url: string): Promise<number> {
  const body = (await request(`${url}metrics`)).body;
  return Number(/^chat_inspector_viewers (\d+)$/m.exec(body)?.[1] ?? NaN);
}

const ids = (rows: readonly ConnectionRow[] | undefined): string[] =>
  (rows ?? []).map((row) => row.id);

describe('/events', () => {
  it('starts with retry, a hello with the machine and the query, then an update', async () => {
    const before = Date.now();
    const { url } = await adminDaemon();
    const stream = await events(url);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe(
      'text/event-stream; charset=utf-8'
    );
    expect(stream.headers['cache-control']).toBe('no-store');

    const hello = await stream.next<Hello>('hello');
    expect(stream.text().startsWith('retry: 1000\n\nevent: hello\n')).toBe(
      true
    );
    expect(stream.retry()).toBe(1000);
    expect(stream.frames[0]?.event).toBe('hello');
    expect(hello.startedAt).toBeGreaterThanOrEqual(before);
    expect(hello.startedAt).toBeLessThanOrEqual(Date.now());
    expect(hello.machine.id).toBe('connection');
    expect(hello.machine.states).toEqual([
      { id: 'connecting', final: false, initial: true },
      { id: 'online', final: false, initial: false },
      { id: 'moving', final: false, initial: false },
      { id: 'leaving', final: false, initial: false },
      { id: 'closed', final: true, initial: false }
    ]);
    expect(hello.machine.edges).toContainEqual(
      expect.objectContaining({
        from: 'connecting',
        to: 'online',
        events: ['room.joined']
      })
    );
    expect(hello.machine.edges).toContainEqual(
      expect.objectContaining({ from: 'leaving', to: 'closed' })
    );
    expect(hello.query).toEqual({
      offset: 0,
      limit: 50,
      state: 'all',
      order: 'newest',
      room: null,
      watch: null,
      intervalMs: 200,
      memberOffset: 0,
      memberLimit: 20,
      roomOffset: 0,
      roomLimit: 20
    });
    const machine = await request(`${url}api/machine`);
    expect(JSON.parse(machine.body)).toEqual(hello.machine);

    const update = await stream.next<Update>('update');
    expect(update.room).toEqual({
      members: 0,
      messages: 0,
      rooms: 1,
      names: 0
    });
    expect(update.states).toEqual({
      connecting: 0,
      online: 0,
      moving: 0,
      leaving: 0,
      closed: 0
    });
    expect(update.totals.accepted).toBe(0);
    expect(update.transitions).toEqual([]);
    expect(update.dropped).toBe(0);
    expect(update.view).toEqual({
      offset: 0,
      limit: 50,
      state: 'all',
      order: 'newest',
      room: null,
      total: 0,
      rows: []
    });
    expect(update.members).toEqual({
      offset: 0,
      limit: 20,
      total: 0,
      rows: []
    });
    expect(update.watch).toBeUndefined();

    // Another viewer sees the same listener start.
    const second = await events(url, 'order=oldest&limit=7&watch=c9');
    const again = await second.next<Hello>('hello');
    expect(again.startedAt).toBe(hello.startedAt);
    expect(again.query).toMatchObject({
      order: 'oldest',
      limit: 7,
      watch: 'c9'
    });
  });

  it('sends no update while nothing changes', async () => {
    const { url } = await adminDaemon();
    const stream = await events(url, 'interval=100');
    await stream.next('update');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(stream.frames.map((f) => f.event)).toEqual(['hello', 'update']);
  });

  it('shows each connection online with its address and its transitions', async () => {
    const { url, t } = await adminDaemon();
    const stream = await events(url, 'interval=100&watch=c2');
    const first = await stream.next<Update>('update');
    // c2 does not exist yet: its row is null.
    expect(first.watch).toEqual({ id: 'c2', row: null, timeline: [] });

    const [a, b, c] = await members(t.port, 3);
    const update = await stream.next<Update>(
      'update',
      (u) =>
        lastView(stream)?.rows.filter((r) => r.state === 'online').length ===
          3 && u.states.online === 3
    );
    const view = lastView(stream);
    expect(view?.total).toBe(3);
    expect(view?.rows.map((r) => [r.id, r.remote, r.state])).toEqual([
      ['c3', c?.localAddr, 'online'],
      ['c2', b?.localAddr, 'online'],
      ['c1', a?.localAddr, 'online']
    ]);
    for (const row of view?.rows ?? []) {
      expect(row.openedAt).toBeLessThanOrEqual(row.since);
      expect(row.reason).toBeNull();
      expect(row.queuedBytes).toBe(0);
    }
    expect(update.room.members).toBe(3);
    expect(update.totals.accepted).toBe(3);
    // The room panel's list: members oldest first, with when they joined.
    const listed = stream
      .all<Update>('update')
      .map((u) => u.members)
      .filter((m) => m !== undefined)
      .at(-1);
    expect(listed?.total).toBe(3);
    expect(listed?.rows.map((m) => [m.id, m.remote])).toEqual([
      ['c1', a?.localAddr],
      ['c2', b?.localAddr],
      ['c3', c?.localAddr]
    ]);
    for (const member of listed?.rows ?? [])
      expect(member.since).toBe(
        view?.rows.find((row) => row.id === member.id)?.since
      );

    const transitions = stream
      .all<Update>('update')
      .flatMap((u) => u.transitions);
    for (const [id, peer] of [
      ['c1', a],
      ['c2', b],
      ['c3', c]
    ] as const) {
      expect(
        transitions
          .filter((tr) => tr.id === id)
          .map((tr) => [tr.remote, tr.event, tr.from, tr.to])
      ).toEqual([
        [peer?.localAddr, 'xstate.init', null, 'connecting'],
        [peer?.localAddr, 'room.joined', 'connecting', 'online']
      ]);
    }

    const watched = stream
      .all<Update>('update')
      .map((u) => u.watch)
      .filter((w) => w?.row?.state === 'online')
      .at(-1);
    expect(watched?.row?.remote).toBe(b?.localAddr);
    expect(watched?.timeline.map((e) => [e.event, e.from, e.to])).toEqual([
      ['xstate.init', null, 'connecting'],
      ['room.joined', 'connecting', 'online']
    ]);
  });

  it('counts messages in and out per connection', async () => {
    const { url, t } = await adminDaemon();
    const [a, b, c] = await members(t.port, 3);
    await a?.waitForLine((l) => l.includes('(3 users online)'));
    await b?.waitForLine((l) => l.includes('(3 users online)'));
    const stream = await events(url, 'interval=100&order=oldest');
    const before = (await stream.next<Update>('update')).view?.rows ?? [];
    expect(ids(before)).toEqual(['c1', 'c2', 'c3']);

    await b?.send('one');
    await b?.send('two');
    for (const peer of [a, b, c])
      await peer?.waitForLine((l) => l.endsWith('two'));
    await stream.next<Update>(
      'update',
      () => lastView(stream)?.rows[1]?.messagesIn === 2
    );
    const after = lastView(stream)?.rows ?? [];
    expect(after.map((r) => r.messagesIn)).toEqual([0, 2, 0]);
    // Everyone, the sender too (`[You] …`), was sent both lines.
    for (let i = 0; i < 3; i += 1) {
      expect(after[i]?.messagesOut).toBe((before[i]?.messagesOut ?? 0) + 2);
      expect(after[i]?.bytesOut).toBeGreaterThan(before[i]?.bytesOut ?? 0);
    }
    expect(after[1]?.bytesIn).toBe('one\ntwo\n'.length);
    expect(after[1]?.messagesOut).toBe(b?.lines.length);
    expect(after[0]?.messagesOut).toBe(a?.lines.length);
  });

  it('follows a connection that quits to closed, with its reason and timeline', async () => {
    const { url, t } = await adminDaemon();
    const [a, b] = await members(t.port, 3);
    await b?.send('hello');
    await a?.waitForLine((l) => l.endsWith('hello'));
    const stream = await events(url, 'interval=100&watch=c2');
    await stream.next<Update>('update', (u) => u.watch?.row?.messagesIn === 1);

    b?.end();
    const done = await stream.next<Update>(
      'update',
      (u) => u.watch?.row?.state === 'closed'
    );
    expect(done.watch?.row).toMatchObject({
      id: 'c2',
      remote: b?.localAddr,
      state: 'closed',
      reason: 'client quit',
      messagesIn: 1
    });
    expect(done.watch?.timeline.map((e) => [e.event, e.from, e.to])).toEqual([
      ['xstate.init', null, 'connecting'],
      ['room.joined', 'connecting', 'online'],
      ['tcp.end', 'online', 'leaving'],
      ['room.left', 'leaving', 'closed']
    ]);
    const timeline = done.watch?.timeline ?? [];
    for (let i = 1; i < timeline.length; i += 1) {
      expect(timeline[i]?.at).toBeGreaterThanOrEqual(timeline[i - 1]?.at ?? 0);
    }
    const transitions = stream
      .all<Update>('update')
      .flatMap((u) => u.transitions);
    expect(
      transitions.filter((tr) => tr.id === 'c2').map((tr) => [tr.event, tr.to])
    ).toEqual([
      ['tcp.end', 'leaving'],
      ['room.left', 'closed']
    ]);
    // The same update counts it closed.
    expect(done.states).toEqual({
      connecting: 0,
      online: 2,
      moving: 0,
      leaving: 0,
      closed: 1
    });
    expect(done.totals.disconnects['client quit']).toBe(1);
    expect(done.room.members).toBe(2);

    // The filters: online leaves it out, closed and all keep it.
    const online = await events(url, 'state=online');
    const onlineView = (await online.next<Update>('update')).view;
    expect(onlineView?.total).toBe(2);
    expect(ids(onlineView?.rows)).toEqual(['c3', 'c1']);
    const live = await events(url, 'state=live');
    expect(ids((await live.next<Update>('update')).view?.rows)).toEqual([
      'c3',
      'c1'
    ]);
    const closed = await events(url, 'state=closed');
    const closedView = (await closed.next<Update>('update')).view;
    expect(closedView?.total).toBe(1);
    expect(closedView?.rows[0]).toMatchObject({
      id: 'c2',
      reason: 'client quit'
    });
    const api = JSON.parse(
      (await request(`${url}api/connections/c2`)).body
    ) as { row: ConnectionRow; timeline: TimelineEntry[] };
    expect(api.row.state).toBe('closed');
    expect(api.timeline).toEqual(timeline);
  });

  it('pages through the rows with offset, limit and order', async () => {
    const { url, t } = await adminDaemon();
    const [, b] = await members(t.port, 3);
    b?.end();
    await until(
      () => t.daemon.stats().disconnects['client quit'] === 1,
      'c2 has quit'
    );
    const cases: Array<[string, number, string[]]> = [
      ['limit=2', 3, ['c3', 'c2']],
      ['limit=2&offset=2', 3, ['c1']],
      ['limit=2&offset=5', 3, []],
      ['order=oldest&limit=2', 3, ['c1', 'c2']],
      ['order=oldest&limit=2&offset=1', 3, ['c2', 'c3']],
      ['state=online&limit=1&offset=1', 2, ['c1']],
      ['state=closed&order=oldest', 1, ['c2']]
    ];
    for (const [query, total, expected] of cases) {
      const stream = await events(url, query);
      const update = await stream.next<Update>('update');
      expect(update.view?.total, query).toBe(total);
      expect(ids(update.view?.rows), query).toEqual(expected);
      const api = JSON.parse(
        (await request(`${url}api/connections?${query}`)).body
      ) as { total: number; rows: ConnectionRow[] };
      expect(api.total, query).toBe(total);
      expect(ids(api.rows), query).toEqual(expected);
      stream.close();
    }
  });

  it('rejects a bad query parameter with 400 and one line naming it', async () => {
    const { url } = await adminDaemon();
    const cases: Array<[string, string]> = [
      ['limit=0', 'invalid limit 0 (expected 1 to 500)'],
      ['limit=501', 'invalid limit 501 (expected 1 to 500)'],
      ['limit=ten', 'invalid limit "ten" (expected a whole number)'],
      ['limit=1.5', 'invalid limit "1.5" (expected a whole number)'],
      ['offset=-1', 'invalid offset "-1" (expected a whole number)'],
      ['interval=99', 'invalid interval 99 (expected 100 to 10000)'],
      ['interval=10001', 'invalid interval 10001 (expected 100 to 10000)'],
      [
        'state=sleeping',
        'invalid state "sleeping" (expected all, live, connecting, online, moving, leaving, closed)'
      ],
      ['order=random', 'invalid order "random" (expected newest or oldest)'],
      ['memberLimit=0', 'invalid memberLimit 0 (expected 1 to 500)'],
      ['memberOffset=x', 'invalid memberOffset "x" (expected a whole number)']
    ];
    for (const [query, line] of cases) {
      for (const path of ['events', 'api/connections']) {
        const reply = await request(`${url}${path}?${query}`);
        expect(reply.status, `${path}?${query}`).toBe(400);
        expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(reply.body).toBe(`${line}\n`);
      }
    }
    expect(await viewers(url)).toBe(0);
  });

  it('sends at most 10 updates a second under continuous traffic', async () => {
    const { url, t } = await adminDaemon();
    const [a] = await members(t.port, 2);
    const stream = await events(url, 'interval=100');
    await stream.next('update');
    const windowMs = 1500;
    const start = performance.now();
    const from = stream.frames.length;
    let sent = 0;
    while (performance.now() - start < windowMs && sent < 300) {
      await a?.send(`line ${sent}`);
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const end = performance.now();
    const updates = stream.frames
      .slice(from)
      .filter((f) => f.event === 'update' && f.at <= end);
    const seconds = (end - start) / 1000;
    expect(sent).toBeGreaterThan(50);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 3);
    // Traffic changes something every interval: the updates did flow.
    expect(updates.length).toBeGreaterThanOrEqual(5);
  });

  it('serves 32 streams at once and answers the 33rd with 503', async () => {
    const { url } = await adminDaemon();
    const open: SseStream[] = [];
    cleanups.add(() => {
      for (const stream of open) stream.close();
    });
    for (let i = 0; i < 32; i += 1) {
      const stream = await openSse(`${url}events?interval=10000`);
      open.push(stream);
      expect(stream.status).toBe(200);
      await stream.next('hello');
    }
    expect(await viewers(url)).toBe(32);
    const extra = await openSse(`${url}events`);
    open.push(extra);
    expect(extra.status).toBe(503);
    await within(extra.ended, 5000, 'the 503 reply ending');
    expect(extra.text()).toBe('too many viewers (at most 32)\n');

    open[0]?.close();
    let count = 32;
    for (let i = 0; i < 200 && count !== 31; i += 1) {
      count = await viewers(url);
      if (count !== 31) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(count).toBe(31);
    const again = await openSse(`${url}events`);
    open.push(again);
    expect(again.status).toBe(200);

    for (const stream of open) stream.close();
    for (let i = 0; i < 200 && count !== 0; i += 1) {
      count = await viewers(url);
      if (count !== 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(count).toBe(0);
  });

  it('ends every open stream when the daemon closes', async () => {
    const { url, t } = await adminDaemon();
    const streams = [await events(url), await events(url, 'watch=c1')];
    for (const stream of streams) await stream.next('update');
    await within(t.daemon.close(), 5000, 'daemon.close()');
    await within(
      Promise.all(streams.map((s) => s.ended)),
      5000,
      'the streams ending'
    );
  });

  it('stays responsive with 300 connections, sending only the page asked for', async () => {
    const { url, t } = await adminDaemon();
    const stream = await events(url, 'interval=100&limit=20&state=live');
    const clients: TestClient[] = [];
    cleanups.add(() => {
      for (const c of clients) c.destroy();
    });
    for (let batch = 0; batch < 6; batch += 1) {
      const connected = await Promise.all(
        Array.from({ length: 50 }, () => connectClient(t.port))
      );
      clients.push(...connected);
    }
    const full = await stream.next<Update>(
      'update',
      (u) => u.states.online === 300 && u.view?.total === 300,
      10_000
    );
    expect(full.room.members).toBe(300);
    expect(full.totals.accepted).toBe(300);
    for (const update of stream.all<Update>('update')) {
      if (update.view === undefined) continue;
      expect(update.view.rows.length).toBeLessThanOrEqual(20);
      expect(update.view.limit).toBe(20);
    }
    expect(ids(lastView(stream)?.rows)).toEqual(
      Array.from({ length: 20 }, (_, i) => `c${300 - i}`)
    );

    // One message: the next update carries it within a second.
    const sent = performance.now();
    await clients[0]?.send('still there?');
    const seen = await stream.next<Update>(
      'update',
      (u) => u.room.messages === 1,
      1000
    );
    expect(seen.room.messages).toBe(1);
    expect(performance.now() - sent).toBeLessThan(1000);

    const started = performance.now();
    const api = await request(`${url}api/connections?state=live&limit=500`, {
      timeoutMs: 1000
    });
    expect(performance.now() - started).toBeLessThan(1000);
    const page = JSON.parse(api.body) as {
      total: number;
      rows: ConnectionRow[];
    };
    expect(page.total).toBe(300);
    expect(page.rows).toHaveLength(300);
  });
});
