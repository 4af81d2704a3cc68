import { createCommands } from '../../actors/commands/commands.js';
import { localDirectory, roomNowOf } from '../../actors/commands/directory.js';
import { createNameRegistry } from '../../actors/name-registry.js';
import { createRoom, type Room } from '../../actors/room-actor.js';
import { createRoomRegistry } from '../../actors/room-registry.js';
import {
  ConnectionRegistry,
  type ConnectionActors
} from '../../app/connection-registry.js';
import type { Limits } from '../../app/limits.js';
import type { Logger } from '../../app/logger.js';
import type { ConnectionPort, LeaveReason } from '../../machines/types.js';
import { LOBBY } from '../../protocol/constants.js';
import { MemoryConnection } from '../../transport/memory-connection.js';
import type { VirtualClock } from './scheduler.js';

/** Gauges and counters of a replayed daemon, as `DaemonStats` has them. */
export interface ReplayStats {
  /** Virtual milliseconds since the start. */
  now: number;
  /** Live actors: one per connection, plus the room while it runs. */
  actors: number;
  /** Live connection actors. */
  connections: number;
  /** Membership of every room. */
  members: number;
  /** Live subscriptions to the rooms' broadcasts. */
  feeds: number;
  /** Rooms running, `#lobby` included. */
  rooms: number;
  /** Nicknames held. */
  names: number;
  /** Connections not yet closed on both sides (the daemon's `sockets`). */
  open: number;
  /** Timers armed on the virtual clock: XState's and the transport's. */
  pendingTimers: number;
  accepted: number;
  disconnects: Record<LeaveReason, number>;
  /** Every value the lobby's `count$` took, in order. */
  counts: number[];
}

/** What a memory server needs. */
export interface MemoryServerOptions {
  limits: Limits;
  clock: VirtualClock;
  logger: Logger;
  wrapPort?:
    ((port: ConnectionPort, connId: string) => ConnectionPort) | undefined;
}

/** The daemon of src/app/daemon.ts with `MemoryConnection`s for sockets. */
export interface MemoryServer {
  /** Accepts a connection from `remote`; null once shutting down. */
  accept(remote: string): { connId: string; conn: MemoryConnection } | null;
  stats(): ReplayStats;
  /** Faults of the room actor itself (daemon faults), as messages. */
  readonly faults: readonly string[];
  /** The daemon's graceful shutdown, on virtual time. Idempotent. */
  shutdown(): void;
  /** Stops every room and the names; call last. */
  stop(): void;
}

/**
 * The daemon's own composition minus the sockets: the lobby, the room and
 * name registries and protocol v2's commands wired as `startDaemon` wires
 * them, and the `ConnectionRegistry` it uses (numbering, one standalone
 * connection actor per accepted `MemoryConnection`, disconnect counts, the
 * shutdown announcement), with every timer on `clock`. Each
 * `MemoryConnection` runs the daemon's `InputGate` and `SendLimits`.
 *
 * One difference: the room registry retires an empty room on a microtask,
 * and a replay never yields, so within one replay an emptied room stays
 * open (empty) and is reused by its next joiner; nothing on the wire shows
 * it but the spelling of its name, which is the first creator's.
 */
export function createMemoryServer(options: MemoryServerOptions): MemoryServer {
  const { limits, clock, logger, wrapPort } = options;
  const faults: string[] = [];
  const onFault = (err: unknown): void => void faults.push(String(err));
  const startRoom = (name: string): Room =>
    createRoom({
      name,
      logger,
      onFault,
      // A turn's batch goes out on virtual time too, so replays stay exact.
      // Notices do not wait here: the delay saves writes, it means nothing.
      scheduler: {
        set: (flush) => clock.setTimeout(flush, 0),
        clear: (handle) => clock.clearTimeout(handle)
      }
    });
  const room = startRoom(LOBBY);
  const rooms = createRoomRegistry({
    lobby: room,
    create: startRoom,
    now: () => clock.now()
  });
  const names = createNameRegistry({ onFault });
  const actors: ConnectionActors = new Map();
  const directory = localDirectory(rooms, names, roomNowOf(actors, rooms));
  const commands = createCommands({ rooms, names, directory, logger });
  const sum = (count: (each: Room) => number): number =>
    rooms.all().reduce((n, each) => n + count(each), 0);
  const counts: number[] = [];
  const countSubscription = room.count$.subscribe((n) => counts.push(n));
  const connections = new ConnectionRegistry<MemoryConnection>({
    room,
    commands,
    actors,
    logger,
    clock,
    wrapPort
  });
  const sockets: MemoryConnection[] = [];
  const openSockets = (): MemoryConnection[] => sockets.filter((s) => s.isOpen);

  return {
    accept(remote) {
      if (!connections.accepting) return null;
      const conn = new MemoryConnection({ remote, limits, timers: clock });
      sockets.push(conn);
      const connId = connections.accept(conn);
      return connId === null ? null : { connId, conn };
    },
    stats: () => ({
      now: clock.now(),
      actors: connections.size + sum((each) => (each.isRunning() ? 1 : 0)),
      connections: connections.size,
      members: sum((each) => each.memberCount()),
      feeds: sum((each) => each.feedCount()),
      rooms: rooms.all().length,
      names: names.size(),
      open: openSockets().length,
      pendingTimers: clock.pendingTimers,
      accepted: connections.accepted,
      disconnects: connections.disconnects(),
      counts: [...counts]
    }),
    faults,
    shutdown() {
      if (!connections.accepting) return;
      connections.shutdown();
      // The daemon's drain on virtual time: transport.finished(timeout),
      // then resetUnfinished and closeAll (coarser: it waits the whole
      // timeout if any connection is open).
      if (openSockets().length > 0) clock.advance(limits.shutdownTimeoutMs);
      for (const socket of openSockets()) socket.abort();
      clock.advance(0);
    },
    stop() {
      countSubscription.unsubscribe();
      for (const each of rooms.all()) each.stop();
      names.stop();
    }
  };
}
