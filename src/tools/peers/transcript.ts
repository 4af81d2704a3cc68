/**
 * The invariant checker for what members received, used by the fault suite
 * and by chat-chaos. Pure: transcripts in, violations out, O(total lines).
 *
 * - framing: every line is a protocol line and the first is the greeting
 *   [CHAT-WIRE-4] [CHAT-ORDER-2].
 * - I1: every member sees the room's events exactly once, in one order
 *   [CHAT-ORDER-1], and nothing after `Server shutting down` [CHAT-SHUT-2].
 * - I2: every count is the previous one ±1, starting from the count the room
 *   gave the member's own join [CHAT-COUNT-2].
 *
 * It assumes addresses are unique in the window (a reused port would look
 * like a second join notice) and, unless `sent` says otherwise, that a sender
 * never sends the same text twice.
 */
import type { RoomLine } from './room-line.js';
import type { Transcript, Violation } from './types.js';
import { checkAgainstReference, pickReference } from './room-order.js';
import {
  describeEvent,
  describeLine,
  messageKey,
  observe,
  quote,
  type Observed,
  type RoomEvent
} from './observed.js';

export { parseRoomLine, type RoomLine } from './room-line.js';
export type { Transcript, Violation } from './types.js';

/** Options for `checkTranscripts`. */
export interface CheckOptions {
  /** Sender address → the texts it sent while it stayed, in order. */
  readonly sent?: ReadonlyMap<string, readonly string[]>;
}

const MAX_EVIDENCE = 6;

function checkFraming(o: Observed, out: Violation[]): void {
  const { addr, lines } = o.transcript;
  const first = o.parsed[0];
  if (first === undefined) {
    if (o.transcript.stayed) {
      out.push({
        invariant: 'framing',
        message: `${addr} stayed but received nothing, not even its greeting`,
        evidence: []
      });
    }
  } else if (first.kind !== 'greeting') {
    out.push({
      invariant: 'framing',
      message: `${addr}'s first line is not its greeting: ${quote(lines[0] ?? '')}`,
      evidence: [0, 1]
        .filter((i) => i < lines.length)
        .map((i) => describeLine(o, i))
    });
  }
  const bad: number[] = [];
  o.parsed.forEach((line, i) => {
    if (line.kind === 'unknown' || (line.kind === 'greeting' && i > 0)) {
      bad.push(i);
    }
  });
  const firstBad = bad[0];
  if (firstBad !== undefined) {
    out.push({
      invariant: 'framing',
      message: `${addr} received ${bad.length} line(s) that are not protocol lines (merged, cut or garbage); the first at line ${firstBad + 1}: ${quote(lines[firstBad] ?? '')}`,
      evidence: bad.slice(0, MAX_EVIDENCE).map((i) => describeLine(o, i))
    });
  }
  const closing = o.parsed.findIndex((line) => line.kind === 'closing');
  if (closing !== -1 && closing < lines.length - 1) {
    out.push({
      invariant: 'I1',
      message: `${addr} received ${quote(lines[closing + 1] ?? '')} at line ${closing + 2}, after Server shutting down`,
      evidence: [closing, closing + 1].map((i) => describeLine(o, i))
    });
  }
}

function checkCounts(o: Observed, out: Violation[]): void {
  const first = o.parsed[0];
  if (first?.kind !== 'greeting') return;
  const { addr } = o.transcript;
  if (first.count < 1) {
    out.push({
      invariant: 'I2',
      message: `${addr} was greeted with ${first.count} users online, which must count itself`,
      evidence: [describeLine(o, 0)]
    });
    return;
  }
  let previous = { count: first.count, line: 0 };
  for (let i = 1; i < o.parsed.length; i++) {
    const line = o.parsed[i] as RoomLine;
    if (line.kind !== 'join' && line.kind !== 'leave') continue;
    const expected = previous.count + (line.kind === 'join' ? 1 : -1);
    const wrong =
      line.count !== expected
        ? `should say ${expected}: one ${line.kind === 'join' ? 'more' : 'fewer'} than ${previous.count} at line ${previous.line + 1}`
        : line.count < 1
          ? `says ${line.count}, though ${addr} itself is online`
          : null;
    if (wrong !== null) {
      const shown = [...new Set([previous.line, i - 1, i, i + 1])];
      out.push({
        invariant: 'I2',
        message: `${addr} got a wrong count at line ${i + 1}: ${quote(o.transcript.lines[i] ?? '')} ${wrong}`,
        evidence: shown
          .filter((j) => j >= 0 && j < o.parsed.length)
          .map((j) => describeLine(o, j))
      });
      return;
    }
    previous = { count: line.count, line: i };
  }
}

/** How often each sent message may arrive: once, unless sent more often. */
function allowedTimes(
  sent: ReadonlyMap<string, readonly string[]> | undefined
): Map<string, number> {
  const allowed = new Map<string, number>();
  for (const [addr, texts] of sent ?? []) {
    for (const text of texts) {
      const key = messageKey(addr, text);
      allowed.set(key, (allowed.get(key) ?? 0) + 1);
    }
  }
  return allowed;
}

function checkDuplicates(
  o: Observed,
  allowed: ReadonlyMap<string, number>,
  out: Violation[]
): void {
  const seen = new Map<string, RoomEvent[]>();
  for (const event of o.events) {
    if (event.line.kind !== 'message') continue;
    const same = seen.get(event.key) ?? [];
    same.push(event);
    seen.set(event.key, same);
  }
  const duplicated = [...seen].filter(
    ([key, same]) => same.length > Math.max(1, allowed.get(key) ?? 0)
  );
  const [, first] = duplicated[0] ?? [];
  const shown = first?.[0];
  if (first === undefined || shown === undefined) return;
  const times = first.length === 2 ? 'twice' : `${first.length} times`;
  const others =
    duplicated.length > 1
      ? ` (and ${duplicated.length - 1} more messages more than once)`
      : '';
  out.push({
    invariant: 'I1',
    message: `${o.transcript.addr} saw ${quote(describeEvent(shown))} ${times}${others}`,
    evidence: first.slice(0, MAX_EVIDENCE).map((e) => describeLine(o, e.index))
  });
}

/**
 * Checks a window of transcripts against the protocol's invariants and
 * returns every violation found (none when all is well).
 *
 * @example
 * const violations = checkTranscripts(
 *   peers.map((p) => ({ addr: p.localAddr, lines: p.lines, stayed: true }))
 * );
 * expect(violations).toEqual([]);
 */
export function checkTranscripts(
  transcripts: readonly Transcript[],
  options: CheckOptions = {}
): Violation[] {
  const out: Violation[] = [];
  const observed = transcripts.map(observe);
  const allowed = allowedTimes(options.sent);
  for (const o of observed) {
    checkFraming(o, out);
    checkCounts(o, out);
    checkDuplicates(o, allowed, out);
  }
  const reference = pickReference(observed);
  if (reference !== undefined) {
    checkAgainstReference(observed, reference, options.sent, out);
  }
  return out;
}
