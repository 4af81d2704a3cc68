import type { ConnectionActor } from '../machines/connection-machine.js';
import {
  DEFAULT_HOST,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  LOBBY
} from '../protocol/constants.js';
import {
  createConnectionLogic,
  startConnection
} from '../actors/connection-actor.js';
import { createInspection } from '../actors/inspection.js';
import { createRoom } from '../actors/room-actor.js';
import { listen } from '../transport/tcp-server.js';
import type { Logger } from './logger.js';

/** How to run a daemon. */
export interface DaemonOptions {
  logger: Logger;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 3333; 0 picks a free port. */
  port?: number;
  /** Longest accepted line in bytes; default 4096. [CHAT-IN-4] */
  maxLineBytes?: number;
  /** How long shutdown waits for queued output to flush; default 5000. */
  shutdownTimeoutMs?: number;
  /** Called once if the daemon itself fails (not a connection): shut down then. */
  onFault?: (err: unknown) => void;
}

/** A running chat daemon. */
export interface Daemon {
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** Room membership right now. */
  memberCount(): number;
  /** Live connection actors right now. */
  connectionCount(): number;
  /**
   * Graceful shutdown: stop accepting, `Server shutting down` to everyone,
   * flush (bounded by the shutdown timeout), close. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts the chat daemon: one room actor, one connection actor per accepted
 * socket, one inspection observer for all of them.
 *
 * @example
 * const daemon = await startDaemon({ logger: createLogger(), port: 3333 });
 * process.once('SIGTERM', () => void daemon.close());
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  const shutdownTimeoutMs =
    options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const onFault = options.onFault ?? (() => undefined);
  const { inspect } = createInspection(logger);
  const room = createRoom({ name: LOBBY, logger, inspect, onFault });
  const logic = createConnectionLogic(room);
  const connections = new Map<string, ConnectionActor>();
  let accepted = 0;

  const forget = (connId: string): void => {
    connections.delete(connId);
  };

  const transport = await listen({
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? DEFAULT_PORT,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    onConnection: (port) => {
      accepted += 1;
      const connId = `c${accepted}`;
      const actor = startConnection({
        logic,
        room,
        connId,
        port,
        logger,
        inspect,
        onDone: forget
      });
      // An actor that failed during start has already called `forget`.
      if (actor.getSnapshot().status === 'active')
        connections.set(connId, actor);
    }
  }).catch((err: unknown) => {
    room.stop();
    throw err;
  });
  logger.info('listening', {
    event: 'listen',
    host: transport.host,
    port: transport.port
  });

  let closing: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    transport.stopAccepting();
    room.ref.send({ type: 'room.shutdown' });
    for (const actor of [...connections.values()])
      actor.send({ type: 'server.shutdown' });
    if (!(await transport.drained(shutdownTimeoutMs))) {
      logger.warn('shutdown timeout; resetting connections', {
        count: transport.openSockets()
      });
      transport.destroyAll();
      await transport.drained(shutdownTimeoutMs);
    }
    room.stop();
    logger.info('exit', { event: 'exit' });
  };

  return {
    host: transport.host,
    port: transport.port,
    memberCount: () => room.memberCount(),
    connectionCount: () => connections.size,
    close: () => (closing ??= shutdown())
  };
}
