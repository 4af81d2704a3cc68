/**
 * A transcript parsed once, for the checks in transcript.ts and
 * room-order.ts to share.
 */
import { formatRelayed } from '../../protocol/format.js';
import { parseRoomLine, type RoomLine } from './room-line.js';
import type { Transcript } from './types.js';

/** A line of the room's total order: what every member must agree on. */
export interface RoomEvent {
  /** Equal for the same event whoever saw it (counts left to I2). */
  readonly key: string;
  /** Where in its transcript's lines. */
  readonly index: number;
  readonly line: Extract<
    RoomLine,
    { kind: 'join' | 'message' | 'leave' | 'closing' }
  >;
}

/** A transcript with every line parsed and its room events picked out. */
export interface Observed {
  readonly transcript: Transcript;
  readonly parsed: readonly RoomLine[];
  /** Joins, messages, leaves and closing; not greetings, errors or garbage. */
  readonly events: readonly RoomEvent[];
}

const SHOWN_CHARS = 120;

/** The key of a message event, for counting sent texts the same way. */
export function messageKey(addr: string, text: string): string {
  return `message ${addr} ${text}`;
}

function eventKey(line: RoomEvent['line']): string {
  switch (line.kind) {
    case 'join':
      return `join ${line.addr}`;
    case 'leave':
      return `leave ${line.addr}`;
    case 'message':
      return messageKey(line.addr, line.text);
    case 'closing':
      return 'closing';
  }
}

/** Parses every line of `transcript` once. */
export function observe(transcript: Transcript): Observed {
  const parsed = transcript.lines.map((line) =>
    parseRoomLine(line, transcript.addr)
  );
  const events: RoomEvent[] = [];
  parsed.forEach((line, index) => {
    if (
      line.kind === 'join' ||
      line.kind === 'message' ||
      line.kind === 'leave' ||
      line.kind === 'closing'
    ) {
      events.push({ key: eventKey(line), index, line });
    }
  });
  return { transcript, parsed, events };
}

function online(count: number): string {
  return `${count} ${count === 1 ? 'user' : 'users'} online`;
}

/** A line or text quoted for a message, clipped: it may be megabytes. */
export function quote(raw: string): string {
  return raw.length > SHOWN_CHARS
    ? `${JSON.stringify(raw.slice(0, SHOWN_CHARS))}… (${raw.length} chars)`
    : JSON.stringify(raw);
}

/**
 * An event as every member but its sender sees it, so two members' views of
 * it read the same (the sender's own `[You] …` is shown as `[ADDR] …`).
 */
export function describeEvent(event: RoomEvent): string {
  const { line } = event;
  switch (line.kind) {
    case 'join':
      return `New user ${line.addr} entered (${online(line.count)})`;
    case 'leave':
      return `The user ${line.addr} left (${online(line.count)})`;
    case 'message':
      return formatRelayed(line.addr, line.text);
    case 'closing':
      return 'Server shutting down';
  }
}

/** One line of evidence: observer, 1-based line number, the quoted line. */
export function describeLine(o: Observed, index: number): string {
  const raw = o.transcript.lines[index];
  const shown = raw === undefined ? '(none)' : quote(raw);
  return `${o.transcript.addr} line ${index + 1}: ${shown}`;
}
