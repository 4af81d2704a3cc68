/**
 * The liveness check: after the run, the server still greets a newcomer with
 * the right count and relays its line, to itself and to the room.
 */
import { connectPeer, type Peer, type PeerTransport } from '../peers/peer.js';
import { describeSystemError } from '../../app/errors.js';
import { parseRoomLine } from '../peers/room-line.js';
import { quote } from '../peers/observed.js';
import type { ChaosViolation } from './types.js';
import { OWN_PREFIX, formatOwn } from '../../protocol/format.js';

const STEP_TIMEOUT_MS = 5000;

function online(count: number): string {
  return `${count} ${count === 1 ? 'user' : 'users'} online`;
}

function violation(message: string, evidence: string[] = []): ChaosViolation {
  return { invariant: 'liveness', message, evidence };
}

/** What the liveness check needs to know. */
export interface LivenessInput {
  host: string;
  port: number;
  /** Plain TCP when absent. */
  transport?: PeerTransport;
  /** An observer that stayed: the newcomer's line must reach it. */
  reference: Peer;
  /** The reference's address as the room shows it. */
  referenceName: string;
  /**
   * How many the room has online now, from the reference's notices; null
   * when not known (a member never left), then the count is not checked.
   */
  online: number | null;
  /** The text the newcomer sends. */
  text: string;
}

async function greet(
  peer: Peer,
  input: LivenessInput
): Promise<ChaosViolation[]> {
  let first: string;
  try {
    first = await peer.nextLine(STEP_TIMEOUT_MS);
  } catch {
    return [
      violation(
        `a new client was not greeted within ${STEP_TIMEOUT_MS / 1000} s after the run`
      )
    ];
  }
  const line = parseRoomLine(first, peer.localAddr);
  const shown = `${peer.localAddr} line 1: ${quote(first)}`;
  if (line.kind !== 'greeting') {
    return [
      violation(
        `a new client's first line after the run is not a greeting: ${quote(first)}`,
        [shown]
      )
    ];
  }
  if (input.online !== null && line.count !== input.online + 1) {
    return [
      violation(
        `a new client was greeted with ${online(line.count)} after the run, but the observers count ${online(input.online)} plus this client`,
        [shown]
      )
    ];
  }
  return [];
}

/**
 * Connects a newcomer, checks its greeting and that its line comes back and
 * reaches the reference, then leaves; returns what went wrong.
 */
export async function checkLiveness(
  input: LivenessInput
): Promise<ChaosViolation[]> {
  let peer: Peer;
  try {
    peer = await connectPeer({
      host: input.host,
      port: input.port,
      transport: input.transport,
      timeoutMs: STEP_TIMEOUT_MS
    });
  } catch (err) {
    return [
      violation(
        `a new client could not connect after the run: ${describeSystemError(err)}`
      )
    ];
  }
  try {
    const greeting = await greet(peer, input);
    if (greeting.length > 0) return greeting;
    await peer.send(input.text);
    try {
      await peer.waitForLine(formatOwn(input.text), STEP_TIMEOUT_MS);
    } catch {
      return [
        violation(
          `a new client's line ${quote(input.text)} did not come back to it as [You] within ${STEP_TIMEOUT_MS / 1000} s`,
          peer.lines
            .slice(0, 6)
            .map((l, i) => `${peer.localAddr} line ${i + 1}: ${quote(l)}`)
        )
      ];
    }
    try {
      // Behind a proxy the room shows the newcomer under another address;
      // the text alone is unique in the run.
      await input.reference.waitForLine(
        (line) =>
          line.endsWith(`] ${input.text}`) && !line.startsWith(OWN_PREFIX),
        STEP_TIMEOUT_MS
      );
    } catch {
      return [
        violation(
          `a new client's line ${quote(input.text)} never reached observer ${input.referenceName} within ${STEP_TIMEOUT_MS / 1000} s`
        )
      ];
    }
    peer.end();
    await Promise.race([
      peer.closed,
      new Promise((resolve) => setTimeout(resolve, STEP_TIMEOUT_MS).unref())
    ]);
    return [];
  } finally {
    peer.destroy();
  }
}
