/**
 * Observers: well-behaved clients that join before any fault, chat at a
 * steady rate and record everything they receive, for the checks.
 */
import { connectPeer, type Peer } from '../peers/peer.js';
import type { Transcript } from '../peers/transcript.js';
import type { Bounds } from './bounds.js';
import { describeConnectError } from './connect-errors.js';
import { ChaosError } from './errors.js';
import type { ChaosTarget } from './types.js';
import { createPauses } from './pauses.js';

const CONNECT_TIMEOUT_MS = 5000;
const GREETING_TIMEOUT_MS = 5000;
const POLL_MS = 20;

/** The marker observer `i` sends to settle the run. */
export function markerText(i: number): string {
  return `settle o${i}`;
}

/** The observers of one run. */
export interface ObserverGroup {
  readonly peers: readonly Peer[];
  /** Observer local address → the texts it sent, in order (markers too). */
  readonly sent: ReadonlyMap<string, readonly string[]>;
  /** Lines sent so far. */
  readonly sentCount: number;
  /** Starts chatting: `rate` lines per second each, staggered. */
  startChatting(): void;
  /** Stops chatting; resolves once the last lines are handed to the kernel. */
  stopChatting(): Promise<void>;
  /**
   * Every observer sends its marker and waits (bounded) until each has
   * received every marker; resolves with the `(observer, marker)` pairs
   * still missing. Each observer's texts precede its marker on its own
   * connection, so once the last marker arrived, everything did.
   */
  settle(timeoutMs: number): Promise<{ observer: string; marker: string }[]>;
  /**
   * Each observer's transcript, cut after the last marker it received (when
   * it received them all), so all end at the same event of the room.
   */
  transcripts(): Transcript[];
  /** Destroys every observer. */
  close(): void;
}

function markerIndex(lines: readonly string[], marker: string): number {
  return lines.findIndex((line) => line.endsWith(`] ${marker}`));
}

async function join(target: ChaosTarget): Promise<Peer> {
  const { host, port } = target;
  let peer: Peer;
  try {
    peer = await connectPeer({ ...target, timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    const over =
      target.transport === undefined ? '' : ` over ${target.transport.kind}`;
    throw new ChaosError(
      `cannot connect to ${host}:${port}${over}: ${describeConnectError(err)}`,
      { cause: err }
    );
  }
  try {
    await peer.nextLine(GREETING_TIMEOUT_MS);
  } catch {
    peer.destroy();
    throw new ChaosError(
      `${host}:${port} sent no line within ${GREETING_TIMEOUT_MS / 1000} s; is it a chat server speaking protocol v1?`
    );
  }
  return peer;
}

/**
 * Connects `count` observers one after another, each after the previous was
 * greeted, so their join order is known. Throws `ChaosError` when the server
 * cannot be reached or greets nobody.
 */
export async function joinObservers(
  target: ChaosTarget,
  count: number,
  rate: number,
  bounds: Bounds
): Promise<ObserverGroup> {
  const peers: Peer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (!bounds.takeConnections()) {
        throw new ChaosError(
          `--max-connections leaves no room for ${count} observers`
        );
      }
      peers.push(await join(target));
    }
  } catch (err) {
    for (const peer of peers) peer.destroy();
    throw err;
  }
  const sent = new Map<string, string[]>(peers.map((p) => [p.localAddr, []]));
  const closedAt = new Map<Peer, number>();
  for (const peer of peers) {
    void peer.closed.then(() => closedAt.set(peer, Date.now()));
  }
  let sentCount = 0;
  let chatting = false;
  let loops: Promise<void>[] = [];
  const { pause, wakeAll } = createPauses();
  let cut: number[] | null = null;

  // Markers skip the byte budget: without them the run cannot settle.
  const say = async (
    peer: Peer,
    text: string,
    budgeted = true
  ): Promise<void> => {
    if (peer.destroyed) return;
    if (budgeted && !bounds.takeBytes(text.length + 1)) return;
    sent.get(peer.localAddr)?.push(text);
    sentCount += 1;
    await peer.send(text);
  };
  const chat = async (peer: Peer, i: number): Promise<void> => {
    const interval = 1000 / rate;
    await pause((interval * i) / Math.max(1, peers.length));
    for (let n = 1; chatting && !peer.destroyed; n++) {
      await say(peer, `o${i}.${n}`);
      if (chatting) await pause(interval);
    }
  };

  return {
    peers,
    sent,
    get sentCount() {
      return sentCount;
    },
    startChatting() {
      if (chatting || rate <= 0) return;
      chatting = true;
      loops = peers.map((peer, i) => chat(peer, i));
    },
    async stopChatting() {
      chatting = false;
      wakeAll();
      await Promise.all(loops);
    },
    async settle(timeoutMs) {
      const markers = peers.map((_, i) => markerText(i));
      await Promise.all(
        peers.map((peer, i) => say(peer, markers[i] ?? '', false))
      );
      const missing = (): { observer: string; marker: string }[] =>
        peers.flatMap((peer) =>
          markers
            .filter((m) => markerIndex(peer.lines, m) === -1)
            .map((marker) => ({ observer: peer.localAddr, marker }))
        );
      const deadline = Date.now() + timeoutMs;
      const waiting = (): boolean =>
        missing().some(
          ({ observer }) =>
            !peers.find((p) => p.localAddr === observer)?.destroyed
        );
      while (waiting() && Date.now() < deadline) await pause(POLL_MS);
      const left = missing();
      cut = peers.map((peer) =>
        left.some((m) => m.observer === peer.localAddr)
          ? peer.lines.length
          : Math.max(...markers.map((m) => markerIndex(peer.lines, m))) + 1
      );
      return left;
    },
    transcripts() {
      return peers.map((peer, i) => ({
        addr: peer.localAddr,
        lines: peer.lines.slice(0, cut?.[i] ?? peer.lines.length),
        stayed: !closedAt.has(peer)
      }));
    },
    close() {
      chatting = false;
      wakeAll();
      for (const peer of peers) peer.destroy();
    }
  };
}
