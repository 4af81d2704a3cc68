import { expect } from 'vitest';
import type { Daemon } from '../../src/app/daemon.js';
import type { Peer } from '../../src/tools/peers/peer.js';
import {
  checkTranscripts,
  type Transcript
} from '../../src/tools/peers/transcript.js';
import { connectClient } from './client.js';
import type { Cleanups } from './cleanup.js';
import type { TestDaemon } from './daemon.js';
import { expectNoLeaks } from './leaks.js';
import type { Endpoint } from './transports.js';

/**
 * Well-behaved members that chat and record everything, for the fault suite's
 * invariants. Each observer's texts are unique (`tag`, its index, a counter).
 */
export interface Observers {
  readonly peers: readonly Peer[];
  /** Sender address → the texts it sent, in order. */
  readonly sent: Map<string, string[]>;
  /** Each observer sends `count` lines, as fast as the socket takes them. */
  chat(count: number, tag: string): Promise<void>;
  /**
   * One observer sends a marker and every observer waits for it: since the
   * room has one order, everything ordered before it has then arrived.
   */
  settle(timeoutMs?: number): Promise<void>;
  /** I1, I2 and framing over the observers' transcripts (plus `others`, e.g. abrupt peers). */
  expectInvariants(others?: readonly Transcript[]): void;
}

/**
 * Connects `count` observers one after another (each waits for its greeting,
 * so their join order is known); they are destroyed by `cleanups`.
 */
export async function joinObservers(
  port: number | Endpoint,
  count: number,
  cleanups: Cleanups
): Promise<Observers> {
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const peer = await connectClient(port);
    cleanups.add(() => peer.destroy());
    await peer.waitForLine((line) => line.startsWith('Connected to'));
    peers.push(peer);
  }
  const sent = new Map<string, string[]>(peers.map((p) => [p.localAddr, []]));
  let markers = 0;

  const say = (peer: Peer, text: string): Promise<void> => {
    sent.get(peer.localAddr)?.push(text);
    return peer.send(text);
  };

  return {
    peers,
    sent,
    chat: async (count, tag) => {
      await Promise.all(
        peers.map(async (peer, i) => {
          for (let n = 0; n < count; n++) await say(peer, `${tag}-${i}-${n}`);
        })
      );
    },
    settle: async (timeoutMs = 15_000) => {
      const speaker = peers[0];
      if (speaker === undefined) return;
      const marker = `settle-${(markers += 1)}`;
      await say(speaker, marker);
      await Promise.all(
        peers.map((peer) =>
          peer.waitForLine((line) => line.endsWith(`] ${marker}`), timeoutMs)
        )
      );
    },
    expectInvariants: (others = []) => {
      const transcripts: Transcript[] = [
        ...peers.map((p) => ({
          addr: p.localAddr,
          lines: p.lines,
          stayed: true
        })),
        ...others
      ];
      const violations = checkTranscripts(transcripts, { sent });
      expect(
        violations,
        JSON.stringify(violations.slice(0, 5), null, 1)
      ).toEqual([]);
    }
  };
}

/** A peer's transcript for the checker; `stayed: false` for one that left early or was cut off. */
export function transcriptOf(peer: Peer, stayed: boolean): Transcript {
  return { addr: peer.localAddr, lines: [...peer.lines], stayed };
}

/**
 * Invariant I3: the daemon still serves a newcomer: it is greeted with the
 * true count (everyone online plus itself) and its line comes back.
 */
export async function expectServes(
  daemon: Daemon,
  port: number | Endpoint,
  cleanups: Cleanups
): Promise<void> {
  const online = daemon.memberCount();
  const peer = await connectClient(port);
  cleanups.add(() => peer.destroy());
  expect(await peer.nextLine()).toBe(
    `Connected to the chat server (${online + 1} ${online + 1 === 1 ? 'user' : 'users'} online)`
  );
  await peer.send('still serving');
  await peer.waitForLine('[You] still serving');
  peer.end();
  await peer.closed;
}

/**
 * Ends a fault scenario: I3 (a newcomer is served), then every one of
 * `peers` quits, then I4 with `timersBefore` from `activeTimers()` (so call
 * it before the daemon closes). The newcomer dials `at` (default the
 * plain port).
 */
export async function finishScenario(
  t: TestDaemon,
  peers: readonly Peer[],
  timersBefore: number,
  cleanups: Cleanups,
  at: number | Endpoint = t.port
): Promise<void> {
  await expectServes(t.daemon, at, cleanups);
  for (const peer of peers) peer.end();
  await Promise.all(peers.map((peer) => peer.closed));
  await expectNoLeaks(t.daemon, timersBefore);
}

/**
 * Connects one more member, checks its greeting carries the true count, and
 * waits until every observer has seen it join; destroyed by `cleanups`.
 */
export async function joinWatched(
  port: number | Endpoint,
  obs: Observers,
  cleanups: Cleanups
): Promise<Peer> {
  const peer = await connectClient(port);
  cleanups.add(() => peer.destroy());
  const online = obs.peers.length + 1;
  expect(await peer.nextLine()).toBe(
    `Connected to the chat server (${online} users online)`
  );
  const join = `New user ${peer.localAddr} entered (${online} users online)`;
  for (const observer of obs.peers) await observer.waitForLine(join);
  return peer;
}
