import type { ConnectionRef } from './connection-ref.js';
import type { LeaveReason } from './leave-reason.js';

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
  /** `client quit` by `/quit reason`: the reason, shown in the notice. [CHAT-CMD-QUIT] */
  quit?: string;
  /** Not an ending: the member moved to this room. [CHAT-CMD-JOIN] */
  movedTo?: string;
}

/** Who joins, beyond its address: its name, and whether it moved here. */
export interface JoinDetail {
  /** Its nickname, when it has one. [CHAT-NICK-1] */
  name?: string;
  /** True when it came from another room: it is greeted `Now in …`. */
  moved?: boolean;
}

/** Events the room actor receives from connections and from the daemon. */
export type RoomEvent =
  | ({
      type: 'room.join';
      connId: string;
      remote: string;
      ref: ConnectionRef;
    } & JoinDetail)
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
  | { type: 'room.shutdown' }
  /**
   * The lines said since the last flush go out here, at this point of the
   * order; the room actor sends it once per turn of the event loop.
   */
  | { type: 'room.flush' };

/**
 * The membership changes the room machine emits, in its order; `seq`
 * numbers them. The room actor puts them into the room's one order with the
 * chat messages and turns them into the RxJS broadcast. [CHAT-ORDER-1]
 */
export type RoomEmitted =
  | ({
      type: 'member.joined';
      seq: number;
      connId: string;
      remote: string;
      count: number;
    } & JoinDetail)
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
  | { type: 'room.closing'; seq: number; count: number }
  /**
   * Publish the lines said so far now. The lines themselves never pass
   * through the machine; it only puts their batch in its place in the order.
   */
  | { type: 'room.flushed' };

/** What the room emits about membership: everything but `room.flushed`. */
export type MembershipEmitted = Exclude<RoomEmitted, { type: 'room.flushed' }>;
