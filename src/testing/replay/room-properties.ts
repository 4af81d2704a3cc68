/**
 * The room invariants of protocol v2, checked per room from what each
 * connection received (docs/chaos.md, "Deterministic replay"):
 * - I1 (one order): every member of a room receives that room's events
 *   once each, and all members in one order, with no gap between their
 *   join and their leave [CHAT-ORDER-1] [CHAT-ROOM-2];
 * - I2 (counts): each member's counts in a room step by one from the count
 *   of its own join, and each count is the room's membership: the members
 *   that received that notice, plus at most those that may have been
 *   members without receiving it (missed a line by then, or did not stay
 *   and had its last line by then; not yet gone) [CHAT-COUNT-2];
 * - I3 (leave last): no line of a member follows its leave in that room
 *   [CHAT-ORDER-3] [CHAT-CMD-JOIN];
 * - I4 (rooms apart): a text said in a room is received in that room only,
 *   the room its sender was in [CHAT-ROOM-2].
 */
import type { ReplayResult } from './harness.js';
import type { Segment, SegmentEvent } from './room-segments.js';

const describe = (s: Segment, e: SegmentEvent): string =>
  `${s.conn.addr} line ${e.line} "${s.conn.lines[e.line - 1]}"`;

/** Each room's segments, by room. */
function byRoom(segments: readonly Segment[]): Map<string, Segment[]> {
  const rooms = new Map<string, Segment[]>();
  for (const s of segments)
    rooms.set(s.room, [...(rooms.get(s.room) ?? []), s]);
  return rooms;
}

/**
 * One order for the room's events: every member's order, with events no
 * member orders against each other put by their tick, then by first sight.
 * Null when the members' orders cannot be merged (a cycle).
 */
