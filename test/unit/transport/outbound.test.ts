/**
 * Outbound on a real loopback socket pair: the peer can stop reading, so the
 * kernel fills up and bytes stay in the socket and in Outbound's backlog.
 * Timer logic (stall watchdog, linger) runs on fake `setTimeout`s; socket I/O
 * is real, and waits poll the event loop, never the faked clock.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LINGER_MS } from '../../../src/protocol/constants.js';
import {
  Outbound,
  type OutboundHooks,
  type OutboundLimits,
  type SlowReason
} from '../../../src/transport/outbound.js';
import { createCleanups } from '../../support/cleanup.js';
import {
  FILL_CHUNK,
  clog,
  staysTrue,
  tick,
  until
} from '../../support/wait.js';

const cleanups = createCleanups();
afterEach(async () => {
  await cleanups.run();
  vi.useRealTimers();
});

const KiB = 1024;
const MiB = 1024 * KiB;
/** Waits until `value` has not changed for 20 turns in a row. */
async function settled(value: () => number): Promise<void> {
  let last = value();
  for (let i = 0; i < 500; i += 1) {
    if (await staysTrue(() => value() === last, 20)) return;
    last = value();
  }
  throw new Error('the socket never settled');
}

interface Loopback {
  /** The accepted side, given to the code under test. */
  socket: Socket;
  peer: Socket;
  /** Everything the peer has read so far. */
  received(): Buffer;
  /** Lets the peer read `bytes` more and then stop (Infinity: read on). */
  allow(bytes: number): void;
  /** The peer read our FIN. */
  peerEnded: Promise<void>;
  peerClosed: Promise<void>;
}

/**
 * A connected pair on 127.0.0.1. The accepted side is set up like the
 * daemon's (allowHalfOpen, noDelay, optional highWaterMark); the peer reads
 * unless `reading: false`, and with `peerHalfOpen` keeps its side open after
 * our FIN.
 */
async function loopback(
  options: {
    highWaterMark?: number;
    reading?: boolean;
    peerHalfOpen?: boolean;
  } = {}
): Promise<Loopback> {
  const server = createServer({
    allowHalfOpen: true,
    noDelay: true,
    ...(options.highWaterMark === undefined
      ? {}
      : { highWaterMark: options.highWaterMark })
  });
  cleanups.add(() => new Promise((resolve) => server.close(resolve)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const accepted = new Promise<Socket>((resolve) =>
    server.once('connection', resolve)
  );
  const { port } = server.address() as AddressInfo;
  const peer = connect({
    host: '127.0.0.1',
    port,
    allowHalfOpen: options.peerHalfOpen ?? false
  });
  const socket = await accepted;
  cleanups.add(() => {
    peer.destroy();
    socket.destroy();
  });
  // Resets are part of some scenarios; an 'error' without a listener throws.
  socket.on('error', () => undefined);
  peer.on('error', () => undefined);
  const chunks: Buffer[] = [];
  let read = 0;
  let allowance = options.reading === false ? 0 : Infinity;
  peer.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    read += chunk.length;
    if (read >= allowance) peer.pause();
  });
  if (allowance === 0) peer.pause();
  return {
    socket,
    peer,
    received: () => Buffer.concat(chunks),
    allow(bytes) {
      allowance = read + bytes;
      peer.resume();
    },
    peerEnded: new Promise((resolve) => peer.once('end', resolve)),
    peerClosed: new Promise((resolve) => peer.once('close', () => resolve()))
  };
}

type HookCall =
  | { hook: 'backpressure'; on: boolean }
  | { hook: 'slow'; why: SlowReason; queuedBytes: number };

/** Hooks that record every call, in order, and count the bytes sent. */
function recorder() {
  const record = {
    calls: [] as HookCall[],
    sent: 0,
    sizes: [] as number[],
    hooks: {
      backpressure: (on) => record.calls.push({ hook: 'backpressure', on }),
      slow: (why, queuedBytes) =>
        record.calls.push({ hook: 'slow', why, queuedBytes }),
      sent: (bytes) => {
        record.sent += bytes;
        if (record.sizes.length < 100) record.sizes.push(bytes);
      }
    } satisfies OutboundHooks
  };
  return record;
}

function outbound(
  socket: Socket,
  hooks: OutboundHooks,
  limits: Partial<OutboundLimits> = {}
): Outbound {
  const out = new Outbound(
    socket,
    { sendQueueBytes: 0, sendQueueSoftBytes: 0, stallTimeoutMs: 0, ...limits },
    hooks
  );
  cleanups.add(() => out.dispose());
  return out;
}

