/**
 * The room checks of chat-chaos (`--rooms N`, N > 1), from the outside:
 *
 * - rooms: per room one order, each line once, counts ±1 and agreed
 *   (room-segments.ts), every marker reached its room [CHAT-ROOM-2];
 * - leak: no line said in one room reaches another room's member, nor a
 *   v1 observer in #lobby [CHAT-ROOM-2];
 * - private: a `/msg` reaches its target alone, once, or nobody when
 *   refused [CHAT-CMD-MSG];
 * - names: of several observers racing for one name exactly one gets it,
 *   the others `Error: nickname NAME is taken`; lines show their sender's
 *   name [CHAT-NICK-1];
 * - v1: a v1 observer, which never sends a command, never sees a
 *   command's line [CHAT-CMD-NOTICE].
 */
import { parseMemberLine, isCommandLine } from '../peers/member-line.js';
import { quote } from '../peers/observed.js';
import type { Transcript } from '../peers/types.js';
import {
  isLobbyText,
  isPrivateText,
  isRoomText,
  roomMarker,
  type RoomLog,
  type RoomMember
} from './room-log.js';
import { withServerAddresses } from './room-addresses.js';
import {
  checkSegmentCounts,
  compareSegments,
  evidenceLine,
  segmentsOf,
  type Segment
} from './room-segments.js';
import type { ChaosViolation } from './types.js';

function checkOrder(segments: readonly Segment[], out: ChaosViolation[]): void {
  for (const seg of segments) checkSegmentCounts(seg, out);
  const rooms = new Map<string, Segment[]>();
  for (const seg of segments) {
    if (seg.room === '#lobby') continue;
    rooms.set(seg.room, [...(rooms.get(seg.room) ?? []), seg]);
  }
  for (const list of rooms.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i] as Segment, list[j] as Segment];
        if (a.member !== b.member) compareSegments(a, b, out);
      }
    }
  }
}

/**
 * Collects violations of one kind per observer into one each: the first,
 * with how many more there were, so one leaking room reads as one finding.
 */
function grouped(out: ChaosViolation[]) {
  const groups = new Map<string, { v: ChaosViolation; more: number }>();
  return {
    add(group: string, v: ChaosViolation): void {
      const seen = groups.get(group);
      if (seen === undefined) groups.set(group, { v, more: 0 });
      else seen.more += 1;
    },
    flush(): void {
      for (const { v, more } of groups.values())
        out.push(
          more === 0
            ? v
            : { ...v, message: `${v.message} (and ${more} more like it)` }
        );
    }
  };
}

/** Room texts where they belong, once each, under their sender's name. */
function checkLines(
  segments: readonly Segment[],
  log: RoomLog,
  out: ChaosViolation[]
): void {
  const said = new Map(log.said.map((s) => [s.text, s]));
  const seen = new Map<string, number>();
  const found = grouped(out);
  for (const seg of segments) {
    const who = seg.member.addr;
    for (const e of seg.events) {
      if (e.kind !== 'message' || e.text === undefined) continue;
      const text = e.text;
      const evidence = [evidenceLine(seg.member, e.index)];
      const once = `${seg.member.index} ${text}`;
      seen.set(once, (seen.get(once) ?? 0) + 1);
      if (seen.get(once) === 2)
        found.add(`twice ${who}`, {
          invariant: 'rooms',
          message: `${who} got ${quote(text)} twice`,
          evidence
        });
      const source = said.get(text);
      if (isPrivateText(text)) {
        found.add(`private ${who}`, {
          invariant: 'private',
          message: `the private line ${quote(text)} was relayed to ${seg.room}, where ${who} got it`,
          evidence
        });
      } else if (source !== undefined && source.room !== seg.room) {
        found.add(`leak ${who}`, {
          invariant: 'leak',
          message: `${quote(text)} was said in ${source.room}, but reached ${who} in ${seg.room}`,
          evidence
        });
      } else if (seg.room !== '#lobby' && isLobbyText(text)) {
        found.add(`leak ${who}`, {
          invariant: 'leak',
          message: `${quote(text)} was said in #lobby, but reached ${who} in ${seg.room}`,
          evidence
        });
      } else if (
        source !== undefined &&
        e.own !== true &&
        e.speaker !== source.speaker
      ) {
        found.add(`name ${who}`, {
          invariant: 'names',
          message: `${quote(text)} reached ${who} from ${e.speaker ?? '?'}, but its sender was called ${source.speaker}`,
          evidence
        });
      }
    }
  }
  for (const s of log.said) {
    if (!seen.has(`${s.observer} ${s.text}`))
      found.add(`lost ${s.observer}`, {
        invariant: 'rooms',
        message: `room observer ${s.observer} said ${quote(s.text)} in ${s.room}, and it never came back to it`,
        evidence: []
      });
  }
  found.flush();
}