function referenceOrder(segments: readonly Segment[]): string[] | null {
  const after = new Map<string, Set<string>>();
  const before = new Map<string, number>();
  const rank = new Map<string, [number, number]>();
  for (const s of segments)
    s.events.forEach((e, i) => {
      if (!rank.has(e.key)) rank.set(e.key, [e.tick, rank.size]);
      if (!after.has(e.key)) after.set(e.key, new Set());
      const next = s.events[i + 1];
      // A twice-received event is I1's duplicate, not a cycle.
      if (next === undefined || next.key === e.key) return;
      if (after.get(e.key)?.has(next.key)) return;
      after.get(e.key)?.add(next.key);
      before.set(next.key, (before.get(next.key) ?? 0) + 1);
    });
  const order: string[] = [];
  const ready = [...rank.keys()].filter((k) => !before.get(k));
  const byRank = (a: string, b: string): number => {
    const [ta = 0, fa = 0] = rank.get(a) ?? [];
    const [tb = 0, fb = 0] = rank.get(b) ?? [];
    return ta - tb || fa - fb;
  };
  while (ready.length > 0) {
    ready.sort(byRank);
    const key = ready.shift() as string;
    order.push(key);
    for (const next of after.get(key) ?? []) {
      const left = (before.get(next) ?? 0) - 1;
      before.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order.length === rank.size ? order : null;
}

/** I1 in one room: once each, in one order, without gaps. */
function checkOrder(room: string, segments: Segment[], out: string[]): void {
  for (const s of segments) {
    const seen = new Map<string, SegmentEvent>();
    for (const e of s.events) {
      const first = seen.get(e.key);
      if (first !== undefined)
        out.push(
          `I1: ${room}: ${s.conn.addr} received one event twice: ${describe(s, first)} and ${describe(s, e)}`
        );
      seen.set(e.key, e);
    }
  }
  for (const a of segments)
    for (const b of segments) {
      if (a === b) continue;
      const inB = new Map(b.events.map((e, i) => [e.key, i]));
      const common = a.events.filter((e) => inB.has(e.key));
      for (let i = 1; i < common.length; i++) {
        const [x, y] = [common[i - 1], common[i]] as [
          SegmentEvent,
          SegmentEvent
        ];
        if ((inB.get(x.key) ?? 0) < (inB.get(y.key) ?? 0)) continue;
        out.push(
          `I1: ${room}: two members disagree on the order: ${describe(a, x)} before ${describe(a, y)}, but ${b.conn.addr} the other way round`
        );
        return;
      }
    }
  const order = referenceOrder(segments);
  if (order === null) {
    out.push(`I1: ${room}: the members' orders cannot be merged into one`);
    return;
  }
  const position = new Map(order.map((key, i) => [key, i]));
  for (const s of segments)
    for (let i = 1; i < s.events.length; i++) {
      const [x, y] = [s.events[i - 1], s.events[i]] as [
        SegmentEvent,
        SegmentEvent
      ];
      const from = position.get(x.key) ?? 0;
      const to = position.get(y.key) ?? 0;
      if (to === from + 1) continue;
      out.push(
        `I1: ${room}: ${s.conn.addr} missed ${order.slice(from + 1, to).join(', ')} between ${describe(s, x)} and ${describe(s, y)}`
      );
      break;
    }
}

/**
 * How many connections may have been members of some room at `tick`
 * without receiving what it sent then, and not yet gone: those that missed
 * a line written to them by then (dropped, or unread), and those that did
 * not stay from the tick of their last line on (a slow consumer's lines
 * are dropped before they are written).
 */
function unseen(r: ReplayResult): (tick: number) => number {
  const from = r.connections.map((c) => ({
    missed: Math.min(
      c.missedFrom,
      c.stayed ? Infinity : (c.ticks.at(-1) ?? -Infinity)
    ),
    gone: c.closedAt ?? Infinity
  }));
  return (tick) =>
    from.filter(({ missed, gone }) => missed <= tick && tick <= gone).length;
}

/** I2 in one room: counts step by one, and are the room's membership. */
function checkCounts(
  room: string,
  segments: Segment[],
  away: (tick: number) => number,
  out: string[]
): void {
  const witnesses = new Map<string, number>();
  for (const s of segments)
    for (const e of s.events)
      witnesses.set(e.key, (witnesses.get(e.key) ?? 0) + 1);
  const counted = new Set<string>();
  for (const s of segments) {
    let previous: SegmentEvent | null = null;
    for (const e of s.events) {
      if (e.count === undefined) continue;
      const seen = witnesses.get(e.key) ?? 0;
      const wrong = e.count < seen || e.count > seen + away(e.tick);
      if (wrong && !counted.has(e.key))
        out.push(
          `I2: ${room}: ${describe(s, e)} counts ${e.count}, but ${seen} members received it and ${away(e.tick)} more may have been there`
        );
      counted.add(e.key);
      const step = e.kind === 'join' ? 1 : -1;
      if (previous?.count !== undefined && e.count !== previous.count + step) {
        out.push(
          `I2: ${room}: ${describe(s, e)} should count ${previous.count + step}, after ${describe(s, previous)}`
        );
        break;
      }
      previous = e;
    }
  }
}

/** I3 in one room: nobody's line after its leave, until it joins again. */
function checkLeaveLast(
  room: string,
  segments: Segment[],
  senders: ReadonlyMap<string, string>,
  out: string[]
): void {
  for (const s of segments) {
    const gone = new Map<string, SegmentEvent>();
    for (const e of s.events) {
      if (e.kind === 'leave' && e.addr !== undefined) gone.set(e.addr, e);
      if (e.kind === 'join' && e.addr !== undefined) gone.delete(e.addr);
      const from = senders.get(e.text ?? '');
      const leave = from === undefined ? undefined : gone.get(from);
      if (leave !== undefined)
        out.push(
          `I3: ${room}: ${describe(s, e)} comes after its sender's leave at ${describe(s, leave)}`
        );
    }
  }
}

/** I4: every text said in a room reached that room alone, its sender's. */
function checkApart(segments: readonly Segment[], out: string[]): void {
  const heard = new Map<string, Segment>();
  const own = new Set<string>();
  for (const s of segments)
    for (const e of s.events) {
      if (e.text === undefined) continue;
      const mine = s.conn.typed.some((t) => t.text === e.text);
      const first = heard.get(e.text);
      if (first !== undefined && first.room !== s.room)
        out.push(
          `I4: "${e.text}" reached ${first.room} (${first.conn.addr}) and ${s.room} (${describe(s, e)})`
        );
      // The sender's own echo says where it was said: it wins the record.
      if (first === undefined || (mine && !own.has(e.text)))
        heard.set(e.text, s);
      if (mine) own.add(e.text);
    }
}

/** Every room invariant of one replay, as readable problems (empty: all hold). */
export function roomProblems(
  r: ReplayResult,
  segments: readonly Segment[]
): string[] {
  const out: string[] = [];
  const senders = new Map<string, string>();
  for (const c of r.connections)
    for (const t of c.typed)
      if (t.text !== undefined) senders.set(t.text, c.addr);
  const away = unseen(r);
  for (const [room, inRoom] of byRoom(segments)) {
    checkOrder(room, inRoom, out);
    checkCounts(room, inRoom, away, out);
    checkLeaveLast(room, inRoom, senders, out);
  }
  checkApart(segments, out);
  return out;
}
