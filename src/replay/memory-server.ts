import {
  createConnectionLogic,
  startConnection
} from '../actors/connection-actor.js';
import { createRoom } from '../actors/room-actor.js';
import type { Limits } from '../app/limits.js';
import type { Logger } from '../app/logger.js';
import type { ConnectionActor } from '../machines/connection-machine.js';
import {
  LEAVE_REASONS,
  type ConnectionPort,
  type LeaveReason
} from '../machines/types.js';
import { LOBBY } from '../protocol/constants.js';
import { MemoryConnection } from '../transport/memory-connection.js';
import type { VirtualClock } from './scheduler.js';

/** Gauges and counters of a replayed daemon, as `DaemonStats` has them. */
export interface ReplayStats {
  /** Virtual milliseconds since the start. */
  now: number;
  /** Live actors: one per connection, plus the room while it runs. */
  actors: number;
  /** Live connection actors. */
  connections: number;
  /** Room membership. */
  members: number;
  /** Live subscriptions to the room's broadcast. */
  feeds: number;
  /** Connections not yet closed on both sides (the daemon's `sockets`). */
  open: number;
  /** Timers armed on the virtual clock: XState's and the transport's. */
  pendingTimers: number;
  accepted: number;
  disconnects: Record<LeaveReason, number>;
  /** Every value the room's `count$` took, in order. */
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
  /** Stops the room; call last. */
  stop(): void;
}

/**
 * Wires the real room and connection machines exactly as `startDaemon`
 * does, minus the sockets: one room actor, one standalone connection actor
 * per accepted `MemoryConnection`, every XState timer on `clock`.
 */
export function createMemoryServer(options: MemoryServerOptions): MemoryServer {
  const { limits, clock, logger, wrapPort } = options;
  const faults: string[] = [];
  const room = createRoom({
    name: LOBBY,
    logger,
    onFault: (err) => faults.push(String(err)),
    // A turn's batch goes out on virtual time too, so replays stay exact.
    // Notices do not wait here: the delay saves writes, it means nothing.
    scheduler: {
      set: (flush) => clock.setTimeout(flush, 0),
      clear: (handle) => clock.clearTimeout(handle)
    }
  });
  const counts: number[] = [];
  const countSubscription = room.count$.subscribe((n) => counts.push(n));
  const logic = createConnectionLogic(room);
  const live = new Map<string, ConnectionActor>();
  const sockets: MemoryConnection[] = [];
  const disconnects = Object.fromEntries(
    LEAVE_REASONS.map((reason) => [reason, 0])
  ) as Record<LeaveReason, number>;
  let accepted = 0;
  let accepting = true;
  let shutDown = false;

  const forget = (connId: string, reason: LeaveReason): void => {
    live.delete(connId);
    disconnects[reason] += 1;
  };
  const openSockets = (): MemoryConnection[] => sockets.filter((s) => s.isOpen);

  return {
    accept(remote) {
      if (!accepting) return null;
      accepted += 1;
      const connId = `c${accepted}`;
      const conn = new MemoryConnection({ remote, limits, timers: clock });
      sockets.push(conn);
      const port = wrapPort ? wrapPort(conn, connId) : conn;
      const actor = startConnection({
        logic,
        room,
        connId,
        port,
        logger,
        clock,
        onDone: forget
      });
      if (actor.getSnapshot().status === 'active') live.set(connId, actor);
      return { connId, conn };
    },
    stats: () => ({
      now: clock.now(),
      actors: live.size + (room.isRunning() ? 1 : 0),
      connections: live.size,
      members: room.memberCount(),
      feeds: room.feedCount(),
      open: openSockets().length,
      pendingTimers: clock.pendingTimers,
      accepted,
      disconnects: { ...disconnects },
      counts: [...counts]
    }),
    faults,
    shutdown() {
      if (shutDown) return;
      shutDown = true;
      accepting = false;
      room.ref.send({ type: 'room.shutdown' });
      for (const actor of [...live.values()])
        actor.send({ type: 'server.shutdown' });
      // transport.finished(timeout), then resetUnfinished and closeAll (coarser: waits the whole timeout if any socket is open).
      if (openSockets().length > 0) clock.advance(limits.shutdownTimeoutMs);
      for (const socket of openSockets()) socket.abort();
      clock.advance(0);
    },
    stop() {
      countSubscription.unsubscribe();
      room.stop();
    }
  };
}
