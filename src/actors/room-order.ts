import type { LeaveDetail } from '../machines/room-events.js';

/**
 * What the room puts into its one order: a member's join, line, leave,
 * rename or `/me`, as the room decided it (the count is the room's own: the
 * order may replace it with its own, a cluster's count). `name` is the
 * member's nickname when it has one, as of that entry, so a node that does
 * not hold the member names it as the room does. [CHAT-NICK-1]
 */
export type OrderEntry =
  | { type: 'join'; conn: string; remote: string; name?: string; count: number }
  | { type: 'line'; conn: string; remote: string; name?: string; text: string }
  | {
      type: 'leave';
      conn: string;
      remote: string;
      name?: string;
      count: number;
      reason: string;
      detail?: LeaveDetail;
    }
  /** `OLD is now known as NAME`; `old` is absent when it was anonymous. [CHAT-CMD-NICK] */
  | { type: 'rename'; conn: string; remote: string; name: string; old?: string }
  /** `* NAME text`. [CHAT-CMD-ME] */
  | { type: 'act'; conn: string; remote: string; name?: string; text: string };

/**
 * One entry as it comes back from the order, in the order. `elsewhere` is
 * true for an entry another cluster node appended (its `conn` is not one of
 * this room's connections); `node` names the node that appended it, when
 * there are several. `lost` says the order lost that many entries here.
 */
export type OrderedEntry =
  | (OrderEntry & { elsewhere?: boolean; node?: string })
  | { type: 'lost'; entries: number };

/** How an order hands entries back to its room and speaks to its members. */
export interface OrderSink {
  /** The next entry of the one order. */
  deliver(entry: OrderedEntry): void;
  /**
   * A line for some of the room's members only, about the order itself (it
   * is out of reach, a line was not sent); it reaches them at the end of
   * the turn, even before their join came back.
   */
  tell(to: Iterable<string>, text: string): void;
  /**
   * The leaves appended and not back yet will not come back soon (the
   * order is out of reach): each leaver gets what it has now and goes.
   */
  releaseLeaves(): void;
}

/**
 * Who puts the room's items into its one order and how they come back. The
 * room appends every join, line and leave it decides and builds everything
 * it sends from what comes back, so it never knows whether the order is this
 * process's alone (`localOrder`) or shared by a cluster (src/cluster).
 */
export interface RoomOrder {
  /** Names the cluster node in the room's log records; absent alone. */
  readonly node?: string;
  /** Called once by the room, before anything is appended. */
  start(sink: OrderSink): void;
  /**
   * Appends one entry; it comes back through `deliver`, in the order. False
   * when it will not come back: a line the order refused (it told the
   * author why), or a leave it cannot order now (the leaver goes at once).
   */
  append(entry: OrderEntry): boolean;
  /** False while the order cannot take new members: connections are refused. */
  accepting(): boolean;
  /** Sends what waits and leaves the order (a node retires); then `stop`. */
  close(): Promise<void>;
  /** Stops at once. Idempotent. */
  stop(): void;
  /** The room's members wherever they are, when the order knows more than this process. */
  who?(): Promise<string[]>;
}

/**
 * The order of one process: an entry is in the order the moment it is
 * appended, and comes back at once, in the same turn, with the room's count.
 */
export function localOrder(): RoomOrder {
  let sink: OrderSink | null = null;
  return {
    start: (s) => {
      sink = s;
    },
    append: (entry) => {
      sink?.deliver(entry);
      return true;
    },
    accepting: () => true,
    close: () => Promise.resolve(),
    stop: () => undefined
  };
}
