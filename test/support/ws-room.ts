import { WebSocket } from 'ws';
import { createRoom, type Room } from '../../src/actors/room-actor.js';
import { ConnectionRegistry } from '../../src/app/connection-registry.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/app/limits.js';
import { LOBBY } from '../../src/protocol/constants.js';
import { Admission } from '../../src/transport/admission.js';
import { createCounters } from '../../src/transport/tcp-connection.js';
import { listen, type TcpServer } from '../../src/transport/tcp-server.js';
import {
  listenWs,
  type WsRefusalReason,
  type WsServer,
  type WsServerOptions
} from '../../src/transport/ws-server.js';
import { captureLog } from './log-capture.js';
import { until } from './wait.js';

/** The daemon's composition, cut down: one lobby, a TCP and a WebSocket listener. */
export interface WsRoom {
  room: Room;
  registry: ConnectionRegistry;
  ws: WsServer;
  tcp: TcpServer;
  refused: { remote: string; reason: WsRefusalReason }[];
  /** The daemon's graceful shutdown over both listeners. */
  shutdown(): Promise<void>;
  /** Closes whatever is left and stops the room; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a lobby (protocol v1) with a `ConnectionRegistry`, and a TCP and a
 * WebSocket listener on loopback feeding it, sharing one `Admission` and
 * one set of counters, as the daemon will wire them.
 */
export async function startWsRoom(
  limits: Partial<Limits> = {},
  wsOptions: Partial<WsServerOptions> = {}
): Promise<WsRoom> {
  const all = { ...DEFAULT_LIMITS, ...limits };
  const { logger } = captureLog('warn');
  const faults: unknown[] = [];
  const room = createRoom({
    name: LOBBY,
    logger,
    onFault: (err) => void faults.push(err)
  });
  const registry = new ConnectionRegistry({ room, logger });
  const admission = new Admission(all);
  const counters = createCounters();
  const refused: WsRoom['refused'] = [];
  const onConnection = (port: Parameters<typeof registry.accept>[0]): void => {
    if (registry.accept(port) === null) port.end();
  };
  const ws = await listenWs({
    host: '127.0.0.1',
    port: 0,
    limits: all,
    admission,
    counters,
    onConnection,
    onRefused: (remote, reason) => void refused.push({ remote, reason }),
    ...wsOptions
  });
  const tcp = await listen({
    host: '127.0.0.1',
    port: 0,
    limits: all,
    onConnection,
    onRefused: () => undefined
  });
  let closed = false;
  const shutdown = async (): Promise<void> => {
    ws.stopAccepting();
    tcp.stopAccepting();
    registry.shutdown();
    const done = await Promise.all([
      ws.finished(all.shutdownTimeoutMs),
      tcp.finished(all.shutdownTimeoutMs)
    ]);
    if (!done[0]) ws.resetUnfinished();
    if (!done[1]) tcp.resetUnfinished();
    await Promise.all([ws.closeAll(1000), tcp.closeAll(1000)]);
  };
  return {
    room,
    registry,
    ws,
    tcp,
    refused,
    shutdown,
    close: async () => {
      if (closed) return;
      closed = true;
      ws.stopAccepting();
      tcp.stopAccepting();
      ws.destroyAll();
      tcp.destroyAll();
      await until(() => registry.size === 0, 'every actor done', 6000);
      room.stop();
      if (faults.length > 0) throw new Error(`room faults: ${String(faults)}`);
    }
  };
}

/** A WebSocket test client: every text message received, and how it closed. */
export interface WsClient {
  socket: WebSocket;
  messages: string[];
  /** Set once closed: the code and reason the server sent (1006: none). */
  closed: { code: number; reason: string } | null;
  /** Waits until `count` messages have arrived; returns them. */
  waitForMessages(count: number, timeoutMs?: number): Promise<string[]>;
  /** Waits until one message is `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the close; returns its code and reason. */
  waitForClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
}

/** Connects a `ws` client to `port` and resolves once open. */
export async function connectWs(
  port: number,
  options: ConstructorParameters<typeof WebSocket>[2] = {}
): Promise<WsClient> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, options);
  const client: WsClient = {
    socket,
    messages: [],
    closed: null,
    waitForMessages: async (count, timeoutMs = 5000) => {
      await until(
        () => client.messages.length >= count,
        `${count} messages`,
        timeoutMs,
        () => JSON.stringify(client.messages.slice(-5))
      );
      return client.messages.slice(0, count);
    },
    waitFor: (text, timeoutMs = 5000) =>
      until(
        () =>
          client.messages.some((m) =>
            typeof text === 'string' ? m === text : text.test(m)
          ),
        `a message ${String(text)}`,
        timeoutMs,
        () => JSON.stringify(client.messages.slice(-5))
      ),
    waitForClose: async (timeoutMs = 5000) => {
      await until(() => client.closed !== null, 'the close', timeoutMs);
      return client.closed as { code: number; reason: string };
    }
  };
  socket.on('message', (data, isBinary) => {
    // The default binaryType: one Buffer per message.
    if (!isBinary) client.messages.push((data as Buffer).toString('utf8'));
  });
  socket.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
  });
  socket.on('error', () => undefined); // the close says what happened
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('close', () => reject(new Error('closed before open')));
    // A refused handshake: the status and its one-line body.
    socket.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`));
      });
    });
  });
  return client;
}
