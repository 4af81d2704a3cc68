import type { InspectionEvent } from 'xstate';
import {
  createConnectionLogic,
  startConnection,
  type ConnectionLogic,
  type StartConnectionOptions
} from '../actors/connection-actor.js';
import type { Commands } from '../actors/commands/commands.js';
import type { Room } from '../actors/room-actor.js';
import type { ServerEvent } from '../machines/connection-events.js';
import type { ConnectionActor } from '../machines/connection-machine.js';
import {
  LEAVE_REASONS,
  type ConnectionPort,
  type LeaveReason
} from '../machines/types.js';
import type { Logger } from './logger.js';

/** What the connections of one room need. */
export interface ConnectionRegistryOptions<P extends ConnectionPort> {
  /** The lobby: where every connection starts. */
  room: Room;
  /**
   * Protocol v2's commands, rooms and names; without them every line is
   * chat in the lobby (protocol v1).
   */
  commands?: Commands | undefined;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /** Drives every connection actor's timers; replay passes its virtual clock. */
  clock?: StartConnectionOptions['clock'];
  /** Wraps each port before its actor sees it (`DaemonOptions.wrapPort`). */
  wrapPort?:
    ((port: ConnectionPort, connId: string) => ConnectionPort) | undefined;
  /** Called with each connection's number and port, before its actor starts. */
  onAccept?: ((connId: string, port: P) => void) | undefined;
  /** Called once per connection when it is done, after it was counted. */
  onDone?: ((connId: string, reason: LeaveReason) => void) | undefined;
  /**
   * Where the live actors are kept, for a caller that must reach them
   * before the registry exists; a new map by default.
   */
  actors?: ConnectionActors;
}

/** The live connection actors, by connection id. */
export type ConnectionActors = Map<string, ConnectionActor>;

/**
 * The connections of one room, as the daemon and the replay server both run
 * them: each accepted port gets the next number (`c1`, `c2`, …) and a
 * standalone connection actor; a finished actor is forgotten and its reason
 * counted; `shutdown` stops accepting and tells the room and every
 * connection. How the ports' bytes are drained afterwards is the
 * transport's business.
 *
 * @example
 * const connections = new ConnectionRegistry({ room, logger });
 * const connId = connections.accept(port); // 'c1', or null once shut down
 * connections.shutdown();
 */
export class ConnectionRegistry<P extends ConnectionPort = ConnectionPort> {
  readonly #options: ConnectionRegistryOptions<P>;
  readonly #logic: ConnectionLogic;
  readonly #actors: Map<string, ConnectionActor>;
  readonly #disconnects: Record<LeaveReason, number>;
  #accepted = 0;
  #accepting = true;
  readonly #forget = (connId: string, reason: LeaveReason): void => {
    this.#actors.delete(connId);
    this.#options.commands?.forget(connId);
    this.#disconnects[reason] += 1;
    this.#options.onDone?.(connId, reason);
  };

  constructor(options: ConnectionRegistryOptions<P>) {
    this.#options = options;
    // Provided once per room, not per connection: `.provide()` rebuilds the machine.
    this.#logic = createConnectionLogic(options.room, options.commands);
    this.#actors = options.actors ?? new Map<string, ConnectionActor>();
    this.#disconnects = Object.fromEntries(
      LEAVE_REASONS.map((reason) => [reason, 0])
    ) as Record<LeaveReason, number>;
  }

  /**
   * Numbers `port` and starts its connection actor; returns its `connId`,
   * or null once shutdown began (the port is then the caller's to close).
   */
  accept(port: P): string | null {
    if (!this.#accepting) return null;
    this.#accepted += 1;
    const connId = `c${this.#accepted}`;
    const { room, logger, inspect, clock, wrapPort, onAccept } = this.#options;
    onAccept?.(connId, port);
    const actor = startConnection({
      logic: this.#logic,
      room,
      connId,
      port: wrapPort ? wrapPort(port, connId) : port,
      logger,
      inspect,
      ...(clock && { clock }),
      onDone: this.#forget
    });
    // An actor that failed during start has already been forgotten.
    if (actor.getSnapshot().status === 'active')
      this.#actors.set(connId, actor);
    return connId;
  }

  /** False once shutdown began. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** Connections accepted so far. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Live connection actors right now. */
  get size(): number {
    return this.#actors.size;
  }

  /** Connections ended so far, by reason (a copy). */
  disconnects(): Record<LeaveReason, number> {
    return { ...this.#disconnects };
  }

  /** Sends `event` to every live connection. */
  sendAll(event: ServerEvent): void {
    // A copy: an actor may finish, and be forgotten, while it is told.
    for (const actor of [...this.#actors.values()]) actor.send(event);
  }

  /**
   * Stops accepting, then tells the room and every connection that the
   * server is shutting down (`Server shutting down`, flush, our FIN).
   * Idempotent.
   */
  shutdown(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    const { room, commands } = this.#options;
    for (const each of commands?.rooms.all() ?? [room])
      each.ref.send({ type: 'room.shutdown' });
    this.sendAll({ type: 'server.shutdown' });
  }
}
