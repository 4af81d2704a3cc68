/**
 * No leaks (fault suite, item 6): after thousands of connect → greeting →
 * quit cycles the room has no members, no actor, subscription or socket is
 * left, no timer is pending for a closed connection (counting unref'd ones,
 * which `activeTimers()` cannot see), and the heap is back near its
 * baseline. The daemon runs in this process, so the heap measured here is
 * the daemon's (plus this file's own bounded bookkeeping).
 */
import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Peer } from '../../src/tools/peers/peer.js';
import { createRng, type Rng } from '../../src/tools/peers/rng.js';
import { connectClient } from '../support/client.js';
import { pollUntil } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { activeTimers, expectNoLeaks } from '../support/leaks.js';
import {
  allListeners,
  FAULT_TRANSPORTS,
  type Endpoint,
  type FaultTransport
} from '../support/transports.js';

const SEED = 0x1ea4_0006;
/**
 * Cycles per transport. A TLS or WebSocket handshake costs several times a
 * TCP connect, so those run a tenth as many: still hundreds of each ending.
 */
const RUNS: Record<FaultTransport, { warmup: number; cycles: number }> = {
  tcp: { warmup: 300, cycles: 5000 },
  tls: { warmup: 100, cycles: 500 },
  ws: { warmup: 100, cycles: 500 }
};
const CONCURRENCY = 25;
/**
 * Fails if each TCP cycle leaked ~1.7 KB (5000 × 1.7 KB), or each TLS or
 * WebSocket one ~17 KB; a TCP run leaves ~2 MB.
 */
const HEAP_GROWTH_BOUND = 8 * 1024 * 1024;

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

// Forces a full GC without --expose-gc on vitest's command line: the flag set
// at run time exposes `gc` to contexts created afterwards.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** heapUsed after full collections, once it has stopped shrinking. */
async function settledHeap(): Promise<number> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    // Let closed sockets' handles and finished promises be released first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) return Math.min(used, last);
    last = used;
  }
  return last;
}

/**
 * Counts the timers created between `start()` and `stop()` that have neither
 * fired nor been cleared, unref'd ones included
 * (`process.getActiveResourcesInfo()` omits those). `dispose()` unhooks.
 */
function timerTracker(): {
  start(): void;
  stop(): void;
  pending(): number;
  dispose(): void;
} {
  const live = new Set<number>();
  let tracking = false;
  const hook = createHook({
    init(asyncId, type) {
      if (tracking && type === 'Timeout') live.add(asyncId);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    }
  });
  return {
    start() {
      tracking = true;
      hook.enable();
    },
    stop() {
      tracking = false;
    },
    pending: () => live.size,
    dispose() {
      hook.disable();
      live.clear();
    }
  };
}

type Ending = 'quit' | 'reset';

/** One cycle: connect, wait for the greeting, leave; the peer is dropped after. */
async function cycle(
  at: Endpoint,
  ending: Ending,
  live: Set<Peer>
): Promise<void> {
  const peer = await connectClient(at);
  live.add(peer);
  try {
    const greeting = await peer.nextLine();
    if (!greeting.startsWith('Connected to the chat server (')) {
      throw new Error(`unexpected first line ${JSON.stringify(greeting)}`);
    }
    if (ending === 'quit') peer.end();
    else peer.reset();
    await peer.closed;
  } finally {
    peer.destroy();
    live.delete(peer);
  }
}

/** Runs `count` cycles, `CONCURRENCY` at a time; returns how many ended each way. */
async function cycles(
  at: Endpoint,
  count: number,
  rng: Rng,
  live: Set<Peer>
): Promise<Record<Ending, number>> {
  // Drawn up front, so the schedule does not depend on timing.
  const endings: Ending[] = Array.from({ length: count }, () =>
    rng.chance(2 / 3) ? 'quit' : 'reset'
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < endings.length) {
        const ending = endings[next++] as Ending;
        await cycle(at, ending, live);
      }
    })
  );
  return {
    quit: endings.filter((e) => e === 'quit').length,
    reset: endings.filter((e) => e === 'reset').length
  };
}

// A connection's actor, feed and timers are the same whatever frames its
// bytes, and TLS and WebSocket add their own state to release, so the cycles
// run over plain TCP, TLS and WebSocket (issue 18).
describe.each(FAULT_TRANSPORTS)('connect/disconnect cycles over %s', (kind) => {
  const { warmup: WARMUP_CYCLES, cycles: CYCLES } = RUNS[kind];

  it(`leaves no member, actor, subscription, socket, timer or heap behind after ${CYCLES} cycles`, async () => {
    const rng = createRng(SEED);
    const timers = activeTimers();
    // `info`: the console keeps joins and leaves (a bounded ~0.5 MB of test
    // bookkeeping over the cycles), not every debug record.
    const listeners = allListeners(cleanups);
    const t = await daemon({
      level: 'info',
      floodRate: 0,
      ...listeners.options
    });
    const at = listeners.endpointOf(t.daemon, kind);
    const live = new Set<Peer>();
    cleanups.add(() => {
      for (const peer of live) peer.destroy();
    });

    // Warm up first: JIT, pools and lazily built structures are not leaks.
    const warm = await cycles(at, WARMUP_CYCLES, rng, live);
    await pollUntil(
      () => t.daemon.stats().sockets === 0,
      'the warm-up connections are closed'
    );
    const before = await settledHeap();
    const tracker = timerTracker();
    cleanups.add(() => tracker.dispose());
    tracker.start();

    const started = Date.now();
    const ended = await cycles(at, CYCLES, rng, live);
    const elapsed = Date.now() - started;

    await expectNoLeaks(t.daemon, timers);
    tracker.stop();
    const s = t.daemon.stats();
    const context = `${kind}, seed ${SEED}, ${CYCLES} cycles in ${elapsed} ms (${ended.quit} quit, ${ended.reset} reset); stats ${JSON.stringify(s)}`;
    expect(t.daemon.memberCount(), context).toBe(0);
    expect(
      {
        actors: s.actors,
        connections: s.connections,
        members: s.members,
        feeds: s.feeds,
        sockets: s.sockets
      },
      context
    ).toEqual({ actors: 1, connections: 0, members: 0, feeds: 0, sockets: 0 });
    expect(s.accepted, context).toBe(WARMUP_CYCLES + CYCLES);
    const disconnects = Object.values(s.disconnects).reduce((a, b) => a + b);
    expect(disconnects, context).toBe(s.accepted);
    // A FIN (over WebSocket, a close frame) is `client quit`, an RST
    // `socket error` (docs/protocol.md, "Leave reasons").
    expect(s.disconnects['client quit'], context).toBe(warm.quit + ended.quit);
    expect(s.disconnects['socket error'], context).toBe(
      warm.reset + ended.reset
    );
    // Timers armed during the cycles (linger, watchdog, leave timeout,
    // pacing…) are all cleared once their connection closed.
    await pollUntil(
      () => tracker.pending() === 0,
      'every timer armed during the cycles has fired or been cleared',
      5000,
      () => `${tracker.pending()} still pending; ${context}`
    );

    const after = await settledHeap();
    const growth = after - before;
    expect(
      growth,
      `heapUsed ${before} → ${after} (+${growth} bytes, ${Math.round(growth / CYCLES)} per cycle); ${context}`
    ).toBeLessThan(HEAP_GROWTH_BOUND);
  }, 30_000);
});
