/**
 * One `/events` viewer (src/admin/event-stream.ts; docs/inspector.md, "The
 * event stream"), on a fake response whose unsent bytes the test sets:
 * the frames, updates only on change, the heartbeat, skipping a viewer
 * that does not read, and cutting it off.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { openEventStream } from '../../../src/admin/event-stream.js';
import {
  VIEW_BOUNDS,
  parseViewQuery,
  type ViewQuery
} from '../../../src/admin/view-query.js';
import type { DaemonStats } from '../../../src/app/daemon.js';
import { ConnectionMonitor } from '../../../src/admin/monitor.js';
import { RoomBoard, type RoomSource } from '../../../src/admin/room-board.js';

const STATES = ['connecting', 'online', 'leaving', 'closed'];

/** What the stream writes to, with `writableLength` under the test's control. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  status = 0;
  headers: Record<string, string> = {};
  chunks: string[] = [];
  ended = false;
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  /** Every `event:` frame written, parsed. */
  frames(): Array<{ event: string; data: Record<string, unknown> }> {
    return [
      ...this.chunks.join('').matchAll(/event: (\w+)\ndata: (.*)\n\n/g)
    ].map((m) => ({
      event: m[1] ?? '',
      data: JSON.parse(m[2] ?? '{}') as Record<string, unknown>
    }));
  }
  updates(): Array<Record<string, unknown>> {
    return this.frames()
      .filter((f) => f.event === 'update')
      .map((f) => f.data);
  }
}

const STATS: DaemonStats = {
  actors: 1,
  connections: 0,
  members: 0,
  feeds: 0,
  rooms: 1,
  names: 0,
  commandRefusals: {
    'invalid command': 0,
    unavailable: 0,
    'nickname taken': 0,
    'same nickname': 0,
    'no such user': 0,
    'no such page': 0,
    'already there': 0,
    'too many rooms': 0,
    'too many creates': 0
  },
  sockets: 0,
  tlsHandshakeFailures: {
    timeout: 0,
    'not tls': 0,
    'protocol version': 0,
    'bad certificate': 0,
    other: 0
  },
  wsProtocolErrors: {
    'binary message': 0,
    'invalid utf-8': 0,
    'message too big': 0,
    'no pong': 0,
    other: 0
  },
  accepted: 0,
  refused: {
    'server full': 0,
    'too many from address': 0,
    'origin not allowed': 0,
    'chat unavailable': 0
  },
  disconnects: {
    'client quit': 0,
    'socket error': 0,
    'socket closed': 0,
    'server shutdown': 0,
    'slow consumer': 0,
    'idle timeout': 0,
    'chat unavailable': 0,
    'internal error': 0
  },
  pacedLines: 0,
  messages: 0,
  traffic: { bytesIn: 0, bytesOut: 0, linesIn: 0, linesOut: 0 }
};

/** What `parseViewQuery` makes of the query string `text`. */
function parse(text = ''): ViewQuery | string {
  return parseViewQuery(new URLSearchParams(text), STATES);
}

