/**
 * Per-room one order and counts [CHAT-ROOM-2], checked from what room
 * observers received. Each transcript is cut into segments, one per stay
 * in a room (from its `Now in` line to the next). Two segments of one room
 * that overlap in time must show the same events, counts included, from
 * the later one's join to the earlier one's leave (the overlap is found
 * from unique texts both saw, and the join and leave notices naming the
 * other around them). Within a segment every count is the previous ±1.
 */
import { quote } from '../peers/observed.js';
import { parseMemberLine } from '../peers/member-line.js';
import type { RoomMember } from './room-log.js';
import type { ChaosViolation } from './types.js';

/** One room event a segment saw. */
export interface SegmentEvent {
  /** The same for the same event whoever saw it; counts included. */
  readonly key: string;
  /** Unique in the run: a message or a rename. */
  readonly unique: boolean;
  readonly kind: 'join' | 'leave' | 'rename' | 'message';
  /** Line index in the observer's transcript. */
  readonly index: number;
  readonly label?: string;
  readonly count?: number;
  readonly text?: string;
  readonly speaker?: string;
  readonly own?: boolean;
}

/** One stay of one observer in one room, as it received it. */
export interface Segment {
  readonly member: RoomMember;
  readonly room: string;
  /** The count its `Now in` (or greeting) gave. */
  readonly startCount: number;
  readonly labelIn: string;
  readonly labelOut: string;
  readonly events: SegmentEvent[];
}

/** One line of evidence from an observer's transcript. */
export function evidenceLine(member: RoomMember, index: number): string {
  const raw = member.peer.lines[index];
  return `${member.addr} line ${index + 1}: ${raw === undefined ? '(none)' : quote(raw)}`;
}

/**
 * Cuts `member`'s transcript into its stays; segment 0 is #lobby, from the
 * greeting. A `Now in` it did not ask for is a violation.
 */
export function segmentsOf(
  member: RoomMember,
  out: ChaosViolation[]
): Segment[] {
  const segments: Segment[] = [];
  let current: Segment | null = null;
  member.peer.lines.forEach((raw, index) => {
    const line = parseMemberLine(raw);
    if (line.kind === 'greeting' && index === 0) {
      current = {
        member,
        room: '#lobby',
        startCount: line.count,
        labelIn: member.addr,
        labelOut: member.addr,
        events: []
      };
      segments.push(current);
      return;
    }
    if (line.kind === 'now-in') {
      const visit = member.visits[segments.length - 1];
      if (visit?.room !== line.room) {
        out.push({
          invariant: 'rooms',
          message: `${member.addr} got ${quote(raw)}, not the answer to its move ${segments.length} (${visit?.room ?? 'none'})`,
          evidence: [evidenceLine(member, index)]
        });
        current = null;
        return;
      }
      current = { ...visit, member, startCount: line.count, events: [] };
      segments.push(current);
      return;
    }
    const seg: Segment | null = current;
    if (seg === null) return;
    switch (line.kind) {
      case 'join':
      case 'leave':
        seg.events.push({
          key: `${line.kind} ${line.label} ${line.count}`,
          unique: false,
          kind: line.kind,
          index,
          label: line.label,
          count: line.count
        });
        break;
      case 'rename':
        seg.events.push({
          key: `rename ${line.old} ${line.name}`,
          unique: true,
          kind: 'rename',
          index
        });
        break;
      case 'message':
        seg.events.push({
          key: `message ${line.text}`,
          unique: true,
          kind: 'message',
          index,
          text: line.text,
          speaker: line.speaker,
          own: line.own
        });
        break;
      default:
    }
  });
  return segments;
}

/** Every count in `seg` is the previous one ±1 and counts its observer. */
export function checkSegmentCounts(seg: Segment, out: ChaosViolation[]): void {
  let previous = seg.startCount;
  for (const e of seg.events) {
    if (e.count === undefined) continue;
    const expected = previous + (e.kind === 'join' ? 1 : -1);
    if (e.count !== expected || e.count < 1) {
      out.push({
        invariant: 'rooms',
        message: `${seg.member.addr} got a wrong count in ${seg.room}: ${quote(seg.member.peer.lines[e.index] ?? '')} should say ${expected}`,
        evidence: [evidenceLine(seg.member, e.index)]
      });
      return;
    }
    previous = e.count;
  }
}

/** Where in `a` the other segment `b` was present: [start, end). */
function presence(a: Segment, b: Segment, first: number, last: number) {
  let start = 0;
  let joinAt: SegmentEvent | undefined;
  for (let i = first - 1; i >= 0; i--) {
    const e = a.events[i];
    if (e?.kind === 'join' && e.label === b.labelIn) {
      start = i + 1;
      joinAt = e;
      break;
    }
  }
  let end = a.events.length;
  for (let i = last + 1; i < a.events.length; i++) {
    const e = a.events[i];
    if (e?.kind === 'leave' && e.label === b.labelOut) {
      end = i;
      break;
    }
  }
  return { start, end, joinAt };
}

/**
 * Compares two segments of one room over the time both were in it; reports
 * the first difference. Segments with no unique event in common did not
 * overlap (or only while nothing was said) and are not compared.
 */
export function compareSegments(
  a: Segment,
  b: Segment,
  out: ChaosViolation[]
): void {
  const inB = new Map<string, number>();
  b.events.forEach((e, i) => {
    if (e.unique) inB.set(e.key, i);
  });
  const common = a.events.flatMap((e, i) =>
    e.unique && inB.has(e.key) ? [i] : []
  );
  const firstA = common[0];
  const lastA = common.at(-1);
  if (firstA === undefined || lastA === undefined) return;
  const firstB = inB.get(a.events[firstA]?.key ?? '') ?? 0;
  const lastB = inB.get(a.events[lastA]?.key ?? '') ?? 0;
  const inA = presence(a, b, firstA, lastA);
  const inOther = presence(
    b,
    a,
    Math.min(firstB, lastB),
    Math.max(firstB, lastB)
  );
  for (const [seen, joined, by] of [
    [inA.joinAt, b, a],
    [inOther.joinAt, a, b]
  ] as const) {
    if (seen !== undefined && seen.count !== joined.startCount) {
      out.push({
        invariant: 'rooms',
        message: `${joined.member.addr} was told it is in ${joined.room} with ${joined.startCount} online, but ${by.member.addr} saw it enter with ${seen.count ?? '?'}`,
        evidence: [evidenceLine(by.member, seen.index)]
      });
    }
  }
  const x = a.events.slice(inA.start, inA.end);
  const y = b.events.slice(inOther.start, inOther.end);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const [p, q] = [x[i], y[i]];
    if (p?.key === q?.key) continue;
    const show = (s: Segment, e: SegmentEvent | undefined): string =>
      e === undefined
        ? `nothing more`
        : quote(s.member.peer.lines[e.index] ?? '');
    out.push({
      invariant: 'rooms',
      message: `${a.member.addr} and ${b.member.addr} disagree in ${a.room} at event ${i + 1} of the time both were there: ${show(a, p)} against ${show(b, q)}`,
      evidence: [
        ...[x[i - 1], p].flatMap((e) =>
          e ? [evidenceLine(a.member, e.index)] : []
        ),
        ...[y[i - 1], q].flatMap((e) =>
          e ? [evidenceLine(b.member, e.index)] : []
        )
      ]
    });
    return;
  }
}
