import type { ActorRef, Snapshot } from 'xstate';
import type { TransportEvent } from './connection-events.js';
import type { ConnectionRef } from './connection-ref.js';
import type { RoomEmitted, RoomEvent } from './room-events.js';

// Re-exported for the modules that import them from here; they live apart
// so that room-events.ts can use them without importing this file back.
export type { ConnectionRef } from './connection-ref.js';
export { LEAVE_REASONS, type LeaveReason } from './leave-reason.js';

/**
 * How a connection reached us: plain TCP, TLS, WebSocket, or an in-memory
 * pipe (the replay harness). Shown by the inspector and `/metrics`.
 */
export type TransportKind = 'tcp' | 'tls' | 'ws' | 'memory';

/**
 * What a connection actor may ask of its transport. src/transport implements
 * it; nothing outside the transport ever holds a socket.
 */
export interface ConnectionPort {
  /** The peer as the protocol shows it, e.g. `127.0.0.1:49448`. [CHAT-ADDR-1] */
  readonly remote: string;
  /** The transport it came over. */
  readonly transport: TransportKind;
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

/**
 * What a connection actor tells about its membership: which room's
 * broadcast its socket gets, and when the peer's lines go to that room.
 * src/actors implements it with one plain object per connection; it sends
 * what goes wrong back to `self` as `feed.error`, never throws into the room.
 */
export interface RoomLink {
  /**
   * Subscribes the member to `room`'s broadcast, ending the previous room's
   * subscription, then asks `room` to admit `self`: everything ordered
   * after the join reaches it.
   */
  enter(room: RoomRef, self: ConnectionRef): void;
  /** Hands each line the peer sends to `room`, in order, until `stopRelay`. */
  startRelay(room: RoomRef, self: ConnectionRef): void;
  /** No more lines go to the room. */
  stopRelay(): void;
}

/** A running room actor, as connections address it. */
export type RoomRef = ActorRef<Snapshot<unknown>, RoomEvent, RoomEmitted>;
