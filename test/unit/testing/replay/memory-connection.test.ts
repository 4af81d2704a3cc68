/**
 * MemoryConnection (src/transport/memory-connection.ts): the socket-less
 * ConnectionPort the replay harness drives. Its events and its transcript
 * must match what TcpConnection would do for the same peer behaviour.
 */
import { describe, expect, it } from 'vitest';
import type { TransportEvent } from '../../../../src/machines/connection-events.js';
import { LINGER_MS } from '../../../../src/protocol/constants.js';
import { VirtualClock } from '../../../../src/testing/replay/scheduler.js';
import type { Inbound } from '../../../../src/transport/event-outlet.js';
import {
  MemoryConnection,
  type MemoryLimits
} from '../../../../src/transport/memory-connection.js';

const LIMITS: MemoryLimits = {
  maxLineBytes: 16,
  sendQueueSoftBytes: 20,
  sendQueueBytes: 40,
  stallTimeoutMs: 1000,
  idleTimeoutMs: 0
};

function setup(limits: Partial<MemoryLimits> = {}) {
  const clock = new VirtualClock();
  const conn = new MemoryConnection({
    remote: '127.0.0.1:50001',
    limits: { ...LIMITS, ...limits },
    timers: clock
  });
  // Events and lines in one order, as the actor sees them.
  const events: Inbound[] = [];
  const detach = conn.attach((e) => events.push(e));
  const detachLines = conn.relay((text) =>
    events.push({ type: 'tcp.line', text })
  );
  return { clock, conn, events, detach, detachLines };
}

const types = (events: Inbound[]) => events.map((e) => e.type);

describe('MemoryConnection input', () => {
  it('frames, sanitises and drops blank lines as TcpConnection does', () => {
    const { conn, events } = setup();
    conn.peerSend('he');
    conn.peerSend('llo\r\n  \n\u001b[31mred\n');
    conn.peerSendLine('x'.repeat(17));
    expect(events).toEqual([
      { type: 'tcp.line', text: 'hello' },
      { type: 'tcp.line', text: 'red' },
      { type: 'tcp.oversize', limit: 16 }
    ]);
  });

  it('keeps lines and the FIN sent while input is paused, in order', () => {
    const { conn, events } = setup();
    conn.pauseInput();
    conn.peerSendLine('one');
    conn.peerSendLine('two');
    conn.peerFin();
    expect(events).toEqual([]);
    conn.resumeInput();
    expect(events).toEqual([
      { type: 'tcp.line', text: 'one' },
      { type: 'tcp.line', text: 'two' },
      { type: 'tcp.end' }
    ]);
  });

  it('hands lines to the relay and events to the actor, never the other way', () => {
    const clock = new VirtualClock();
    const conn = new MemoryConnection({
      remote: '127.0.0.1:50001',
      limits: LIMITS,
      timers: clock
    });
    const events: TransportEvent[] = [];
    const lines: string[] = [];
    conn.attach((e) => events.push(e));
    conn.relay((text) => lines.push(text));
    conn.peerSendLine('hello');
    conn.peerSendLine('x'.repeat(17));
    conn.peerFin();
    expect(lines).toEqual(['hello']);
    expect(events).toEqual([
      { type: 'tcp.oversize', limit: 16 },
      { type: 'tcp.end' }
    ]);
  });

  it('keeps events from before attach and lines from before relay, each delivered in order when its sink comes', () => {
    const clock = new VirtualClock();
    const conn = new MemoryConnection({
      remote: '127.0.0.1:50001',
      limits: LIMITS,
      timers: clock
    });
    conn.peerSendLine('early');
    conn.peerSendLine('x'.repeat(17));
    conn.peerSendLine('second');
    const events: TransportEvent[] = [];
    const lines: string[] = [];
    conn.attach((e) => events.push(e));
    expect(events).toEqual([{ type: 'tcp.oversize', limit: 16 }]);
    expect(lines).toEqual([]);
    conn.relay((text) => lines.push(text));
    expect(lines).toEqual(['early', 'second']);
    conn.peerSendLine('live');
    expect(lines).toEqual(['early', 'second', 'live']);
  });

  it('drops lines after the relay detaches, and still delivers events', () => {
    const { conn, events, detachLines } = setup();
    conn.peerSendLine('kept');
    detachLines();
    conn.peerSendLine('dropped');
    conn.peerFin();
    expect(events).toEqual([
      { type: 'tcp.line', text: 'kept' },
      { type: 'tcp.end' }
    ]);
  });

  it('delivers neither lines nor events after the actor detaches', () => {
    const { conn, events, detach } = setup();
    detach();
    conn.peerSendLine('dropped');
    conn.peerFin();
    expect(events).toEqual([]);
  });

  it('reports a reset as tcp.error then tcp.close, dropping held input', () => {
    const { conn, events } = setup();
    conn.pauseInput();
    conn.peerSendLine('lost');
    conn.peerReset();
    expect(events).toEqual([
      { type: 'tcp.error', code: 'ECONNRESET' },
      { type: 'tcp.close' }
    ]);
    expect(conn.isOpen).toBe(false);
    expect(() => conn.peerSendLine('late')).toThrow(/peer cannot send/);
  });

  it('reports tcp.idle once after the idle timeout, not counting held time', () => {
    const { clock, conn, events } = setup({ idleTimeoutMs: 1000 });
    clock.advance(600);
    conn.pauseInput();
    clock.advance(5000);
    expect(events).toEqual([]);
    conn.resumeInput();
    clock.advance(399);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([{ type: 'tcp.idle', idleMs: 1000 }]);
    clock.advance(5000);
    expect(events).toHaveLength(1);
  });
});

