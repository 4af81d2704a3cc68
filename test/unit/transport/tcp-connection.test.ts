import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TransportEvent } from '../../../src/machines/connection-events.js';
import { SLOW_CONSUMER_NOTICE } from '../../../src/protocol/format.js';
import type { Inbound } from '../../../src/transport/event-outlet.js';
import {
  TcpConnection,
  createCounters,
  type ConnectionLimits,
  type TransportCounters
} from '../../../src/transport/tcp-connection.js';
import { createCleanups } from '../../support/cleanup.js';
import { clog, staysTrue, tick, until } from '../../support/wait.js';
import { activeTimers } from '../../support/leaks.js';

let open: Duplex[] = [];
afterEach(() => {
  for (const side of open) side.destroy();
  open = [];
});

/** Limits with everything but the line length off, unless a test turns it on. */
function limitsWith(
  overrides: Partial<ConnectionLimits> = {}
): ConnectionLimits {
  return {
    maxLineBytes: 16,
    sendQueueBytes: 0,
    sendQueueSoftBytes: 0,
    stallTimeoutMs: 0,
    floodRate: 0,
    floodBurst: 1,
    idleTimeoutMs: 0,
    ...overrides
  };
}

/**
 * Records what `connection` reads in one order, as the actor would see it:
 * events from `attach`, lines from `relay` (as `{ type: 'tcp.line', text }`).
 * Returns both detach functions.
 */
function listen(connection: TcpConnection, into: Inbound[]) {
  return {
    detachEvents: connection.attach((e) => into.push(e)),
    detachLines: connection.relay((text) =>
      into.push({ type: 'tcp.line', text })
    )
  };
}

function pair(maxLineBytes = 16) {
  const [server, peer] = duplexPair();
  open.push(server, peer);
  const connection = new TcpConnection(server, {
    remote: '127.0.0.1:1',
    limits: limitsWith({ maxLineBytes }),
    counters: createCounters()
  });
  const events: Inbound[] = [];
  const received: string[] = [];
  peer.setEncoding('utf8').on('data', (d: string) => received.push(d));
  return { server, peer, connection, events, received };
}

describe('TcpConnection', () => {
  it('hands framed, sanitised lines to the relay, never to the actor, and skips blank ones [CHAT-IN-3]', async () => {
    const t = pair();
    const events: TransportEvent[] = [];
    const lines: string[] = [];
    t.connection.attach((e) => events.push(e));
    t.connection.relay((text) => lines.push(text));
    t.peer.write('he');
    t.peer.write('llo\r\n \t\n\x1b[1mbold\x1b[0m\n');
    await tick();
    expect(lines).toEqual(['hello', 'bold']);
    expect(events).toEqual([]);
  });

  it('reports an over-long line once, with the limit, in order with the lines [CHAT-IN-4]', async () => {
    const t = pair(4);
    listen(t.connection, t.events);
    t.peer.write('ab\n123456789');
    t.peer.write('abc\nok\n');
    await tick();
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'ab' },
      { type: 'tcp.oversize', limit: 4 },
      { type: 'tcp.line', text: 'ok' }
    ]);
  });

  it('keeps events from before attach and lines from before relay, each delivered in order when its sink comes', async () => {
    const t = pair();
    t.peer.write('early\nsecond\n');
    t.peer.end();
    await tick();
    const events: TransportEvent[] = [];
    const lines: string[] = [];
    t.connection.attach((e) => events.push(e));
    expect(events).toEqual([{ type: 'tcp.end' }]);
    expect(lines).toEqual([]);
    t.connection.relay((text) => lines.push(text));
    expect(lines).toEqual(['early', 'second']);
    expect(events).toEqual([{ type: 'tcp.end' }]);
  });

  it('keeps lines read after attach but before relay until relay', async () => {
    const t = pair();
    const lines: string[] = [];
    t.connection.attach((e) => t.events.push(e));
    t.peer.write('waits\n');
    await tick();
    expect(t.events).toEqual([]);
    t.connection.relay((text) => lines.push(text));
    expect(lines).toEqual(['waits']);
    t.peer.write('then live\n');
    await tick();
    expect(lines).toEqual(['waits', 'then live']);
  });

  it('corks once per turn for all its writes and sends them in order', async () => {
    const t = pair();
    // A net.Socket turns a corked run into one writev; a duplexPair side has
    // no _writev, so the batching shows as one cork/uncork pair.
    const cork = vi.spyOn(t.server, 'cork');
    const uncork = vi.spyOn(t.server, 'uncork');
    t.connection.write('a\n');
    t.connection.write(Buffer.from('b\n'));
    t.connection.write('c\n');
    expect(uncork).not.toHaveBeenCalled();
    await tick();
    expect(cork).toHaveBeenCalledTimes(1);
    expect(uncork).toHaveBeenCalledTimes(1);
    expect(t.received.join('')).toBe('a\nb\nc\n');
    t.connection.write('d\n');
    await tick();
    expect(cork).toHaveBeenCalledTimes(2);
  });

  it('flushes queued writes before closing on end()', async () => {
    const t = pair();
    t.connection.write('last\n');
    t.connection.end();
    const ended = new Promise((resolve) => t.peer.once('end', resolve));
    await ended;
    expect(t.received.join('')).toBe('last\n');
  });

  it('drops lines after the relay detaches, and still delivers events', async () => {
    const t = pair();
    const { detachLines } = listen(t.connection, t.events);
    t.peer.write('before\n');
    await tick();
    detachLines();
    t.peer.write('after detach\n');
    t.peer.end();
    await tick();
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'before' },
      { type: 'tcp.end' }
    ]);
  });

  it('delivers neither lines nor events after the actor detaches, or after destroy', async () => {
    const t = pair();
    const { detachEvents } = listen(t.connection, t.events);
    detachEvents();
    t.peer.write('after detach\n');
    t.peer.end();
    await tick();
    expect(t.events).toEqual([]);

    const u = pair();
    listen(u.connection, u.events);
    u.connection.destroy();
    await tick();
    expect(u.events).toEqual([]);
  });

  it('holds input while paused and delivers it in order on resume', async () => {
    const t = pair();
    listen(t.connection, t.events);
    t.connection.pauseInput();
    t.peer.end('first\nsecond\n');
    await tick();
    expect(t.events).toEqual([]);
    t.connection.resumeInput();
    await tick();
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'first' },
      { type: 'tcp.line', text: 'second' },
      { type: 'tcp.end' }
    ]);
  });

  it('ignores writes once the socket is gone', async () => {
    const t = pair();
    listen(t.connection, t.events);
    t.server.destroy();
    await tick();
    expect(() => t.connection.write('into the void\n')).not.toThrow();
    expect(t.events).toEqual([{ type: 'tcp.close' }]);
  });
});

