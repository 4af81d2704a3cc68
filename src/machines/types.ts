import type { ActorRef, Snapshot } from 'xstate';
import type { ConnectionEvent, TransportEvent } from './connection-events.js';
import type { RoomEmitted, RoomEvent } from './room-events.js';

/**
 * Why a member left. Leaving is not an error; every way out has one of these.
 * See docs/protocol.md, "Leave reasons".
 */
export type LeaveReason =
  | 'client quit'
  | 'socket error'
  | 'socket closed'
  | 'server shutdown'
  | 'slow consumer'
  | 'idle timeout'
  | 'chat unavailable'
  | 'internal error';

/** Every leave reason, in the order docs/protocol.md lists them. */
export const LEAVE_REASONS: readonly LeaveReason[] = [
  'client quit',
  'socket error',
  'socket closed',
  'server shutdown',
  'slow consumer',
  'idle timeout',
  'chat unavailable',
  'internal error'
];

/**
 * What a connection actor may ask of its transport. src/transport implements
 * it; nothing outside the transport ever holds a socket.
 */
export interface ConnectionPort {
  /** The peer as the protocol shows it, e.g. `127.0.0.1:49448`. [CHAT-ADDR-1] */
  readonly remote: string;
  /**
   * Queues bytes for the peer (`lines` of them, for the counters; default
   * 1); writes in one event-loop turn go out together.
   */
  write(data: Buffer | string, lines?: number): void;
  /** Bytes owed to the peer and not yet flushed to the kernel. */
  readonly queuedBytes: number;
  /** Flushes what is queued, then the `farewell` line if given, then closes our side. */
  end(farewell?: string): void;
  /** Closes at once, dropping what is queued; no events are delivered after it. */
  destroy(): void;
  /** Stops reading from the peer; TCP holds what it sends meanwhile. */
  pauseInput(): void;
  /** Reads from the peer again. */
  resumeInput(): void;
  /** Starts delivering transport events to `sink`; returns the detach function. */
  attach(sink: (event: TransportEvent) => void): () => void;
  /**
   * Starts handing each complete, decoded, sanitised, non-blank line
   * [CHAT-IN-1..3] to `sink`, in order with the events; returns the detach
   * function. Lines read before the first `relay` wait for it; lines read
   * after a detach are dropped (the connection is leaving).
   */
  relay(sink: (text: string) => void): () => void;
}

/** A running connection actor, as the room addresses it. */
export type ConnectionRef = ActorRef<Snapshot<unknown>, ConnectionEvent>;

/** A running room actor, as connections address it. */
export type RoomRef = ActorRef<Snapshot<unknown>, RoomEvent, RoomEmitted>;