describe('MemoryConnection output', () => {
  it('records what reaches the peer as lines', () => {
    const { conn } = setup();
    conn.write('a\nb');
    conn.write(Buffer.from('c\n'));
    expect(conn.transcript()).toEqual(['a', 'bc']);
    expect(conn.partialLine()).toBe('');
    expect(conn.queuedBytes).toBe(0);
  });

  it('owes what a stalled peer cannot take and holds input over the soft mark', () => {
    const { conn, events } = setup();
    conn.stopReading(4);
    conn.write('123456\n');
    expect(conn.transcript()).toEqual([]);
    expect(conn.partialLine()).toBe('1234');
    expect(conn.queuedBytes).toBe(3);
    conn.write('x'.repeat(20));
    conn.peerSendLine('held');
    expect(events).toEqual([]);
    conn.resumeReading();
    expect(conn.queuedBytes).toBe(0);
    expect(events).toEqual([{ type: 'tcp.line', text: 'held' }]);
  });

  it('gives up on a peer owed more than the hard limit, keeping a cut line whole', () => {
    const { conn, events } = setup();
    conn.stopReading(2);
    conn.write('first\n');
    conn.write('x'.repeat(40));
    expect(events).toEqual([
      { type: 'tcp.slow', why: 'overflow', queuedBytes: 44 }
    ]);
    conn.write('ignored\n');
    conn.end('bye');
    conn.resumeReading();
    expect(conn.transcript()).toEqual(['first', 'bye']);
    expect(conn.isOpen).toBe(false);
  });

  it('keeps input held once it gave up on the peer, even when the peer reads again, as TcpConnection does (issue 16)', () => {
    const { conn, events } = setup();
    conn.stopReading(0);
    conn.write('x'.repeat(25)); // over the soft mark: input held
    conn.write('y'.repeat(20)); // over the hard mark: gives up
    conn.peerSendLine('ignored');
    conn.resumeReading();
    expect(events).toEqual([
      { type: 'tcp.slow', why: 'overflow', queuedBytes: 45 }
    ]);
  });

  it('gives up on a peer that makes no progress for the stall timeout', () => {
    const { clock, conn, events } = setup();
    conn.stopReading(0);
    conn.write('a\n');
    clock.advance(999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([
      { type: 'tcp.slow', why: 'stall', queuedBytes: 2 }
    ]);
  });

  it('flushes, sends the farewell, and closes once the reading peer sees the FIN', () => {
    const { conn, events } = setup();
    conn.write('last\n');
    conn.end('Error: bye');
    expect(conn.transcript()).toEqual(['last', 'Error: bye']);
    expect(types(events)).toEqual(['tcp.close']);
    conn.write('after\n');
    expect(conn.transcript()).toHaveLength(2);
  });

  it('waits for a peer that reads late when there is no stall timeout', () => {
    const { clock, conn } = setup({ stallTimeoutMs: 0 });
    conn.stopReading(0);
    conn.end('bye');
    clock.advance(LINGER_MS * 10);
    expect(conn.isOpen).toBe(true); // owed bytes, no stall timeout: TCP waits too
    conn.resumeReading();
    expect(conn.transcript()).toEqual(['bye']);
    expect(conn.isOpen).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('closes a peer it gave up on after the linger, read or not', () => {
    const { clock, conn, events } = setup();
    conn.stopReading(0);
    conn.write('x'.repeat(41));
    conn.end('bye');
    expect(types(events)).toEqual(['tcp.slow']);
    clock.advance(LINGER_MS - 1);
    expect(conn.isOpen).toBe(true);
    clock.advance(1);
    expect(types(events)).toEqual(['tcp.slow', 'tcp.close']);
    expect(conn.transcript()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('delivers nothing after destroy', () => {
    const { conn, events } = setup();
    conn.destroy();
    expect(conn.isOpen).toBe(false);
    expect(events).toEqual([]);
    conn.write('x\n');
    expect(conn.transcript()).toEqual([]);
  });

  it('turns a close with unread bytes into a reset', () => {
    const { conn, events } = setup();
    conn.stopReading(10);
    conn.write('unread\n');
    conn.peerClose();
    expect(types(events)).toEqual(['tcp.error', 'tcp.close']);
    expect(conn.peerState).toBe('reset');
  });
});