const PRESSURE_ON: HookCall = { hook: 'backpressure', on: true };
const PRESSURE_OFF: HookCall = { hook: 'backpressure', on: false };

describe('Outbound', () => {
  it('hands the writes of one turn to the socket in one corked batch, in order', async () => {
    const p = await loopback();
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    const cork = vi.spyOn(p.socket, 'cork');
    const uncork = vi.spyOn(p.socket, 'uncork');

    out.write('a\n');
    out.write(Buffer.from('bé\n'));
    out.write('c\n');
    expect(uncork).not.toHaveBeenCalled();
    expect(r.sizes).toEqual([2, 4, 2]);
    expect(out.queuedBytes).toBe(8);

    await until(() => p.received().length === 8, 'the peer has 8 bytes');
    expect(p.received().toString()).toBe('a\nbé\nc\n');
    expect(cork).toHaveBeenCalledTimes(1);
    expect(uncork).toHaveBeenCalledTimes(1);
    expect(out.queuedBytes).toBe(0);
    expect(r.calls).toEqual([]);
  });

  it('queues behind a full socket in its own backlog, counted in queuedBytes, and sends it in order', async () => {
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    const filled = await clog(p.socket, (b) => out.write(b));
    const inSocket = p.socket.writableLength;
    expect(out.queuedBytes).toBe(inSocket);

    out.write('one\n');
    out.write(Buffer.from('two\n'));
    out.write('thrée\n');
    expect(r.sent).toBe(filled); // none of it reached the socket
    expect(p.socket.writableLength).toBe(inSocket);
    expect(out.queuedBytes).toBe(inSocket + 15);

    p.allow(Infinity);
    await until(
      () => p.received().length === filled + 15,
      'the peer has everything'
    );
    expect(p.received().subarray(filled).toString()).toBe('one\ntwo\nthrée\n');
    expect(
      p.received().subarray(0, filled).equals(Buffer.alloc(filled, 'f'))
    ).toBe(true);
    await until(() => out.queuedBytes === 0, 'nothing is queued');
    expect(r.sent).toBe(filled + 15);
    expect(r.calls).toEqual([]);
  });

  it('holds input just above the soft mark, once, and releases it on the drain that leaves at most half of it', async () => {
    // The daemon sets the socket's high-water mark to the soft mark.
    const p = await loopback({ highWaterMark: 1000 });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { sendQueueSoftBytes: 1000 });

    out.write('x'.repeat(600));
    out.write('x'.repeat(400));
    expect(out.queuedBytes).toBe(1000);
    expect(r.calls).toEqual([]); // at the mark is not over it
    out.write('y');
    expect(r.calls).toEqual([PRESSURE_ON]);
    out.write('z'.repeat(5000));
    expect(out.queuedBytes).toBe(6001);
    expect(r.calls).toEqual([PRESSURE_ON]);

    await until(
      () => r.calls.length === 2,
      'input is released',
      5000,
      () => JSON.stringify(r.calls)
    );
    expect(r.calls).toEqual([PRESSURE_ON, PRESSURE_OFF]);
    await until(() => p.received().length === 6001, 'the peer has everything');
    expect(p.received().toString()).toBe(
      `${'x'.repeat(1000)}y${'z'.repeat(5000)}`
    );
  });

  it('releases input once the peer has caught up, even when the last drain left more than half the soft mark in the backlog [CHAT-SLOW-1]', async () => {
    // The daemon's defaults: soft mark 64 KiB, socket high-water mark 64 KiB.
    const soft = 64 * KiB;
    const p = await loopback({ highWaterMark: soft, reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { sendQueueSoftBytes: soft });
    const filled = await clog(p.socket, (b) => out.write(b));
    // Each chunk of the fill crossed the mark and drained again, but the last.
    expect(r.calls.at(-1)).toEqual(PRESSURE_ON);
    const sinceFull = r.calls.length;

    // 40 KiB of backlog: over half the soft mark, under the high-water mark,
    // so the drain that finds it moves all of it into the socket at once.
    const line = `${'b'.repeat(1023)}\n`;
    for (let i = 0; i < 40; i += 1) out.write(line);
    p.allow(Infinity);
    await until(
      () => p.received().length === filled + 40 * KiB,
      'the peer has everything'
    );
    await until(() => out.queuedBytes === 0, 'nothing is owed');

    await until(
      () => r.calls.length > sinceFull,
      'input is released after the peer caught up',
      2000,
      () =>
        `hook calls since the socket filled: ${JSON.stringify(r.calls.slice(sinceFull))}, queuedBytes ${out.queuedBytes}`
    );
    expect(r.calls.slice(sinceFull)).toEqual([PRESSURE_OFF]);
  });

  it('gives up over the hard limit with one slow(overflow), keeps what the socket holds and ignores later writes', async () => {
    const p = await loopback();
    const r = recorder();
    const out = outbound(p.socket, r.hooks, {
      sendQueueBytes: 1000,
      sendQueueSoftBytes: 500
    });

    out.write('a'.repeat(400));
    out.write('b'.repeat(200));
    expect(r.calls).toEqual([PRESSURE_ON]);
    out.write('c'.repeat(400));
    expect(out.queuedBytes).toBe(1000);
    expect(r.calls).toEqual([PRESSURE_ON]); // at the limit is not over it
    out.write('d');
    expect(r.calls).toEqual([
      PRESSURE_ON,
      { hook: 'slow', why: 'overflow', queuedBytes: 1001 }
    ]);

    out.write('late\n');
    out.write('later\n');
    expect(out.queuedBytes).toBe(1001);
    expect(r.sent).toBe(1001);
    out.end();
    await p.peerEnded;
    expect(p.received().toString()).toBe(
      `${'a'.repeat(400)}${'b'.repeat(200)}${'c'.repeat(400)}d`
    );
    expect(r.calls).toHaveLength(2);
  });

  it('drops its backlog when it gives up, then sends the farewell right after what the socket held, then FIN', async () => {
    const p = await loopback({ reading: false });
    const r = recorder();
    const hard = 2 * MiB;
    const out = outbound(p.socket, r.hooks, { sendQueueBytes: hard });
    const filled = await clog(p.socket, (b) => out.write(b));
    const held = p.socket.writableLength;
    expect(held).toBeLessThan(hard);

    const line = `${'dropped'.padEnd(1023, '.')}\n`;
    let lines = 0;
    while (r.calls.length === 0 && lines < 4096) {
      out.write(line);
      lines += 1;
    }
    expect(r.calls).toEqual([
      { hook: 'slow', why: 'overflow', queuedBytes: held + lines * KiB }
    ]);
    expect(held + (lines - 1) * KiB).toBeLessThanOrEqual(hard);
    expect(out.queuedBytes).toBe(held); // the backlog is gone
    expect(r.sent).toBe(filled);

    out.write('late\n');
    expect(out.queuedBytes).toBe(held);
    out.end('bye\n');
    expect(r.sent).toBe(filled + 4);
    p.allow(Infinity);
    await p.peerEnded;
    const got = p.received();
    expect(got.length).toBe(filled + 4);
    expect(got.subarray(filled).toString()).toBe('bye\n');
    expect(got.includes('dropped')).toBe(false);
    expect(got.includes('late')).toBe(false);
    expect(r.calls).toHaveLength(1);
  });

  it('gives up with one slow(stall) when a peer takes nothing for the stall timeout, dropping the backlog', async () => {
    const p = await loopback({ reading: false });
    const r = recorder();
    let heldAtGiveUp = -1;
    const out = outbound(
      p.socket,
      {
        ...r.hooks,
        slow: (why, queuedBytes) => {
          heldAtGiveUp = p.socket.writableLength;
          r.hooks.slow(why, queuedBytes);
        }
      },
      { stallTimeoutMs: 200 }
    );
    const filled = await clog(p.socket, (b) => out.write(b));
    out.write('backlog 1\n');
    out.write('backlog 2\n');

    await until(() => r.calls.length > 0, 'the watchdog gives up');
    expect(r.calls).toEqual([
      { hook: 'slow', why: 'stall', queuedBytes: heldAtGiveUp + 20 }
    ]);
    expect(out.queuedBytes).toBe(p.socket.writableLength);

    out.write('late\n');
    expect(r.sent).toBe(filled);
    out.end();
    p.allow(Infinity);
    await p.peerEnded;
    expect(p.received().length).toBe(filled);
    expect(p.received().includes('backlog')).toBe(false);
    expect(r.calls).toHaveLength(1);
  });

  it('re-arms the stall watchdog while the peer makes progress and gives up only after a whole timeout without any', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { stallTimeoutMs: 1000 });
    expect(vi.getTimerCount()).toBe(0);
    await clog(p.socket, (b) => out.write(b));
    for (let i = 0; i < 64; i += 1) out.write(FILL_CHUNK); // 16 MiB of backlog
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(999);
    expect(r.calls).toEqual([]);
    // The peer reads 4 MiB (the kernel wakes a writer only once a good part
    // of its buffer is free) and stops again: whole writes complete, and the
    // drains move backlog into the socket.
    const flushed = (): number => r.sent - p.socket.writableLength;
    const before = flushed();
    p.allow(4 * MiB);
    await until(
      () => p.peer.isPaused() && flushed() > before,
      'the peer read 4 MiB and the socket flushed some',
      5000,
      () => `flushed ${flushed() - before} bytes`
    );
    await settled(flushed);
    expect(vi.getTimerCount()).toBe(1); // drains did not arm a second one
    expect(out.queuedBytes).toBeGreaterThan(4 * MiB);

    vi.advanceTimersByTime(1); // progress since armed: re-armed, no verdict
    expect(r.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(r.calls).toEqual([]);
    const queued = out.queuedBytes;
    vi.advanceTimersByTime(1);
    expect(r.calls).toEqual([
      { hook: 'slow', why: 'stall', queuedBytes: queued }
    ]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(r.calls).toHaveLength(1);
  });

  it('arms no stall watchdog while everything reaches the kernel', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback();
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { stallTimeoutMs: 1000 });
    out.write('hello\n');
    await until(() => p.received().length === 6, 'the peer has the line');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('destroys the socket of a peer that stalls while we end, without reporting it slow', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { stallTimeoutMs: 1000 });
    const filled = await clog(p.socket, (b) => out.write(b));
    out.write('queued\n');
    out.end('bye\n');
    expect(p.socket.destroyed).toBe(false);

    vi.advanceTimersByTime(1000);
    expect(p.socket.destroyed).toBe(true);
    expect(r.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    p.allow(Infinity);
    await p.peerClosed;
    expect(p.received().length).toBeLessThanOrEqual(filled);
    expect(p.received().includes('queued')).toBe(false);
    expect(p.received().includes('bye')).toBe(false);
  });

  it('ends by flushing the backlog, then the farewell, then FIN, and ignores writes after end', async () => {
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    const filled = await clog(p.socket, (b) => out.write(b));
    out.write('b1\n');
    out.write('b2\n');
    out.end('bye\n');
    out.write('late\n');
    out.end('again\n');
    expect(p.socket.writableEnded).toBe(false); // FIN waits for the backlog

    p.allow(Infinity);
    await p.peerEnded;
    const got = p.received();
    expect(got.length).toBe(filled + 10);
    expect(got.subarray(filled).toString()).toBe('b1\nb2\nbye\n');
    expect(r.sent).toBe(filled + 10);
  });

  it('counts a farewell queued behind the backlog in queuedBytes, and is back to 0 once it is flushed', async () => {
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    await clog(p.socket, (b) => out.write(b));
    out.write('b1\n');
    const before = out.queuedBytes;
    out.end('bye\n');
    const addedByFarewell = out.queuedBytes - before;

    const finished = new Promise((resolve) => p.socket.once('finish', resolve));
    p.allow(Infinity);
    await finished;
    await p.peerEnded;
    expect(p.received().subarray(-7).toString()).toBe('b1\nbye\n');
    expect({ addedByFarewell, afterFlush: out.queuedBytes }).toEqual({
      addedByFarewell: 4,
      afterFlush: 0
    });
  });

  it('destroys the socket when the peer does not close within LINGER_MS of our FIN, and not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ peerHalfOpen: true });
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    const finished = new Promise((resolve) => p.socket.once('finish', resolve));
    const closed = new Promise((resolve) => p.socket.once('close', resolve));
    out.write('hi\n');
    out.end('bye\n');
    await finished;
    await p.peerEnded;
    expect(p.received().toString()).toBe('hi\nbye\n');
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(LINGER_MS - 1);
    expect(p.socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(p.socket.destroyed).toBe(true);
    await closed;
  });

  it('gives a peer it gave up on LINGER_MS from end(), even though our FIN never gets out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { sendQueueBytes: 2 * MiB });
    await clog(p.socket, (b) => out.write(b));
    for (let i = 0; i < 16 && r.calls.length === 0; i += 1)
      out.write(FILL_CHUNK);
    expect(r.calls.map((c) => c.hook)).toEqual(['slow']);

    out.end('bye\n');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(LINGER_MS - 1);
    expect(p.socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(p.socket.destroyed).toBe(true);
  });

  it('arms no stall watchdog once it gave up: the farewell waits for the linger alone (issue 16)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, {
      sendQueueBytes: 2 * MiB,
      stallTimeoutMs: 1000
    });
    await clog(p.socket, (b) => out.write(b));
    for (let i = 0; i < 16 && r.calls.length === 0; i += 1)
      out.write(FILL_CHUNK);
    expect(r.calls.map((c) => c.hook)).toEqual(['slow']);

    out.end('bye\n');
    await tick(); // the farewell's batch is uncorked
    expect(vi.getTimerCount()).toBe(1); // the linger
    vi.advanceTimersByTime(LINGER_MS);
    expect(p.socket.destroyed).toBe(true);
    expect(r.calls).toHaveLength(1);
  });

  it('dispose() clears the linger timer of a peer that closed in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback();
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { stallTimeoutMs: 1000 });
    const closed = new Promise((resolve) => p.socket.once('close', resolve));
    out.write('hi\n');
    out.end();
    await closed; // the peer answered our FIN with its own
    expect(vi.getTimerCount()).toBe(1);
    out.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('dispose() clears the stall watchdog and drops the backlog', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks, { stallTimeoutMs: 1000 });
    await clog(p.socket, (b) => out.write(b));
    out.write('backlog\n');
    expect(vi.getTimerCount()).toBe(1);
    out.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(out.queuedBytes).toBe(p.socket.writableLength);
    vi.advanceTimersByTime(10_000);
    expect(r.calls).toEqual([]);
  });

  it('with every limit at 0 queues without bound, never holds input and arms no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = await loopback({ reading: false });
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    const filled = await clog(p.socket, (b) => out.write(b));
    for (let i = 0; i < 32; i += 1) out.write(FILL_CHUNK); // 8 MiB of backlog
    expect(out.queuedBytes).toBe(p.socket.writableLength + 8 * MiB);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);

    p.allow(Infinity);
    await until(
      () => p.received().length === filled + 8 * MiB,
      'the peer has everything'
    );
    await until(() => out.queuedBytes === 0, 'nothing is queued');
    expect(r.calls).toEqual([]);
  });

  it('counts multi-byte text in bytes while it waits in the socket buffer', async () => {
    const p = await loopback();
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    out.write('ééé\n'); // 7 bytes, 4 UTF-16 code units
    expect(r.sizes).toEqual([7]);
    expect(out.queuedBytes).toBe(7);
    await until(() => p.received().length === 7, 'the peer has the line');
    expect(out.queuedBytes).toBe(0);
  });

  it.each([
    ['ASCII', 'x'.repeat(100)],
    ['multi-byte', 'é'.repeat(100)]
  ])(
    'gives up on a peer that takes nothing while %s lines keep reaching the socket buffer',
    async (_kind, text) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      // A high-water mark above a chunk: the socket keeps accepting lines.
      const p = await loopback({ highWaterMark: MiB, reading: false });
      const r = recorder();
      const out = outbound(p.socket, r.hooks, { stallTimeoutMs: 1000 });
      await clog(
        p.socket,
        (b) => out.write(b),
        () => p.socket.writableLength > 0
      );
      expect(vi.getTimerCount()).toBe(1);
      const flushedBefore = r.sent;
      for (let window = 0; window < 3 && r.calls.length === 0; window += 1) {
        out.write(`${text}\n`);
        await tick();
        vi.advanceTimersByTime(1000);
      }
      // The peer took none of those bytes in the first whole timeout.
      expect(r.calls.map((c) => c.hook === 'slow' && c.why)).toEqual(['stall']);
      expect(r.sent - flushedBefore).toBe(Buffer.byteLength(`${text}\n`));
    }
  );

  it('ignores writes and end() once the socket is destroyed', async () => {
    const p = await loopback();
    const r = recorder();
    const out = outbound(p.socket, r.hooks);
    p.socket.destroy();
    expect(() => {
      out.write('into the void\n');
      out.end('bye\n');
    }).not.toThrow();
    expect(r.sent).toBe(0);
    await p.peerClosed;
    expect(p.received().length).toBe(0);
  });
});
