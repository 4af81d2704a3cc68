import type { CommandInput } from '../protocol/command.js';

/**
 * Events a connection actor receives. The transport produces the `tcp.*`
 * events; the room answers with `room.*`; the daemon sends `server.*`.
 */

/**
 * Events the transport turns socket activity into. Chat lines are not among
 * them: they are data, handed to the room by the relay the machine runs
 * while `online` (`ConnectionPort.relay`), never an event of the machine.
 */
export type TransportEvent =
  /** A line exceeded the limit and was discarded. [CHAT-IN-4] */
  | { type: 'tcp.oversize'; limit: number }
  /** The peer closed its sending side (FIN). */
  | { type: 'tcp.end' }
  /** The socket failed; `code` is Node's error code (`ECONNRESET`, …). */
  | { type: 'tcp.error'; code: string }
  /** The socket is fully closed. */
  | { type: 'tcp.close' }
  /**
   * The peer does not read what we send: its send queue overflowed, or made
   * no progress for the stall timeout. What was queued is dropped. [CHAT-SLOW-1]
   */
  | { type: 'tcp.slow'; why: 'overflow' | 'stall'; queuedBytes: number }
  /** The peer sent nothing for the idle timeout. [CHAT-IDLE-1] */
  | { type: 'tcp.idle'; idleMs: number };

/** The room's answers to a connection's requests. */
export type RoomReply =
  { type: 'room.joined' } | { type: 'room.rejected' } | { type: 'room.left' };

/** What the daemon itself tells a connection. */
export type ServerEvent =
  | { type: 'server.shutdown' }
  /** A cluster node lost Redis for longer than `graceMs`. [CLUSTER-2] */
  | { type: 'server.unavailable'; graceMs: number };

/** The room feed could not deliver to this connection (a fault in its own handling). */
export type FeedEvent = { type: 'feed.error'; message: string };

/**
 * The commands that change a member's lifecycle, parsed by the protocol
 * layer and already checked by the relay (the room exists or may be
 * created, it is not the current one): `/join` and `/part` move
 * ([CHAT-CMD-JOIN]; `/part` arrives as a `cmd.join` of `#lobby`), `/quit`
 * leaves [CHAT-CMD-QUIT]. The other commands change no state of the
 * connection; the relay answers them itself.
 */
export type CommandEvent = Extract<
  CommandInput,
  { type: 'cmd.join' } | { type: 'cmd.quit' }
>;

/** Every event the connection machine accepts. */
export type ConnectionEvent =
  TransportEvent | RoomReply | ServerEvent | FeedEvent | CommandEvent;
