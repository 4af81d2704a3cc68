import type { ConnectionRef, LeaveReason } from './types.js';

/** Events the room actor receives from connections and from the daemon. */
export type RoomEvent =
  | { type: 'room.join'; connId: string; remote: string; ref: ConnectionRef }
  | { type: 'room.say'; connId: string; text: string }
  | {
      type: 'room.leave';
      connId: string;
      remote: string;
      reason: LeaveReason;
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
      /** False while shutting down: members then leave silently. [CHAT-SHUT-2] */
      announced: boolean;
    }
  | { type: 'room.closing'; seq: number; count: number };
