import type { InspectionEvent } from 'xstate';
import type { AdminOptions } from '../admin/server.js';
import { ConnectionMonitor } from '../admin/monitor.js';
import { reportRenames } from '../admin/name-watch.js';
import {
  connectionMachine,
  type ConnectionActor
} from '../machines/connection-machine.js';
import { machineGraph } from '../machines/graph.js';
import type { ConnectionPort, LeaveReason } from '../machines/types.js';
import { LOBBY } from '../protocol/constants.js';
import { composeInspectors, createInspection } from '../actors/inspection.js';
import {
  createCommands,
  type CommandRefusal
} from '../actors/commands/commands.js';
import { createNameRegistry } from '../actors/name-registry.js';
import { createRoom, type Room } from '../actors/room-actor.js';
import {
  createRoomRegistry,
  type RoomLimits
} from '../actors/room-registry.js';
import { localOrder, type RoomOrder } from '../actors/room-order.js';
import { localDirectory, roomNowOf } from '../actors/commands/directory.js';
import type { ClusterOptions } from '../cluster/cluster-options.js';
import { SHUTDOWN_NOTICE, UNAVAILABLE_NOTICE } from '../protocol/format.js';
import type { Traffic } from '../transport/tcp-connection.js';
import type { Listener } from '../transport/listeners.js';
import type { HandshakeFailure } from '../transport/tls-handshake.js';
import type { WsProtocolError } from '../transport/ws-close.js';
import { loadTlsFiles } from './tls-files.js';
import {
  startListeners,
  type DaemonTlsOptions,
  type DaemonWsOptions,
  type ListenerPort,
  type ListenerRefusal
} from './start-listeners.js';
import { ConnectionRegistry } from './connection-registry.js';
import { resolveLimits, type Limits } from './limits.js';
import type { Logger } from './logger.js';

export {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  type DaemonTlsOptions,
  type DaemonWsOptions
} from './start-listeners.js';

/**
 * How long closing sockets whose output is all sent may wait for a peer
 * that is still sending to go quiet (a lingering close: closing on it
 * would reset it, and it could lose its `Server shutting down`). A quiet
 * or closed peer costs no wait.
 */
const CLOSE_TIMEOUT_MS = 1000;

/** How to run a daemon. Every limit left out takes its default (`DEFAULT_LIMITS`). */
export interface DaemonOptions extends Partial<Limits> {
  logger: Logger;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 3333; 0 picks a free port. */
  port?: number;
  /** Listen for plain TCP on `host:port`; default true. */
  plain?: boolean;
  /** Listen for WebSocket too, and serve the chat page there (docs/transports.md). */
  ws?: DaemonWsOptions;
  /**
   * Listen for TLS too, with these files (read before anything listens; a
   * bad one fails the start with a `TlsFileError`).
   */
  tls?: DaemonTlsOptions;
  /** Called once if the daemon itself fails (not a connection): shut down then. */
  onFault?: (err: unknown) => void;
  /**
   * Wraps each accepted connection's port before its actor sees it: a seam
   * for fault injection and instrumentation. Whatever it returns is the only
   * port the actor uses.
   */
  wrapPort?: (port: ConnectionPort, connId: string) => ConnectionPort;
  /**
   * Observes every actor of the daemon (the room and each connection), with
   * the debug log's observer when that is on: XState's inspection events
   * (`@xstate.microstep`, `@xstate.snapshot`, …). Leave it out unless
   * something consumes it: even a no-op inspector halves an actor's event
   * throughput (docs/facts.md, "XState v5").
   */
  inspect?: (event: InspectionEvent) => void;
  /**
   * Starts the admin HTTP listener (the inspector page, `/events`,
   * `/metrics`, `/healthz`, `/readyz`: docs/inspector.md) and the inspection
   * of connection actors that feeds it. Off when left out.
   */
  admin?: AdminOptions;
  /**
   * Joins a cluster: the room's order and count live in Redis, shared with
   * every daemon of the same cluster (docs/cluster.md). Without it the room
   * is this process's alone.
   */
  cluster?: ClusterOptions;
  /**
   * The limits on rooms (`maxRooms`, `roomCreatesPerMinute`); each left
   * out takes its default (`DEFAULT_ROOM_LIMITS`). [CHAT-LIMIT-2]
   */
  rooms?: Partial<RoomLimits>;
}

