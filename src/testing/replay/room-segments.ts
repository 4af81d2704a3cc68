/**
 * A replay's transcripts cut into room segments: each connection's lines
 * from one entry into a room (its greeting, or `Now in #room`) to the next,
 * as the room events they show, each with a key every member of that room
 * would give the same event. The room properties compare these.
 */
import { nameKey } from '../../protocol/command.js';
import { LOBBY_ROOM } from '../../protocol/constants.js';
import type { ReplayConnection, ReplayResult } from './harness.js';
import { parseV2Line, type V2Line } from './v2-line.js';

/** One room event as one member received it. */
export interface SegmentEvent {
  /**
   * The same for every member that received this event: chat and acts by
   * their text (unique in a replay); notices and renames by what they say,
   * their tick, and which of the same in that room and tick it is (`#2`):
   * the same notice recurs when a member comes back, even within one tick
   * when held input is let go at once (`/join #a`, `/part`, …). Only the
   * client whose input that was moves within one tick, and it receives
   * its own entries first to last, so every member numbers them alike.
   */
  readonly key: string;
  readonly kind: 'join' | 'leave' | 'message' | 'act' | 'rename';
  /** Who joined or left. */
  readonly addr?: string;
  /** The count of a join or leave. */
  readonly count?: number;
  /** The text of a message or act. */
  readonly text?: string;
  readonly tick: number;
  /** Its line number (from 1) in the member's transcript. */
  readonly line: number;
}

/** One member's stay in one room, as it received it. */
export interface Segment {
  readonly conn: ReplayConnection;
  /** The room, compared without case. */
  readonly room: string;
  /** The room events it received there, in order; the first is its own join. */
  readonly events: SegmentEvent[];
}

/** Every connection's lines, parsed, with the problems of framing. */
export interface Parsed {
  readonly lines: ReadonlyMap<ReplayConnection, readonly V2Line[]>;
  readonly segments: readonly Segment[];
  readonly problems: readonly string[];
}

/** The room event a line shows, or null for a line to its reader alone. */
function eventOf(
  line: V2Line,
  conn: ReplayConnection,
  tick: number
): Omit<SegmentEvent, 'line' | 'tick'> | null {
  switch (line.kind) {
    case 'greeting':
    case 'nowIn':
      return joinEvent(conn.addr, line.count, tick);
    case 'join':
      return joinEvent(line.addr, line.count, tick);
    case 'leave': {
      const { addr, count, reason } = line;
      const why = reason === null ? '' : `: ${reason}`;
      return { key: `leave ${addr}${why} (${count}) @${tick}`, ...line };
    }
    case 'own':
    case 'relayed':
      return { key: `message ${line.text}`, kind: 'message', text: line.text };
    case 'act':
      return { key: `act ${line.text}`, kind: 'act', text: line.text };
    case 'rename':
      return { key: `rename ${line.old} > ${line.name} @${tick}`, ...line };
    default:
      return null;
  }
}

function joinEvent(addr: string, count: number, tick: number) {
  const kind = 'join' as const;
  return { key: `join ${addr} (${count}) @${tick}`, kind, addr, count };
}

/** Parses every transcript and cuts it into room segments. */
export function segmentsOf(r: ReplayResult): Parsed {
  const lines = new Map<ReplayConnection, V2Line[]>();
  const segments: Segment[] = [];
  const problems: string[] = [];
  for (const conn of r.connections) {
    const parsed = conn.lines.map(parseV2Line);
    const seen = new Map<string, number>();
    lines.set(conn, parsed);
    let segment: Segment | null = null;
    parsed.forEach((line, i) => {
      const at = `${conn.addr} line ${i + 1}: "${conn.lines[i]}"`;
      if (line.kind === 'unknown') problems.push(`framing: not a line ${at}`);
      if ((line.kind === 'greeting') !== (i === 0))
        problems.push(`framing: the greeting is not the first line ${at}`);
      if (line.kind === 'greeting' || line.kind === 'nowIn') {
        const room = nameKey(line.kind === 'nowIn' ? line.room : LOBBY_ROOM);
        segment = { conn, room, events: [] };
        segments.push(segment);
      }
      const tick = conn.ticks[i] ?? -1;
      const event = eventOf(line, conn, tick);
      if (event === null) return;
      if (segment === null) {
        problems.push(`framing: outside any room ${at}`);
        return;
      }
      let { key } = event;
      if (event.kind !== 'message' && event.kind !== 'act') {
        const n = (seen.get(`${segment.room} ${key}`) ?? 0) + 1;
        seen.set(`${segment.room} ${key}`, n);
        key = `${key} #${n}`;
      }
      segment.events.push({ ...event, key, tick, line: i + 1 });
    });
  }
  return { lines, segments, problems };
}
