/**
 * What the server calls each room observer. Behind a proxy or a load
 * balancer (a cluster of our daemons) the server shows the balancer's
 * address, not the socket's local one; as lobby observers do
 * (addresses.ts), room observers learn theirs from what the rooms showed
 * [CHAT-ADDR-1]:
 *
 * - `ADDR is now known as NAME`, for a NAME it took (its own answer to its
 *   first `/nick`, and what its room saw);
 * - `NAME (ADDR)` in a join or leave notice, for a NAME it held;
 * - `[ADDR] r3.17` and `[ADDR -> you] p3.4`, lines it said while anonymous,
 *   as other room observers received them.
 *
 * The address most of these show wins, so one misattribution by the server
 * does not blind the checks. While acting, a room observer records itself
 * under its local address; `withServerAddresses` rewrites those records
 * once the run is over.
 */
import { parseMemberLine } from '../peers/member-line.js';
import type { RoomLog, RoomMember, RoomVisit } from './room-log.js';

/** What the rooms call the room observers. */
export interface MemberAddresses {
  /** Each room observer's ADDR as the server shows it, by index. */
  readonly addrs: readonly string[];
  /**
   * True when the server shows most observers that were heard under their
   * own local address: then every one is named by its local address (the
   * strictest checks), as addresses.ts does for lobby observers.
   */
  readonly direct: boolean;
}

/** True for a speaker that is an ADDR, not a NAME (names start with a letter). */
function isAddr(speaker: string): boolean {
  return /^(?:\d|\[)/.test(speaker);
}

/** `NAME (ADDR)` → [NAME, ADDR]; an anonymous label → null. */
function splitLabel(label: string): [string, string] | null {
  const m = /^(\S+) \((.+)\)$/.exec(label);
  return m === null ? null : [m[1] ?? '', m[2] ?? ''];
}

/** Counts votes per observer for the ADDR the server showed it under. */
function tally() {
  const votes = new Map<number, Map<string, number>>();
  return {
    vote(owner: number | undefined, addr: string): void {
      if (owner === undefined) return;
      const mine = votes.get(owner) ?? new Map<string, number>();
      mine.set(addr, (mine.get(addr) ?? 0) + 1);
      votes.set(owner, mine);
    },
    /** The most shown ADDR of each observer heard (the first on a tie). */
    winners(): Map<number, string> {
      const out = new Map<number, string>();
      for (const [owner, mine] of votes) {
        const best = [...mine].reduce((a, b) => (b[1] > a[1] ? b : a));
        out.set(owner, best[0]);
      }
      return out;
    }
  };
}

/**
 * Learns every room observer's ADDR from the transcripts in `log`.
 * Without proof otherwise (an observer nobody heard) the local address
 * stands: the checks then have nothing under its ADDR to hold against it.
 */
export function learnMemberAddresses(log: RoomLog): MemberAddresses {
  const nameOwner = new Map<string, number>();
  for (const m of log.members)
    for (const name of m.names) nameOwner.set(name.toLowerCase(), m.index);
  const saidBy = new Map(log.said.map((s) => [s.text, s.observer]));
  const sentBy = new Map(log.privates.map((p) => [p.text, p.from]));
  const votes = tally();
  const byName = (name: string): number | undefined =>
    nameOwner.get(name.toLowerCase());
  for (const m of log.members) {
    for (const raw of m.peer.lines) {
      const line = parseMemberLine(raw);
      if (line.kind === 'rename' && isAddr(line.old))
        votes.vote(byName(line.name), line.old);
      else if (line.kind === 'join' || line.kind === 'leave') {
        const split = splitLabel(line.label);
        if (split !== null) votes.vote(byName(split[0]), split[1]);
      } else if (line.kind === 'message' && !line.own && isAddr(line.speaker))
        votes.vote(saidBy.get(line.text), line.speaker);
      else if (
        line.kind === 'private' &&
        line.way === 'in' &&
        isAddr(line.peer)
      )
        votes.vote(sentBy.get(line.text), line.peer);
    }
  }
  const heard = votes.winners();
  const local = log.members.map((m) => m.addr);
  const same = [...heard].filter(([i, addr]) => local[i] === addr).length;
  const direct = heard.size === 0 || same * 2 > heard.size;
  return {
    addrs: direct ? local : local.map((addr, i) => heard.get(i) ?? addr),
    direct
  };
}

/** `label` of a member recorded under `from`, shown under `to` instead. */
function relabel(label: string, from: string, to: string): string {
  if (label === from) return to;
  const split = splitLabel(label);
  return split !== null && split[1] === from ? `${split[0]} (${to})` : label;
}

/**
 * `log` with every room observer's records (its ADDR, the labels of its
 * visits, the speaker of its lines and private lines while anonymous)
 * under the ADDR the server showed for it (learnMemberAddresses).
 */
export function withServerAddresses(log: RoomLog): RoomLog {
  const { addrs, direct } = learnMemberAddresses(log);
  if (direct) return log;
  const local = log.members.map((m) => m.addr);
  const shown = (i: number): string => addrs[i] ?? local[i] ?? '';
  const speaker = (i: number, s: string): string =>
    s === local[i] ? shown(i) : s;
  const members = log.members.map((m): RoomMember => ({
    ...m,
    addr: shown(m.index),
    visits: m.visits.map((v): RoomVisit => ({
      room: v.room,
      labelIn: relabel(v.labelIn, m.addr, shown(m.index)),
      labelOut: relabel(v.labelOut, m.addr, shown(m.index))
    }))
  }));
  return {
    ...log,
    members,
    said: log.said.map((s) => ({
      ...s,
      speaker: speaker(s.observer, s.speaker)
    })),
    privates: log.privates.map((p) => ({
      ...p,
      fromSpeaker: speaker(p.from, p.fromSpeaker)
    }))
  };
}
