import { duplexPair, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TransportEvent } from '../../../src/machines/connection-events.js';
import {
  TcpConnection,
  createCounters,
  type ConnectionLimits
} from '../../../src/transport/tcp-connection.js';

const tick = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

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

function pair(maxLineBytes = 16) {
  const [server, peer] = duplexPair();
  open.push(server, peer);
  const connection = new TcpConnection(server, {
    remote: '127.0.0.1:1',
    limits: limitsWith({ maxLineBytes }),
    counters: createCounters()
  });
  const events: TransportEvent[] = [];
  const received: string[] = [];
  peer.setEncoding('utf8').on('data', (d: string) => received.push(d));
  return { server, peer, connection, events, received };
}

describe('TcpConnection', () => {
  it('turns framed, sanitised lines into tcp.line events and skips blank ones [CHAT-IN-3]', async () => {
    const t = pair();
    t.connection.attach((e) => t.events.push(e));
    t.peer.write('he');
    t.peer.write('llo\r\n \t\n\x1b[1mbold\x1b[0m\n');
    await tick();
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'hello' },
      { type: 'tcp.line', text: 'bold' }
    ]);
  });

  it('reports an over-long line once, with the limit [CHAT-IN-4]', async () => {
    const t = pair(4);
    t.connection.attach((e) => t.events.push(e));
    t.peer.write('123456789');
    t.peer.write('abc\nok\n');
    await tick();
    expect(t.events).toEqual([
      { type: 'tcp.oversize', limit: 4 },
      { type: 'tcp.line', text: 'ok' }
    ]);
  });

  it('keeps events from before attach and delivers them in order on attach', async () => {
    const t = pair();
    t.peer.write('early\n');
    t.peer.end();
    await tick();
    t.connection.attach((e) => t.events.push(e));
    expect(t.events.map((e) => e.type)).toEqual(['tcp.line', 'tcp.end']);
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

  it('delivers nothing after detach or destroy', async () => {
    const t = pair();
    const detach = t.connection.attach((e) => t.events.push(e));
    detach();
    t.peer.write('after detach\n');
    await tick();
    expect(t.events).toEqual([]);

    const u = pair();
    u.connection.attach((e) => u.events.push(e));
    u.connection.destroy();
    await tick();
    expect(u.events).toEqual([]);
  });

  it('holds input while paused and delivers it in order on resume', async () => {
    const t = pair();
    t.connection.attach((e) => t.events.push(e));
    t.connection.pauseInput();
    t.peer.write('first\nsecond\n');
    await tick();
    expect(t.events).toEqual([]);
    t.connection.resumeInput();
    await tick();
    expect(t.events).toEqual([
      { type: 'tcp.line', text: 'first' },
      { type: 'tcp.line', text: 'second' }
    ]);
  });

  it('ignores writes once the socket is gone', async () => {
    const t = pair();
    t.connection.attach((e) => t.events.push(e));
    t.server.destroy();
    await tick();
    expect(() => t.connection.write('into the void\n')).not.toThrow();
    expect(t.events).toEqual([{ type: 'tcp.close' }]);
  });
});