function checkMarkers(log: RoomLog, out: ChaosViolation[]): void {
  const last = (m: RoomMember): string => m.visits.at(-1)?.room ?? '#lobby';
  for (const a of log.members) {
    if (a.peer.destroyed && a.peer.lines.length === 0) continue;
    const missing = log.members.filter(
      (b) =>
        last(b) === last(a) &&
        !a.peer.lines.some((l) => l.endsWith(`] ${roomMarker(b.index)}`))
    );
    const first = missing[0];
    if (first !== undefined)
      out.push({
        invariant: 'rooms',
        message: `${a.addr} in ${last(a)} never received ${quote(roomMarker(first.index))}${missing.length > 1 ? ` (nor ${missing.length - 1} more markers)` : ''}`,
        evidence: a.peer.lines.slice(-3).map((l) => `${a.addr}: ${quote(l)}`)
      });
  }
}

function checkPrivates(log: RoomLog, out: ChaosViolation[]): void {
  const got = new Map<
    string,
    { member: RoomMember; index: number; from: string }[]
  >();
  for (const m of log.members) {
    m.peer.lines.forEach((raw, index) => {
      const line = parseMemberLine(raw);
      if (line.kind !== 'private' || line.way !== 'in') return;
      got.set(line.text, [
        ...(got.get(line.text) ?? []),
        { member: m, index, from: line.peer }
      ]);
    });
  }
  for (const p of log.privates) {
    const where = got.get(p.text) ?? [];
    const wrong = where.find((w) => w.member.index !== p.owner);
    const atOwner = where.filter((w) => w.member.index === p.owner).length;
    const expected = p.outcome === 'delivered' ? 1 : 0;
    const evidence = where.map((w) => evidenceLine(w.member, w.index));
    if (wrong !== undefined)
      out.push({
        invariant: 'private',
        message: `room observer ${p.from}'s private line ${quote(p.text)} to ${p.target} reached ${wrong.member.addr}, which is not ${p.target}`,
        evidence
      });
    else if (
      atOwner !== expected &&
      !(p.outcome === 'unanswered' && atOwner <= 1)
    )
      out.push({
        invariant: 'private',
        message: `room observer ${p.from}'s private line ${quote(p.text)} to ${p.target} (answered ${p.outcome}) reached it ${atOwner} times`,
        evidence
      });
    else if (where[0] !== undefined && where[0].from !== p.fromSpeaker)
      out.push({
        invariant: 'names',
        message: `${quote(p.text)} reached ${p.target} from ${where[0].from}, but its sender was called ${p.fromSpeaker}`,
        evidence
      });
  }
}

function checkRace(log: RoomLog, out: ChaosViolation[]): void {
  const race = log.race;
  if (race === null) return;
  const won = race.racers.filter((r) => r.outcome === 'won');
  const odd = race.racers.filter(
    (r) => r.outcome !== 'won' && r.outcome !== 'taken'
  );
  if (won.length === 1 && odd.length === 0) return;
  const addr = (i: number): string => log.members[i]?.addr ?? `observer ${i}`;
  out.push({
    invariant: 'names',
    message: `${race.racers.length} observers raced for /nick ${race.name}: ${won.length} got it${odd.length > 0 ? `, ${odd.length} got neither it nor "nickname ${race.name} is taken"` : ''}`,
    evidence: race.racers.map(
      (r) =>
        `${addr(r.observer)}: ${r.line === '' ? '(no answer)' : quote(r.line)}`
    )
  });
}

/** A v1 observer sees no command's line and no room's text. */
function checkV1(lobby: readonly Transcript[], out: ChaosViolation[]): void {
  for (const t of lobby) {
    const bad = t.lines.findIndex(
      (l) => isCommandLine(l) || / (?:r\d+\.\d+|p\d+\.\d+|settle r\d+)$/.test(l)
    );
    const line = t.lines[bad];
    if (line === undefined) continue;
    const text = line.slice(line.indexOf('] ') + 2);
    out.push({
      invariant:
        line.startsWith('[') && (isRoomText(text) || isPrivateText(text))
          ? 'leak'
          : 'v1',
      message: `the v1 observer ${t.addr} in #lobby received ${quote(line)} at line ${bad + 1}`,
      evidence: [`${t.addr} line ${bad + 1}: ${quote(line)}`]
    });
  }
}

/**
 * Every room violation in a run: the room observers' `actedLog` (recorded
 * under their local addresses, read under the server's), and `lobby`, the
 * v1 observers' transcripts.
 */
export function checkRooms(
  actedLog: RoomLog,
  lobby: readonly Transcript[]
): ChaosViolation[] {
  // Behind a balancer the rooms show other addresses than our sockets'.
  const log = withServerAddresses(actedLog);
  const out: ChaosViolation[] = [...log.violations];
  const segments = log.members.flatMap((m) => segmentsOf(m, out));
  checkLines(segments, log, out);
  checkOrder(segments, out);
  checkMarkers(log, out);
  checkPrivates(log, out);
  checkRace(log, out);
  checkV1(lobby, out);
  return out;
}
