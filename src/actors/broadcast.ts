import { filter, map, skipWhile, takeWhile, type OperatorFunction } from 'rxjs';
import type { RoomEmitted } from '../machines/room-events.js';
import {
  SHUTDOWN_NOTICE,
  formatGreeting,
  formatJoinNotice,
  formatLeaveNotice,
  formatOwn,
  formatRelayed
} from '../protocol/format.js';

/**
 * One room event as it travels to the members: its lines are encoded once,
 * here, not once per recipient. `own` is for the member the event is about,
 * `others` for everyone else; `null` means that side gets nothing.
 */
export interface Broadcast {
  readonly seq: number;
  readonly kind: 'join' | 'message' | 'leave' | 'closing';
  /** The member the event is about; `null` for room-wide events. */
  readonly connId: string | null;
  readonly own: Buffer | null;
  readonly others: Buffer | null;
}

function line(text: string): Buffer {
  return Buffer.from(`${text}\n`, 'utf8');
}

/** Encodes what the room emitted into the lines each side receives. */
export function toBroadcast(emitted: RoomEmitted): Broadcast {
  switch (emitted.type) {
    case 'member.joined':
      return {
        seq: emitted.seq,
        kind: 'join',
        connId: emitted.connId,
        own: line(formatGreeting(emitted.count)),
        others: line(formatJoinNotice(emitted.remote, emitted.count))
      };
    case 'member.said':
      return {
        seq: emitted.seq,
        kind: 'message',
        connId: emitted.connId,
        own: line(formatOwn(emitted.text)),
        others: line(formatRelayed(emitted.remote, emitted.text))
      };
    case 'member.left':
      return {
        seq: emitted.seq,
        kind: 'leave',
        connId: emitted.connId,
        own: null,
        others: emitted.announced
          ? line(formatLeaveNotice(emitted.remote, emitted.count))
          : null
      };
    case 'room.closing':
      return {
        seq: emitted.seq,
        kind: 'closing',
        connId: null,
        own: null,
        others: line(SHUTDOWN_NOTICE)
      };
  }
}

function isOwnJoin(connId: string, b: Broadcast): boolean {
  return b.kind === 'join' && b.connId === connId;
}

function isOwnLeave(connId: string, b: Broadcast): boolean {
  return b.kind === 'leave' && b.connId === connId;
}

/**
 * The lines one member receives: from its own join (its greeting, first
 * [CHAT-ORDER-2]) up to its own leave, each exactly once, in room order.
 * The subscriber may start before the join is ordered; what came earlier is
 * skipped, so no event after the join can be missed.
 */
export function feedFor(connId: string): OperatorFunction<Broadcast, Buffer> {
  return (source) =>
    source.pipe(
      skipWhile((b) => !isOwnJoin(connId, b)),
      takeWhile((b) => !isOwnLeave(connId, b)),
      map((b) => (b.connId === connId ? b.own : b.others)),
      filter((bytes): bytes is Buffer => bytes !== null)
    );
}