/** The view a valid query string asks for; throws on a rejected one. */
function query(text = ''): ViewQuery {
  const parsed = parse(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

/** Feeds the monitor one state change of connection `id`, as XState's inspection would. */
function step(
  monitor: ConnectionMonitor,
  id: string,
  event: string,
  to: string,
  room = 'room:lobby'
): void {
  monitor.inspect({
    type: '@xstate.snapshot',
    actorRef: { id, sessionId: `s-${id}` },
    rootId: `s-${id}`,
    event: { type: event },
    snapshot: {
      status: 'active',
      value: to,
      context: { reason: null, room: { id: room } }
    }
  } as unknown as InspectionEvent);
}

/** A room whose counts the test sets. */
function fakeRoom(label: string, members = 0, messages = 0) {
  const room = { label, members, messages };
  const source: RoomSource = {
    label,
    memberCount: () => room.members,
    messageCount: () => room.messages
  };
  return { room, source };
}

/** Tracks connection `id` and starts it (`xstate.init` → connecting). */
function connect(monitor: ConnectionMonitor, id: string): void {
  monitor.track(id, `127.0.0.1:${1000 + monitor.liveCount()}`, {
    traffic: { bytesIn: 0, bytesOut: 0, linesIn: 0, linesOut: 0 },
    queuedBytes: 0
  });
  step(monitor, id, 'xstate.init', 'connecting');
}

describe('openEventStream', () => {
  let monitor: ConnectionMonitor;
  let res: FakeResponse;
  let closed: number;
  let rooms: RoomSource[];

  beforeEach(() => {
    vi.useFakeTimers();
    monitor = new ConnectionMonitor({ states: STATES, finalState: 'closed' });
    rooms = [fakeRoom('#lobby').source];
    res = new FakeResponse();
    closed = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function open(text = 'interval=100'): { close(): void } {
    return openEventStream(
      res as unknown as ServerResponse,
      {
        monitor,
        rooms: new RoomBoard({ rooms: () => rooms }),
        stats: () => STATS
      },
      query(text),
      { hello: true },
      { 'x-content-type-options': 'nosniff' },
      () => (closed += 1)
    );
  }

  it('writes the headers, retry, hello and a first update at once', () => {
    open();
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-type']).toBe(
      'text/event-stream; charset=utf-8'
    );
    expect(res.chunks[0]).toBe(
      'retry: 1000\n\nevent: hello\ndata: {"hello":true}\n\n'
    );
    expect(res.updates()).toHaveLength(1);
    expect(res.updates()[0]).toMatchObject({
      transitions: [],
      dropped: 0,
      view: { total: 0, rows: [] }
    });
  });

  it('sends an update only when something changed, the view only when it did', () => {
    open();
    vi.advanceTimersByTime(1000);
    expect(res.updates()).toHaveLength(1);
    connect(monitor, 'c1');
    vi.advanceTimersByTime(100);
    const [, second] = res.updates();
    expect(second?.transitions).toMatchObject([
      { id: 'c1', event: 'xstate.init', from: null, to: 'connecting' }
    ]);
    expect(second?.view).toMatchObject({ total: 1 });
    step(monitor, 'c1', 'room.joined', 'online');
    vi.advanceTimersByTime(100);
    expect(res.updates()).toHaveLength(3);
    vi.advanceTimersByTime(1000);
    expect(res.updates()).toHaveLength(3);
  });

  it('writes a ping comment after 15 s without a change', () => {
    open();
    vi.advanceTimersByTime(14_800);
    expect(res.chunks.join('')).not.toContain(': ping');
    vi.advanceTimersByTime(300);
    expect(res.chunks.filter((c) => c === ': ping\n\n')).toHaveLength(1);
    expect(res.updates()).toHaveLength(1);
  });

  it('skips a viewer 256 KiB behind, counts transitions past 1000 as dropped, and catches up', () => {
    open();
    res.writableLength = 256 * 1024 + 1;
    const n = VIEW_BOUNDS.transitionsPerUpdate + 50;
    for (let i = 0; i < n; i += 1) connect(monitor, `c${i}`);
    vi.advanceTimersByTime(1000);
    expect(res.updates()).toHaveLength(1);
    expect(res.ended).toBe(false);

    res.writableLength = 0;
    vi.advanceTimersByTime(100);
    const caughtUp = res.updates()[1];
    expect((caughtUp?.transitions as unknown[]).length).toBe(
      VIEW_BOUNDS.transitionsPerUpdate
    );
    expect(caughtUp?.dropped).toBe(50);
    connect(monitor, 'late');
    vi.advanceTimersByTime(100);
    expect(res.updates()[2]).toMatchObject({ dropped: 0 });
  });

  it('ends a viewer that stays over 256 KiB behind for 10 s, once', () => {
    open();
    res.writableLength = 300 * 1024;
    vi.advanceTimersByTime(5_000);
    res.writableLength = 0; // caught up: the clock starts again
    vi.advanceTimersByTime(100);
    res.writableLength = 300 * 1024;
    vi.advanceTimersByTime(9_800);
    expect(res.ended).toBe(false);
    vi.advanceTimersByTime(400);
    expect(res.ended).toBe(true);
    expect(closed).toBe(1);
    res.emit('close');
    vi.advanceTimersByTime(1000);
    expect(closed).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops on the response closing and on close(), calling onClose once', () => {
    const stream = open();
    res.emit('close');
    stream.close();
    expect(closed).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    connect(monitor, 'c1');
    vi.advanceTimersByTime(1000);
    expect(res.updates()).toHaveLength(1);
  });

  it('lists the room members (online) oldest first, a page at a time, only when the page changed', () => {
    open('interval=100&memberLimit=2&memberOffset=1');
    expect(res.updates()[0]?.members).toEqual({
      offset: 1,
      limit: 2,
      total: 0,
      rows: []
    });
    for (const id of ['c1', 'c2', 'c3', 'c4']) connect(monitor, id);
    vi.advanceTimersByTime(100);
    // Connecting is not membership yet: the page is unchanged, so not sent.
    expect(res.updates()[1]?.members).toBeUndefined();
    for (const id of ['c1', 'c2', 'c3'])
      step(monitor, id, 'room.joined', 'online');
    vi.advanceTimersByTime(100);
    const members = res.updates()[2]?.members as {
      total: number;
      rows: Array<{ id: string; remote: string; since: number }>;
    };
    expect(members.total).toBe(3);
    expect(members.rows.map((row) => row.id)).toEqual(['c2', 'c3']);
    expect(Object.keys(members.rows[0] ?? {}).sort()).toEqual([
      'id',
      'name',
      'remote',
      'room',
      'since'
    ]);
    step(monitor, 'c2', 'tcp.end', 'leaving');
    vi.advanceTimersByTime(100);
    expect(
      (res.updates()[3]?.members as { rows: Array<{ id: string }> }).rows.map(
        (row) => row.id
      )
    ).toEqual(['c3']);
  });

  it('lists the rooms by name, a page at a time, with their rates, only when the page changed', () => {
    const dev = fakeRoom('#dev', 2, 0);
    rooms.push(dev.source, fakeRoom('#art', 1, 7).source);
    open('interval=100&roomLimit=2');
    expect(res.updates()[0]?.rooms).toEqual({
      offset: 0,
      limit: 2,
      total: 3,
      rows: [
        { name: '#art', members: 1, messages: 7, perSecond: 0 },
        { name: '#dev', members: 2, messages: 0, perSecond: 0 }
      ]
    });
    vi.advanceTimersByTime(1000);
    expect(res.updates()).toHaveLength(1);
    // 20 messages in the 2.1 s since its first sample.
    vi.advanceTimersByTime(1000);
    dev.room.messages = 20;
    vi.advanceTimersByTime(100);
    const rows = (res.updates().at(-1)?.rooms as { rows: unknown[] }).rows;
    expect(rows[1]).toEqual({
      name: '#dev',
      members: 2,
      messages: 20,
      perSecond: 9.5
    });
  });

  it('carries renames and moves since the last update, then none', () => {
    open();
    connect(monitor, 'c1');
    step(monitor, 'c1', 'room.joined', 'online');
    monitor.renamed('c1', 'ann');
    monitor.renamed('c1', 'ann');
    monitor.renamed('c1', 'Ann2');
    step(monitor, 'c1', 'cmd.join', 'moving');
    step(monitor, 'c1', 'room.left', 'connecting', 'room:dev');
    vi.advanceTimersByTime(100);
    const update = res.updates()[1];
    expect(update?.renames).toMatchObject([
      { id: 'c1', from: null, to: 'ann' },
      { id: 'c1', from: 'ann', to: 'Ann2' }
    ]);
    expect(update?.moves).toMatchObject([
      { id: 'c1', remote: '127.0.0.1:1000', from: '#lobby', to: '#dev' }
    ]);
    expect(update?.view).toMatchObject({
      rows: [{ id: 'c1', name: 'Ann2', room: '#dev', state: 'connecting' }]
    });
    step(monitor, 'c1', 'room.joined', 'online', 'room:dev');
    vi.advanceTimersByTime(100);
    expect(res.updates()[2]).toMatchObject({ renames: [], moves: [] });
  });

  it('sends the watched connection only when it changes, with a null row when unknown', () => {
    open('interval=100&watch=c1');
    expect(res.updates()[0]?.watch).toEqual({
      id: 'c1',
      row: null,
      timeline: []
    });
    connect(monitor, 'c2');
    vi.advanceTimersByTime(100);
    expect(res.updates()[1]?.watch).toBeUndefined();
    connect(monitor, 'c1');
    vi.advanceTimersByTime(100);
    expect(res.updates()[2]?.watch).toMatchObject({
      id: 'c1',
      row: { id: 'c1', state: 'connecting' },
      timeline: [{ event: 'xstate.init', from: null, to: 'connecting' }]
    });
  });
});

describe('parseViewQuery', () => {
  it('fills in the defaults', () => {
    expect(query()).toEqual({
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
  });

  it('takes a room filter and a page of rooms, and rejects a bad one in one line', () => {
    expect(query('room=%23Dev&roomOffset=20&roomLimit=5')).toMatchObject({
      room: '#Dev',
      roomOffset: 20,
      roomLimit: 5
    });
    expect(query('room=')).toMatchObject({ room: null });
    expect(parse('room=dev')).toBe(
      'invalid room "dev" (expected # and 1-32 letters, digits, _ or -)'
    );
    expect(parse('room=%23a%20b')).toBe(
      'invalid room "#a b" (expected # and 1-32 letters, digits, _ or -)'
    );
    expect(parse('roomLimit=501')).toBe(
      'invalid roomLimit 501 (expected 1 to 500)'
    );
  });

  it('takes the bounds inclusive', () => {
    expect(query('limit=1&interval=100')).toMatchObject({
      limit: 1,
      intervalMs: 100
    });
    expect(
      query(
        'limit=500&interval=10000&state=live&order=oldest&watch=c3&offset=7&memberOffset=40&memberLimit=500'
      )
    ).toEqual({
      offset: 7,
      limit: 500,
      state: 'live',
      order: 'oldest',
      room: null,
      watch: 'c3',
      intervalMs: 10_000,
      memberOffset: 40,
      memberLimit: 500,
      roomOffset: 0,
      roomLimit: 20
    });
    expect(query('memberLimit=1')).toMatchObject({ memberLimit: 1 });
  });

  it('rejects a bad member page in one line naming it', () => {
    expect(parse('memberLimit=0')).toBe(
      'invalid memberLimit 0 (expected 1 to 500)'
    );
    expect(parse('memberLimit=501')).toBe(
      'invalid memberLimit 501 (expected 1 to 500)'
    );
    expect(parse('memberOffset=-1')).toBe(
      'invalid memberOffset "-1" (expected a whole number)'
    );
  });
});
