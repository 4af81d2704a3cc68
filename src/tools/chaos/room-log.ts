/**
 * What room observers did, as chat-chaos itself knows it: where each one
 * was when it spoke, under which name, whom it whispered to and what the
 * server answered. The room checks (room-checks.ts) hold what observers
 * received against this. Each observer acts one step at a time and waits
 * for each command's answer, so this log is exact, not guessed.
 */
import type { Peer } from '../peers/peer.js';
import type { ChaosViolation, RoomActivity } from './types.js';

/** One stay of an observer in a room, from its `Now in` line to its next. */
export interface RoomVisit {
  readonly room: string;
  /** How the room named it when it entered: `NAME (ADDR)` or ADDR. */
  readonly labelIn: string;
  /** How the room named it when it left (it may have renamed meanwhile). */
  labelOut: string;
}

/** One room observer. */
export interface RoomMember {
  readonly index: number;
  readonly peer: Peer;
  /**
   * Its ADDR [CHAT-ADDR-1]: while it acts, its local address; for the
   * checks, as the server shows it (room-addresses.ts).
   */
  readonly addr: string;
  /** The names the server granted it, in order (names are never reused in a run). */
  readonly names: string[];
  /** Its visits, one per `Now in` line it got, in order. */
  readonly visits: RoomVisit[];
  /** True for an observer that never takes a name. */
  readonly anonymous: boolean;
}

/** A chat line a room observer said. */
export interface SaidLine {
  /** Unique in the run (`r3.17`, `settle r3`). */
  readonly text: string;
  readonly observer: number;
  /** The room it was said in. */
  readonly room: string;
  /** How the others must see its sender: its name, or its ADDR. */
  readonly speaker: string;
}

/** A `/msg` a room observer sent, and what it was answered. */
export interface PrivateLine {
  /** Unique in the run (`p3.4`). */
  readonly text: string;
  readonly from: number;
  /** How the target must see its sender: its name, or its ADDR. */
  readonly fromSpeaker: string;
  readonly target: string;
  /** The observer that holds `target` (names are never reused in a run). */
  readonly owner: number;
  outcome: 'delivered' | 'refused' | 'unanswered';
}

/** One racer of the `/nick SAME` race and what it got. */
export interface Racer {
  readonly observer: number;
  readonly outcome: 'won' | 'taken' | 'other' | 'unanswered';
  /** The answer line, or '' when none came. */
  readonly line: string;
}

/** Several observers racing for one name at once. [CHAT-NICK-1] */
export interface NickRace {
  readonly name: string;
  readonly racers: Racer[];
}

/** Everything the room checks need from the run. */
export interface RoomLog {
  readonly members: readonly RoomMember[];
  readonly said: readonly SaidLine[];
  readonly privates: readonly PrivateLine[];
  readonly race: NickRace | null;
  /** What went wrong while acting (a command never answered). */
  readonly violations: readonly ChaosViolation[];
  /** Renames the server granted, the first names and the race included. */
  readonly renames: number;
}

/** Sums up `log` for the report. */
export function roomActivity(log: RoomLog, rooms: number): RoomActivity {
  const racers = log.race?.racers ?? [];
  return {
    rooms,
    observers: log.members.length,
    lines: log.said.length,
    moves: log.members.reduce((n, m) => n + m.visits.length, 0),
    renames: log.renames,
    privates: log.privates.filter((p) => p.outcome === 'delivered').length,
    racers: racers.length,
    winners: racers.filter((r) => r.outcome === 'won').length
  };
}

/** The chat text of room observer `i`'s line `n`. */
export function roomText(i: number, n: number): string {
  return `r${i}.${n}`;
}

/** The text of room observer `i`'s private line `n`. */
export function privateText(i: number, n: number): string {
  return `p${i}.${n}`;
}

/** The marker room observer `i` sends in its last room to settle the run. */
export function roomMarker(i: number): string {
  return `settle r${i}`;
}

/** True for a text a room observer says in a room (never in #lobby). */
export function isRoomText(text: string): boolean {
  return /^(?:r\d+\.\d+|settle r\d+)$/.test(text);
}

/** True for a private text (never relayed to a room). */
export function isPrivateText(text: string): boolean {
  return /^p\d+\.\d+$/.test(text);
}

/** True for a text said in #lobby: a v1 observer's or a faulty client's. */
export function isLobbyText(text: string): boolean {
  return /^(?:o\d+\.\d+|settle o\d+|f\d+\.\d+)(?: |$)/.test(text);
}