export type { RoomLimits } from '../actors/room-registry.js';
export { DEFAULT_ROOM_LIMITS } from '../actors/room-registry.js';
export type { CommandRefusal } from '../actors/commands/commands.js';

/** Why a connection was refused at accept time. */
export type Refusal = ListenerRefusal | 'chat unavailable';

/** Counters and gauges of a running daemon. */
export interface DaemonStats {
  /** Live actors: one per connection, plus each room while it runs. */
  actors: number;
  /** Live connection actors. */
  connections: number;
  /** Membership of every room. */
  members: number;
  /** Live subscriptions to the rooms' broadcasts. */
  feeds: number;
  /** Rooms open, `#lobby` included. */
  rooms: number;
  /** Nicknames held. */
  names: number;
  /** Commands answered with an `Error:` line, by reason. [CHAT-CMD-ERR] */
  commandRefusals: Record<CommandRefusal, number>;
  /** Open sockets the transport holds, refused ones still closing included. */
  sockets: number;
  /** Connections accepted as chat connections since start. */
  accepted: number;
  /** Connections refused at accept time, by reason. */
  refused: Record<Refusal, number>;
  /** Connections ended, by reason (whether or not they had joined). */
  disconnects: Record<LeaveReason, number>;
  /** Lines whose delivery flood pacing delayed. */
  pacedLines: number;
  /** Messages the rooms relayed. */
  messages: number;
  /** What every connection so far has carried. */
  traffic: Traffic;
  /** Failed TLS handshakes, by reason. */
  tlsHandshakeFailures: Record<HandshakeFailure, number>;
  /** WebSocket peers that broke the protocol, by what they did. */
  wsProtocolErrors: Record<WsProtocolError, number>;
}

