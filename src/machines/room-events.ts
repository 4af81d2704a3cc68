import type { ConnectionRef, LeaveReason } from './types.js';

/**
 * What the connection knew about its ending, for the one log record of the
 * leave: how a slow consumer proved one, the idle timeout that ran out, the
 * socket's error code. The room passes it on untouched.
 */
export interface LeaveDetail {
  /** `slow consumer`: its send queue overflowed, or made no progress. */
  why?: 'overflow' | 'stall';
  /** `slow consumer`: bytes it was owed then. */
  queuedBytes?: number;
  /** `idle timeout`: the timeout, in milliseconds. */
  idleMs?: number;
  /** `socket error`: Node's error code (`ECONNRESET`, …). */
  code?: string;
}

/** Events the room actor receives from connections and from the daemon. */
export type RoomEvent =
  | { type: 'room.join'; connId: string; remote: string; ref: ConnectionRef }
  | { type: 'room.say'; connId: string; text: string }
  | {
      type: 'room.leave';
      connId: string;
      remote: string;
      reason: LeaveReason;
      /** Absent when there is nothing to add to the reason. */
      detail?: LeaveDetail;
      /** Who to confirm to; absent when the daemon leaves for a failed actor. */
      ref?: ConnectionRef;
    }
  | { type: 'room.shutdown' };

/**
 * What the room emits, in its one total order; `seq` numbers that order.
 * The room actor turns these into the RxJS broadcast stream. [CHAT-ORDER-1]
 */
export type RoomEmitted =
  | {
      type: 'member.joined';
      seq: number;
      connId: string;
      remote: string;
      count: number;
    }
  | {
      type: 'member.said';
      seq: number;
      connId: string;
      remote: string;
      text: string;
    }
  | {
      type: 'member.left';
      seq: number;
      connId: string;
      remote: string;
      count: number;
      reason: LeaveReason;
      /** The leave request's detail, when it had one. */
      detail?: LeaveDetail;
      /** False while shutting down: members then leave silently. [CHAT-SHUT-2] */
      announced: boolean;
    }
  | { type: 'room.closing'; seq: number; count: number };