// On a real loopback pair: the peer can stop reading (so the kernel fills and
// back pressure holds input), and the accepted socket is set up like the
// daemon's. Pacing and idle timers run on fake setTimeout and Date; socket
// I/O is real, and waits poll the event loop, never the faked clock.

const cleanups = createCleanups();
afterEach(async () => {
  await cleanups.run();
  vi.useRealTimers();
});

const KiB = 1024;
const lines = (events: Inbound[]): string[] =>
  events.flatMap((e) => (e.type === 'tcp.line' ? [e.text] : []));

/**
 * A TcpConnection on the accepted side of a 127.0.0.1 pair, created like the
 * daemon creates it (allowHalfOpen, noDelay, high-water mark = the soft mark
 * up to 64 KiB), with a sink that records every event. The peer reads unless
 * `reading: false`.
 */
async function tcpPair(
  overrides: Partial<ConnectionLimits> = {},
  options: { reading?: boolean; counters?: TransportCounters } = {}
) {
  const limits = limitsWith(overrides);
  const soft = limits.sendQueueSoftBytes;
  const server = createServer({
    allowHalfOpen: true,
    noDelay: true,
    highWaterMark: soft > 0 ? Math.min(soft, 64 * KiB) : 64 * KiB
  });
  cleanups.add(() => new Promise((resolve) => server.close(resolve)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const accepted = new Promise<Socket>((resolve) =>
    server.once('connection', resolve)
  );
  const peer = connect({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port
  });
  const socket = await accepted;
  cleanups.add(() => {
    peer.destroy();
    socket.destroy();
  });
  peer.on('error', () => undefined);
  const counters = options.counters ?? createCounters();
  const connection = new TcpConnection(socket, {
    remote: `127.0.0.1:${peer.localPort ?? 0}`,
    limits,
    counters
  });
  const events: Inbound[] = [];
  listen(connection, events);
  const chunks: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  if (options.reading === false) peer.pause();
  return {
    socket,
    peer,
    connection,
    events,
    counters,
    received: () => Buffer.concat(chunks),
    peerEnded: new Promise<void>((resolve) => peer.once('end', resolve))
  };
}

describe('TcpConnection on a loopback socket', () => {
  it('reads again only once both the actor and back pressure have let go, actor first', async () => {
    const t = await tcpPair(
      { sendQueueSoftBytes: 64 * KiB },
      { reading: false }
    );
    t.connection.pauseInput();
    await clog(t.socket, (b) => t.connection.write(b)); // over the soft mark
    t.peer.write('one\n');
    await until(
      () => t.socket.readableLength > 0,
      'the line waits unread in the socket'
    );

    t.connection.resumeInput(); // back pressure still holds
    expect(
      await staysTrue(() => t.socket.isPaused() && t.events.length === 0)
    ).toBe(true);
    expect(t.counters.bytesIn).toBe(0);

    t.peer.resume(); // the peer catches up: back pressure lets go
    await until(() => t.events.length > 0, 'the line is read');
    expect(t.events).toEqual([{ type: 'tcp.line', text: 'one' }]);
  });

  it('reads again only once both the actor and back pressure have let go, back pressure first', async () => {
    const t = await tcpPair(
      { sendQueueSoftBytes: 64 * KiB },
      { reading: false }
    );
    t.connection.pauseInput();
    const filled = await clog(t.socket, (b) => t.connection.write(b));
    t.peer.write('two\n');
    await until(
      () => t.socket.readableLength > 0,
      'the line waits unread in the socket'
    );

    // Registered after the connection's own listener, so it runs after it.
    const drained = new Promise((resolve) => t.socket.once('drain', resolve));
    t.peer.resume();
    await drained;
    await until(
      () => t.received().length === filled && t.connection.queuedBytes === 0,
      'the peer has caught up'
    );
    expect(
      await staysTrue(() => t.socket.isPaused() && t.events.length === 0)
    ).toBe(true); // the actor still holds

    t.connection.resumeInput();
    await until(() => t.events.length > 0, 'the line is read');
    expect(t.events).toEqual([{ type: 'tcp.line', text: 'two' }]);
  });

  it('keeps reading held by the actor after pacing lets go', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair({ floodRate: 10, floodBurst: 1 });
    t.peer.write('a\nb\n');
    await until(() => t.events.length === 1, "'a' is delivered");
    expect(t.socket.isPaused()).toBe(true); // 'b' waits for a token
    t.connection.pauseInput();
    vi.advanceTimersByTime(100); // 'b' is due: pacing lets go, the actor not

    t.peer.write('c\n');
    await until(
      () => t.socket.readableLength > 0,
      "'c' waits unread in the socket"
    );
    expect(
      await staysTrue(() => t.socket.isPaused() && t.counters.bytesIn === 4)
    ).toBe(true);

    t.connection.resumeInput();
    await until(() => t.counters.bytesIn === 6, "'c' is read");
    vi.advanceTimersByTime(100); // its token: 'b' took the last one
    expect(lines(t.events)).toEqual(['a', 'b', 'c']);
  });

  it('paces a flood: the burst at once, then one line per token, in order, reading nothing meanwhile [CHAT-IN-5]', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair({ floodRate: 10, floodBurst: 3 });
    t.peer.write('l1\nl2\nl3\nl4\nl5\nl6\n');
    await until(() => t.events.length === 3, 'the burst is delivered');
    expect(lines(t.events)).toEqual(['l1', 'l2', 'l3']);
    expect(t.socket.isPaused()).toBe(true);
    expect(t.counters).toMatchObject({
      bytesIn: 18,
      linesIn: 6,
      pacedLines: 3
    });

    t.peer.write('late\n');
    await until(
      () => t.socket.readableLength > 0,
      "'late' waits unread in the socket"
    );
    for (const due of ['l4', 'l5', 'l6']) {
      vi.advanceTimersByTime(99);
      expect(lines(t.events).at(-1)).not.toBe(due);
      vi.advanceTimersByTime(1);
      expect(lines(t.events).at(-1)).toBe(due);
    }
    expect(t.counters.bytesIn).toBe(18);

    // Reading resumes; 'late' finds the bucket empty and waits its turn.
    await until(() => t.counters.bytesIn === 23, "'late' is read");
    expect(lines(t.events)).toHaveLength(6);
    vi.advanceTimersByTime(100);
    expect(lines(t.events)).toEqual([
      'l1',
      'l2',
      'l3',
      'l4',
      'l5',
      'l6',
      'late'
    ]);
    expect(t.counters).toMatchObject({ linesIn: 7, pacedLines: 4 });
    expect(t.socket.isPaused()).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('delivers a FIN after the lines still being paced [CHAT-IN-5]', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair({ floodRate: 10, floodBurst: 1 });
    t.peer.end('a\nb\nc\n');
    await until(() => t.socket.readableEnded, "the peer's FIN is read");
    expect(t.events).toEqual([{ type: 'tcp.line', text: 'a' }]);
    vi.advanceTimersByTime(100);
    expect(t.events.map((e) => e.type)).toEqual(['tcp.line', 'tcp.line']);
    vi.advanceTimersByTime(100);
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'a' },
      { type: 'tcp.line', text: 'b' },
      { type: 'tcp.line', text: 'c' },
      { type: 'tcp.end' }
    ]);
  });

  it('emits tcp.idle once, idleTimeoutMs after the last input [CHAT-IDLE-1]', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair({ idleTimeoutMs: 1000 });
    vi.advanceTimersByTime(600);
    t.peer.write('x\n');
    await until(() => t.events.length === 1, 'the line is read');
    vi.advanceTimersByTime(999);
    expect(t.events).toEqual([{ type: 'tcp.line', text: 'x' }]);
    vi.advanceTimersByTime(1);
    expect(t.events.at(-1)).toEqual({ type: 'tcp.idle', idleMs: 1000 });

    vi.advanceTimersByTime(10_000);
    expect(t.events.filter((e) => e.type === 'tcp.idle')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not count time it held input across a check toward idleness [CHAT-IDLE-1]', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair({ idleTimeoutMs: 1000 });
    t.connection.pauseInput();
    vi.advanceTimersByTime(3000);
    expect(t.events).toEqual([]);
    t.connection.resumeInput();
    vi.advanceTimersByTime(999);
    expect(t.events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(t.events).toEqual([{ type: 'tcp.idle', idleMs: 1000 }]);
  });

  it('does not count a hold that ends between two idle checks toward idleness [CHAT-IDLE-1]', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair({ idleTimeoutMs: 1000 });
    vi.advanceTimersByTime(200); // 200 ms quiet
    t.connection.pauseInput();
    vi.advanceTimersByTime(700); // held: does not count
    t.connection.resumeInput();
    // 200 ms + 799 ms of quiet while reading: not idle yet.
    vi.advanceTimersByTime(799);
    expect(t.events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(t.events).toEqual([{ type: 'tcp.idle', idleMs: 1000 }]);
  });

  it('raises tcp.slow overflow with the queued bytes, then sends the farewell line and FIN [CHAT-SLOW-1]', async () => {
    const t = await tcpPair({ sendQueueBytes: 64 * KiB });
    t.connection.write('a'.repeat(40 * KiB));
    expect(t.events).toEqual([]);
    t.connection.write(Buffer.alloc(40 * KiB, 'b'));
    expect(t.events).toEqual([
      { type: 'tcp.slow', why: 'overflow', queuedBytes: 80 * KiB }
    ]);

    t.connection.write('late\n');
    t.connection.end(SLOW_CONSUMER_NOTICE);
    await t.peerEnded;
    expect(t.received().toString()).toBe(
      `${'a'.repeat(40 * KiB)}${'b'.repeat(40 * KiB)}${SLOW_CONSUMER_NOTICE}\n`
    );
    expect(t.counters.bytesOut).toBe(
      80 * KiB + Buffer.byteLength(`${SLOW_CONSUMER_NOTICE}\n`)
    );
  });

  it('raises tcp.slow stall with the queued bytes when the peer takes nothing for the stall timeout [CHAT-SLOW-1]', async () => {
    const t = await tcpPair({ stallTimeoutMs: 200 }, { reading: false });
    const filled = await clog(t.socket, (b) => t.connection.write(b));
    await until(
      () => t.events.some((e) => e.type === 'tcp.slow'),
      'the watchdog gives up'
    );
    // Nothing was in the backlog: all that was queued is in the socket.
    expect(t.events).toEqual([
      { type: 'tcp.slow', why: 'stall', queuedBytes: t.socket.writableLength }
    ]);

    t.connection.end('bye');
    t.peer.resume();
    await t.peerEnded;
    expect(t.received().length).toBe(filled + 4);
    expect(t.received().subarray(filled).toString()).toBe('bye\n');
  });

  it('end() sends only FIN, end(farewell) the farewell and a newline first', async () => {
    const t = await tcpPair();
    t.connection.write('hi\n');
    t.connection.end();
    await t.peerEnded;
    expect(t.received().toString()).toBe('hi\n');

    const u = await tcpPair();
    u.connection.end('bye');
    await u.peerEnded;
    expect(u.received().toString()).toBe('bye\n');
  });

  it('counts bytes and lines in and out (a write as the lines it carries), per connection and over all of them', async () => {
    const counters = createCounters();
    const a = await tcpPair({ maxLineBytes: 8 }, { counters });
    const b = await tcpPair({ maxLineBytes: 8 }, { counters });
    a.peer.write('hi\n \n\ntoo long line\nok\n'); // 23 bytes, 2 lines
    b.peer.write('yo\n');
    await until(
      () => a.events.length === 3 && b.events.length === 1,
      'both peers are read'
    );
    expect(a.events).toEqual([
      { type: 'tcp.line', text: 'hi' },
      { type: 'tcp.oversize', limit: 8 },
      { type: 'tcp.line', text: 'ok' }
    ]);
    a.connection.write('out\n');
    // A batch is one write of several lines, counted as the lines it carries.
    const batch = Buffer.from('[x] 1\n[x] 2\n[You] 3\n');
    a.connection.write(batch, 3);
    b.connection.end('bye');
    expect(counters).toEqual({
      bytesIn: 26,
      bytesOut: 8 + batch.length,
      linesIn: 3,
      linesOut: 5,
      pacedLines: 0
    });
    // Each connection also counts its own share.
    expect(a.connection.traffic).toEqual({
      bytesIn: 23,
      bytesOut: 4 + batch.length,
      linesIn: 2,
      linesOut: 4
    });
    expect(b.connection.traffic).toEqual({
      bytesIn: 3,
      bytesOut: 4,
      linesIn: 1,
      linesOut: 1
    });
  });

  it('clears its pacing timer when the socket closes and relays no line still waiting [CHAT-IN-5]', async () => {
    const before = activeTimers();
    const t = await tcpPair({ floodRate: 1, floodBurst: 1 });
    t.peer.write('a\nb\n');
    await until(
      () => t.events.length === 1 && activeTimers() === before + 1,
      "'a' is delivered and 'b' waits on a timer",
      5000,
      () => `${activeTimers() - before} timers more than before`
    );
    t.socket.destroy();
    await until(
      () => t.events.at(-1)?.type === 'tcp.close',
      'the connection reports the close'
    );
    expect(activeTimers()).toBe(before);
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'a' },
      { type: 'tcp.close' }
    ]);
  });

  it('clears its idle, pacing and stall timers when the socket closes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair(
      {
        idleTimeoutMs: 10_000,
        floodRate: 1,
        floodBurst: 1,
        stallTimeoutMs: 10_000
      },
      { reading: false }
    );
    expect(vi.getTimerCount()).toBe(1); // idle
    t.peer.write('a\nb\n');
    await until(() => t.events.length === 1, "'a' is delivered");
    await clog(t.socket, (b) => t.connection.write(b));
    expect(vi.getTimerCount()).toBe(3); // idle, pacing, stall watchdog

    t.socket.destroy();
    await until(
      () => t.events.at(-1)?.type === 'tcp.close',
      'the connection reports the close'
    );
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(t.events.map((e) => e.type)).toEqual(['tcp.line', 'tcp.close']);
  });

  it('lifts every hold once our side ends: sees the FIN, drops input and lines still paced', async () => {
    const t = await tcpPair({ floodRate: 1, floodBurst: 1 });
    t.peer.write('first\nsecond\n');
    await until(() => t.socket.isPaused(), 'pacing holds input');
    t.connection.pauseInput();
    expect(lines(t.events)).toEqual(['first']);

    t.connection.end('bye');
    expect(t.socket.isPaused()).toBe(false);
    t.peer.end('late\n'); // read and dropped, then its FIN
    await until(
      () => t.events.at(-1)?.type === 'tcp.close',
      'the connection reports the close'
    );
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'first' },
      { type: 'tcp.end' },
      { type: 'tcp.close' }
    ]);
    expect(t.received().toString()).toBe('bye\n');
  });

  it('clears the linger timer when the peer answers its FIN', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t = await tcpPair();
    t.connection.end('bye');
    await until(
      () => t.events.at(-1)?.type === 'tcp.close',
      'the connection reports the close'
    );
    expect(t.events).toEqual([{ type: 'tcp.end' }, { type: 'tcp.close' }]);
    expect(t.received().toString()).toBe('bye\n');
    expect(vi.getTimerCount()).toBe(0);
  });
});