/** A running chat daemon. */
export interface Daemon {
  readonly host: string;
  /** The plain listener's bound port (the TLS one's with `plain: false`). */
  readonly port: number;
  /** The TLS listener's bound address, when there is one. */
  readonly tls: { host: string; port: number } | null;
  /** The WebSocket listener's bound address (and the chat page's), when there is one. */
  readonly ws: { host: string; port: number } | null;
  /**
   * Reads the TLS certificate and key again and serves them to new
   * handshakes; connections up keep chatting. Logs what was loaded, or one
   * error and keeps the old ones; true if the new ones are in use. False
   * without a TLS listener.
   */
  reloadTls(): boolean;
  /** The limits in force. */
  readonly limits: Readonly<Limits>;
  /** The admin listener, when one was asked for. */
  readonly admin: { host: string; port: number; url: string } | null;
  /** Accepting chat connections: false once shutdown has begun. */
  ready(): boolean;
  /** Room membership right now. */
  memberCount(): number;
  /** Live connection actors right now. */
  connectionCount(): number;
  /** Counters and gauges right now. */
  stats(): DaemonStats;
  /**
   * Graceful shutdown: stop accepting, `Server shutting down` to everyone,
   * flush, send our FIN, close. It takes as long as the flushing: peers
   * that keep their side open are not waited for; what is still owed at
   * the shutdown timeout is dropped and its sockets reset. Idempotent.
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
  const { logger, wrapPort } = options;
  const limits = resolveLimits(options);
  const plain = options.plain ?? true;
  if (!plain && !options.tls && !options.ws)
    throw new RangeError('a daemon needs a listener: plain, tls or ws');
  // Before anything starts: bad TLS files start nothing.
  const tlsFiles = options.tls ? loadTlsFiles(options.tls) : null;
  const onFault = options.onFault ?? (() => undefined);
  // The admin listener, the cluster and the WebSocket listener load their
  // libraries (prom-client, ioredis, ws) only when asked for: a plain
  // daemon listens sooner (docs/performance.md, "Time to listen").
  const adminModule = options.admin ? await import('../admin/server.js') : null;
  // Before anything listens: a bad admin setting starts nothing.
  if (options.admin) adminModule?.checkAdminOptions(options.admin);
  const graph = options.admin ? machineGraph(connectionMachine) : null;
  const monitor = graph
    ? new ConnectionMonitor({
        states: graph.states.map((state) => state.id),
        finalState: graph.states.find((state) => state.final)?.id ?? 'closed',
        transports: [
          ...(plain ? ['tcp'] : []),
          ...(options.tls ? ['tls'] : []),
          ...(options.ws ? ['ws'] : [])
        ]
      })
    : null;
  // Every actor goes to the debug log and the caller's observer; the
  // monitor watches connections only. Inspection costs every event of the
  // actors it is attached to (docs/facts.md), and the room handles every message.
  const { inspect } = createInspection(logger, options.inspect);
  const inspectConnection = composeInspectors(monitor?.inspect, inspect);
  const connections = new Map<string, ConnectionActor>();
  const { cluster } = options;
  /** Redis is out of reach for good: these connections end, saying so. */
  const unavailable = (connIds: Iterable<string>, graceMs: number): void => {
    for (const connId of [...connIds])
      connections.get(connId)?.send({ type: 'server.unavailable', graceMs });
  };
  // The one choice between one process and a cluster: who orders a room.
  const clustered = cluster
    ? await (
        await import('../cluster/cluster-chat.js')
      ).joinCluster({
        cluster,
        logger,
        inspect,
        onExpired: (graceMs) => unavailable(connections.keys(), graceMs)
      })
    : null;
  const order = clustered?.lobby ?? localOrder();
  /** Another room's order: in Redis too on a cluster, started in the background. */
  const orderOf = (name: string, after?: Promise<void>): RoomOrder =>
    clustered?.orderOf(name, after, (graceMs) =>
      unavailable(rooms.occupants(name), graceMs)
    ) ?? localOrder();
  const room: Room = createRoom({
    name: LOBBY,
    logger,
    inspect,
    onFault,
    order
  });
  // Rooms beyond the lobby, and names: protocol v2. On a cluster every
  // room is ordered in Redis and names are claimed there. [CHAT-ROOM-1]
  const rooms = createRoomRegistry({
    lobby: room,
    create: (name, after) =>
      createRoom({
        name,
        logger,
        inspect,
        onFault,
        order: orderOf(name, after)
      }),
    ...(options.rooms && { limits: options.rooms })
  });
  const ownNames = createNameRegistry({ inspect, onFault });
  // The inspector learns each nickname granted; rooms it reads itself.
  const names = monitor ? reportRenames(ownNames, monitor) : ownNames;
  const roomNow = roomNowOf(connections, rooms);
  const directory = clustered
    ? await clustered
        .startDirectory({ rooms, names, roomNow })
        .catch((err: unknown) => {
          room.stop();
          names.stop();
          clustered.close();
          throw err;
        })
    : localDirectory(rooms, names, roomNow);
  const commands = createCommands({ rooms, names, directory, logger });
  const sum = (count: (each: Room) => number): number =>
    rooms.all().reduce((n, each) => n + count(each), 0);
  // Accept, number, start and forget connections, count their endings and
  // announce the shutdown: the core the replay server runs too.
  const registry = new ConnectionRegistry<ListenerPort>({
    room,
    commands,
    logger,
    inspect: inspectConnection,
    wrapPort,
    actors: connections,
    onAccept: (connId, port) =>
      monitor?.track(connId, port.remote, port, port.transport),
    onDone: (connId, reason) => monitor?.done(connId, reason)
  });
  const refused: Record<Refusal, number> = {
    'server full': 0,
    'too many from address': 0,
    'origin not allowed': 0,
    'chat unavailable': 0
  };
  const refuse = (remote: string, reason: Refusal): void => {
    refused[reason] += 1;
    logger.warn('connection refused', { remote, reason });
  };

