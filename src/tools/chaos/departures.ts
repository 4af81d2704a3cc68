/**
 * Waits, after the faults stopped, until the room has announced the leave of
 * every faulty client it announced the join of, so the settle and the
 * liveness check see a quiet room. [CHAT-LEAVE-1]
 */
import { describeLine, observe } from '../peers/observed.js';
import type { Peer } from '../peers/peer.js';
import { parseRoomLine } from '../peers/room-line.js';
import type { ChaosViolation } from './types.js';

const POLL_MS = 20;

/** Addresses the room shows as online (joined, not yet left) to `peer`. */
export function onlineSeenBy(peer: Peer): Map<string, number> {
  const o = observe({
    addr: peer.localAddr,
    lines: [...peer.lines],
    stayed: true
  });
  const online = new Map<string, number>();
  for (const event of o.events) {
    const { line } = event;
    if (line.kind === 'join') online.set(line.addr, event.index);
    else if (line.kind === 'leave') online.delete(line.addr);
  }
  return online;
}

/** How long the room gets to empty of members chat-chaos did not open. */
const QUIET_TIMEOUT_MS = 2000;

/** What `awaitDepartures` found. */
export interface Departures {
  /** An I1 violation naming those of ours that never left, or nothing. */
  readonly violations: ChaosViolation[];
  /** True when nobody but the observers is online any more. */
  readonly quiet: boolean;
}

async function pollUntil(
  done: () => boolean,
  reference: Peer,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline && !reference.destroyed) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Polls `reference` until none of `ours` (the addresses the room showed for
 * connections chat-chaos opened and closed) is still online, within
 * `timeoutMs`, then until the room counts only the `observers` (the
 * connections chat-chaos could not name, other people chatting): briefly
 * when `ours` named them all, else for the rest of `timeoutMs`. Reports
 * those of ours that never left.
 */
export async function awaitDepartures(
  reference: Peer,
  ours: ReadonlySet<string>,
  observers: number,
  timeoutMs: number,
  { namedAll = true }: { namedAll?: boolean } = {}
): Promise<Departures> {
  const started = Date.now();
  const oursOnline = (): [string, number][] =>
    [...onlineSeenBy(reference)].filter(([addr]) => ours.has(addr));
  // Count-based: behind a proxy the observers' own addresses are not known.
  const quiet = (): boolean => {
    const count = countSeenBy(reference);
    return count !== null && count <= observers;
  };
  await pollUntil(() => oursOnline().length === 0, reference, timeoutMs);
  const left = oursOnline();
  if (left.length === 0) {
    const rest = namedAll
      ? QUIET_TIMEOUT_MS
      : Math.max(QUIET_TIMEOUT_MS, timeoutMs - (Date.now() - started));
    await pollUntil(quiet, reference, rest);
    return { violations: [], quiet: quiet() };
  }
  const o = observe({
    addr: reference.localAddr,
    lines: [...reference.lines],
    stayed: true
  });
  return {
    quiet: false,
    violations: [
      {
        invariant: 'I1',
        message: `${left.length} client(s) chat-chaos disconnected were never announced as leaving within ${timeoutMs / 1000} s: ${left
          .slice(0, 6)
          .map(([addr]) => addr)
          .join(', ')}`,
        evidence: left.slice(0, 6).map(([, index]) => describeLine(o, index))
      }
    ]
  };
}

/** The room's count in the last greeting or notice `peer` received, if any. */
export function countSeenBy(peer: Peer): number | null {
  for (let i = peer.lines.length - 1; i >= 0; i--) {
    const line = parseRoomLine(peer.lines[i] ?? '', peer.localAddr);
    if (
      line.kind === 'greeting' ||
      line.kind === 'join' ||
      line.kind === 'leave'
    )
      return line.count;
  }
  return null;
}
