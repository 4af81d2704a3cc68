/**
 * Floods (fault suite): a member sending far over the flood rate is paced,
 * not dropped and not allowed to slow anyone else down [CHAT-IN-5]. Its
 * lines reach everyone exactly once, in order, spread out at the rate; the
 * others' lines keep their normal latency meanwhile; what it sends beyond
 * that waits in TCP, not in the daemon. I1–I4 hold throughout.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Peer } from '../../src/tools/peers/peer.js';
import { connectClient } from '../support/client.js';
import { pollUntil } from '../support/daemon.js';
import {
  expectServes,
  joinObservers,
  transcriptOf,
  type Observers
} from '../support/fault-run.js';
import { createHarness } from '../support/harness.js';
import { activeTimers, expectNoLeaks } from '../support/leaks.js';
import {
  allListeners,
  FAULT_TRANSPORTS,
  type Endpoint
} from '../support/transports.js';

const RATE = 10;
const BURST = 20;
/** A chatter's pace: one line per 150 ms, about 7 lines/s, under the rate. */
const CHAT_INTERVAL_MS = 150;

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** When each line first reached a peer, in `performance.now()` ms, from now on. */
function recordArrivals(peer: Peer): Map<string, number> {
  const at = new Map<string, number>();
  let seen = peer.lines.length;
  // Registered after the peer's own listener, so the chunk's lines are in.
  peer.socket.on('data', () => {
    const now = performance.now();
    for (; seen < peer.lines.length; seen++) {
      const line = peer.lines[seen] as string;
      if (!at.has(line)) at.set(line, now);
    }
  });
  return at;
}

/** A member and when lines reached it. */
interface Member {
  peer: Peer;
  arrivals: Map<string, number>;
}

/** The line `member` receives for `text` sent by `sender`. */
function lineFor(member: Peer, sender: Peer, text: string): string {
  return member === sender ? `[You] ${text}` : `[${sender.localAddr}] ${text}`;
}

/** When `text` from `sender` had reached every member, or null if not yet. */
function reachedAll(
  members: readonly Member[],
  sender: Peer,
  text: string
): number | null {
  let latest = 0;
  for (const m of members) {
    const at = m.arrivals.get(lineFor(m.peer, sender, text));
    if (at === undefined) return null;
    latest = Math.max(latest, at);
  }
  return latest;
}

/** One chatted line: who sent what, when. */
interface Sample {
  sender: Peer;
  text: string;
  sentAt: number;
}

/**
 * The observers chat at a person's pace: each sends one line per
 * `CHAT_INTERVAL_MS` until `done()` or `maxRounds`.
 */
async function chatSlowly(
  observers: Observers,
  tag: string,
  maxRounds: number,
  done: () => boolean = () => false
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let round = 0; round < maxRounds && !done(); round++) {
    observers.peers.forEach((sender, i) => {
      const text = `${tag}-${i}-${round}`;
      observers.sent.get(sender.localAddr)?.push(text);
      samples.push({ sender, text, sentAt: performance.now() });
      void sender.send(text);
    });
    await delay(CHAT_INTERVAL_MS);
  }
  return samples;
}

/** Send → every member has it, per sample, in ms. */
function latencies(members: readonly Member[], samples: Sample[]): number[] {
  return samples.map(({ sender, text, sentAt }) => {
    const at = reachedAll(members, sender, text);
    if (at === null) throw new Error(`${text} did not reach every member`);
    return at - sentAt;
  });
}

function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
}

function ms(values: readonly number[]): string {
  return values.map((v) => v.toFixed(1)).join(' ');
}

/**
 * `observers.settle()`, and `others` (members that are not observers) have
 * the marker too: everything ordered before it has reached everyone.
 */
async function settleAll(
  observers: Observers,
  others: readonly Peer[]
): Promise<void> {
  await observers.settle();
  const speaker = observers.peers[0];
  const marker = speaker && observers.sent.get(speaker.localAddr)?.at(-1);
  if (speaker === undefined || marker === undefined) return;
  const line = `[${speaker.localAddr}] ${marker}`;
  await pollUntil(
    () => others.every((peer) => peer.lines.includes(line)),
    `every member has ${line}`
  );
}

/** Joins a member that is not one of the observers; waits for its greeting. */
async function joinOne(port: number | Endpoint): Promise<Peer> {
  const peer = await connectClient(port);
  cleanups.add(() => peer.destroy());
  await peer.waitForLine((line) => line.startsWith('Connected to'));
  return peer;
}