  const listeners = await startListeners({
    host: options.host,
    port: options.port,
    plain,
    tls:
      options.tls && tlsFiles
        ? { ...options.tls, loaded: tlsFiles }
        : undefined,
    ws: options.ws,
    limits,
    logger,
    onConnection: (port) => {
      if (!room.accepting()) {
        // Redis is out of reach: say so, rather than seat a member whose
        // lines could go nowhere. [CLUSTER-2]
        refuse(port.remote, 'chat unavailable');
        port.end(UNAVAILABLE_NOTICE);
        return;
      }
      // Shutdown closes the listener before it stops the registry, so this
      // refusal is only a safeguard.
      if (registry.accept(port) === null) port.end(SHUTDOWN_NOTICE);
    },
    onRefused: refuse
  }).catch((err: unknown) => {
    room.stop();
    names.stop();
    directory.stop();
    clustered?.close();
    throw err;
  });
  const { transport, primary } = listeners;
  let closing: Promise<void> | null = null;
  const stats = (): DaemonStats => ({
    actors: connections.size + sum((each) => (each.isRunning() ? 1 : 0)),
    connections: connections.size,
    members: sum((each) => each.memberCount()),
    feeds: sum((each) => each.feedCount()),
    rooms: rooms.all().length,
    names: names.size(),
    commandRefusals: commands.refusals(),
    sockets: transport.openSockets(),
    tlsHandshakeFailures: transport.handshakeFailures(),
    wsProtocolErrors: transport.wsProtocolErrors(),
    accepted: registry.accepted,
    refused: { ...refused },
    disconnects: registry.disconnects(),
    pacedLines: transport.counters.pacedLines,
    messages: sum((each) => each.messageCount()),
    traffic: {
      bytesIn: transport.counters.bytesIn,
      bytesOut: transport.counters.bytesOut,
      linesIn: transport.counters.linesIn,
      linesOut: transport.counters.linesOut
    }
  });
  const admin =
    options.admin && adminModule && monitor && graph
      ? await adminModule
          .startAdmin(
            options.admin,
            {
              monitor,
              graph,
              stats,
              rooms: () => rooms.all(),
              ready: () => closing === null
            },
            logger
          )
          .catch((err: unknown) => {
            // Startup failed before it was announced: whoever connected in
            // these few milliseconds is reset.
            transport.stopAccepting();
            transport.destroyAll();
            room.stop();
            names.stop();
            directory.stop();
            clustered?.close();
            throw err;
          })
      : null;
  // Every listener is bound: only now is the daemon announced, so a failure
  // above leaves nothing but its one error line.
  if (options.cluster)
    logger.info('joined the cluster', {
      event: 'cluster',
      node: options.cluster?.nodeId,
      cluster: options.cluster?.name
    });
  logger.info('listening', {
    event: 'listen',
    host: primary.host,
    port: primary.port
  });
  listeners.announce();

  const shutdown = async (): Promise<void> => {
    transport.stopAccepting();
    registry.shutdown();
    // Done once every peer has what it is owed in the kernel and our FIN:
    // a peer that keeps its side open (an idle `nc`) costs no wait.
    if (!(await transport.finished(limits.shutdownTimeoutMs))) {
      const dropped = transport.resetUnfinished();
      if (dropped.peers > 0)
        logger.warn('shutdown timeout; dropped unsent output', {
          peers: dropped.peers,
          bytes: dropped.bytes
        });
      if (dropped.unfinished > 0)
        logger.warn('shutdown timeout; closed unfinished connections', {
          count: dropped.unfinished
        });
    }
    // Our FIN is out everywhere: close what is left as each peer goes
    // quiet, without waiting for the peers' FINs.
    await transport.closeAll(CLOSE_TIMEOUT_MS);
    // Each room leaves its order (a cluster node retires from each).
    await Promise.all(rooms.all().map((each) => each.close()));
    names.stop();
    directory.stop();
    clustered?.close();
    await admin?.close();
    monitor?.stop();
    logger.info('exit', { event: 'exit' });
  };

  return {
    host: primary.host,
    port: primary.port,
    tls: addressOf(listeners.tls),
    ws: addressOf(listeners.ws),
    reloadTls: () => listeners.reloadTls(),
    limits: Object.freeze({ ...limits }),
    admin:
      admin === null
        ? null
        : { host: admin.host, port: admin.port, url: admin.url },
    ready: () => closing === null,
    memberCount: () => sum((each) => each.memberCount()),
    connectionCount: () => connections.size,
    stats,
    close: () => (closing ??= shutdown())
  };
}

/** A listener's bound address, or null when it was not asked for. */
function addressOf(
  listener: Listener | null
): { host: string; port: number } | null {
  return listener === null
    ? null
    : { host: listener.host, port: listener.port };
}