// Pacing counts lines, whatever frames them, so it runs over every
// transport (issue 18); each run takes about (LINES - BURST) / RATE s.
describe.each(FAULT_TRANSPORTS)('flood pacing under load over %s', (kind) => {
  it('paces a flooder at the rate while everyone else keeps a normal latency', async () => {
    const LINES = 60;
    const timers = activeTimers();
    const listeners = allListeners(cleanups);
    const t = await daemon({
      floodRate: RATE,
      floodBurst: BURST,
      ...listeners.options
    });
    const at = listeners.endpointOf(t.daemon, kind);
    const observers = await joinObservers(at, 3, cleanups);
    const flooder = await joinOne(at);
    const members: Member[] = [...observers.peers, flooder].map((peer) => ({
      peer,
      arrivals: recordArrivals(peer)
    }));
    await settleAll(observers, [flooder]);

    // Baseline: the observers chat at a normal pace with nobody flooding.
    const baseline = latencies(members, await chatSlowly(observers, 'base', 8));
    await settleAll(observers, [flooder]);

    // The flooder sends every line at once: far over 10x the rate.
    const flood = Array.from({ length: LINES }, (_, i) => `flood-${i}`);
    observers.sent.set(flooder.localAddr, flood);
    const floodStart = performance.now();
    for (const text of flood) void flooder.send(text);
    const last = flood.at(-1) as string;
    const during = await chatSlowly(
      observers,
      'during',
      100,
      () => reachedAll(members, flooder, last) !== null
    );
    await settleAll(observers, [flooder]);
    const floodEnd = reachedAll(members, flooder, last);

    // I1 (the flooder's lines included: all of them, once, in order) and I2.
    observers.expectInvariants([transcriptOf(flooder, true)]);

    // Paced: past the burst, the lines are spread at about the rate.
    const paced = ((LINES - BURST) / RATE) * 1000;
    for (const m of members) {
      const times = flood.map(
        (text) => m.arrivals.get(lineFor(m.peer, flooder, text)) ?? NaN
      );
      const first = times[0] as number;
      const spread = times.map((at) => at - first);
      const context = `at ${m.peer.localAddr}, ms after the first: ${ms(spread)}`;
      flood.forEach((_, k) => {
        if (k >= BURST)
          expect(spread[k], context).toBeGreaterThanOrEqual(
            ((k - BURST) / RATE) * 1000 * 0.8
          );
      });
      expect(spread.at(-1), context).toBeGreaterThanOrEqual(paced * 0.8);
      expect(spread.at(-1), context).toBeLessThanOrEqual(paced * 2 + 1000);
    }
    // Every line past the burst (less what the bucket refilled while they
    // arrived) waited; nobody else's did.
    const pacedLines = t.daemon.stats().pacedLines;
    expect(pacedLines).toBeGreaterThanOrEqual(LINES - BURST - 10);
    expect(pacedLines).toBeLessThanOrEqual(LINES - BURST);

    // Nobody else waited for the flooder: the lines sent while the flood
    // was being paced took about as long as before it.
    const overlapping = during.filter(
      (s) => floodEnd !== null && s.sentAt < floodEnd
    );
    expect(overlapping.length).toBeGreaterThanOrEqual(3 * 10);
    const whileFlooding = latencies(members, overlapping);
    const context = `baseline ms: ${ms(baseline)}; during the flood (${((floodEnd ?? 0) - floodStart).toFixed(0)} ms) ms: ${ms(whileFlooding)}`;
    expect(p95(whileFlooding), context).toBeLessThanOrEqual(
      Math.max(10 * p95(baseline), p95(baseline) + 300)
    );

    await expectServes(t.daemon, at, cleanups);
    for (const m of members) m.peer.end();
    await Promise.all(members.map((m) => m.peer.closed));
    await expectNoLeaks(t.daemon, timers);
    expect(t.daemon.stats().disconnects['client quit']).toBe(5);
  }, 30_000);
});

// TCP only: it measures what the kernel's TCP buffers hold, which TLS and
// WebSocket framing would only blur; the pacing itself is covered above.
describe('flood pacing under load', () => {
  it('leaves a flood waiting in TCP, not in the daemon, and drops what was never accepted', async () => {
    const LINE_BYTES = 100;
    const LINES = 80_000; // 8 MB
    const timers = activeTimers();
    const t = await daemon({ floodRate: RATE, floodBurst: BURST });
    const observers = await joinObservers(t.port, 2, cleanups);
    const flooder = await joinOne(t.port);
    await observers.settle();

    const filler = 'x'.repeat(LINE_BYTES - 12);
    const flood = Array.from(
      { length: LINES },
      (_, i) => `f${String(i).padStart(6, '0')} ${filler}`
    );
    void flooder.write(flood.map((text) => `${text}\n`).join(''));

    // Past the burst, the daemon relays its lines at the rate: by the time
    // the fifth after the burst is out, it has had time to read it all.
    const [watcher] = observers.peers;
    if (watcher === undefined) throw new Error('no observers');
    await watcher.waitForLine(`[${flooder.localAddr}] ${flood[BURST + 4]}`);
    // It did not: it read a little and paused, so the rest backs up in the
    // flooder's own socket once the kernel buffers in between are full.
    // Only what one read brought in waits in the daemon: about 64 KiB of
    // lines at most, never the megabytes the flooder wrote.
    const held = t.daemon.stats().pacedLines;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual((256 * 1024) / LINE_BYTES);
    expect(flooder.socket.writableLength).toBeGreaterThan(
      (LINES * LINE_BYTES) / 2
    );

    // The others chat on meanwhile, unhindered.
    await observers.chat(5, 'meanwhile');
    await observers.settle();

    // The flooder resets: what was still waiting had not been accepted and
    // is never relayed; what was relayed is a prefix of what it sent, once
    // each and in order, and everyone saw the same prefix.
    flooder.reset();
    await Promise.all(
      observers.peers.map((p) =>
        p.waitForLine((line) =>
          line.startsWith(`The user ${flooder.localAddr} left`)
        )
      )
    );
    const relayed = observers.peers.map((p) =>
      p.lines
        .filter((line) => line.startsWith(`[${flooder.localAddr}] `))
        .map((line) => line.slice(flooder.localAddr.length + 3))
    );
    const [seen] = relayed;
    expect(seen?.length).toBeGreaterThan(BURST);
    expect(seen?.length).toBeLessThan(LINES);
    expect(seen).toEqual(flood.slice(0, seen?.length));
    for (const other of relayed) expect(other).toEqual(seen);
    await observers.settle();
    observers.expectInvariants([transcriptOf(flooder, false)]);
    expect(t.daemon.stats().disconnects['socket error']).toBe(1);

    await expectServes(t.daemon, t.port, cleanups);
    for (const peer of observers.peers) peer.end();
    await Promise.all(observers.peers.map((p) => p.closed));
    await expectNoLeaks(t.daemon, timers);
  }, 30_000);
});
