import {
  createServer,
  type IncomingMessage,
  type ServerResponse
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatAddress } from '../protocol/address.js';
import { LINGER_MS } from '../protocol/constants.js';
import { formatRefusal } from '../protocol/format.js';
import { Admission, type RefusalReason } from './admission.js';
import { createCounters, type TransportCounters } from './tcp-connection.js';
import type { TransportLimits } from './tcp-server.js';
import {
  WS_CLOSE,
  WS_PROTOCOL_ERRORS,
  closeReason,
  type WsProtocolError
} from './ws-close.js';
import { WsConnection, maxPayloadFor } from './ws-connection.js';
import { originAllowed } from './ws-origin.js';
import type { Listener } from './listeners.js';
import {
  closeWhenQuiet,
  listenOn,
  resetOwing,
  waitFor
} from './server-lifecycle.js';

/** Why a WebSocket was refused: an admission limit, or its page's origin. */
export type WsRefusalReason = RefusalReason | 'origin not allowed';

/** How the WebSocket listener listens, admits and frames. */
export interface WsServerOptions {
  host: string;
  port: number;
  limits: TransportLimits;
  /** Called once per admitted WebSocket, synchronously, with its port. */
  onConnection: (connection: WsConnection) => void;
  /** Called once per refused handshake or WebSocket. */
  onRefused: (remote: string, reason: WsRefusalReason) => void;
  /** Shared with the other listeners, so the limits count every transport. */
  admission?: Admission | undefined;
  /** Shared with the other listeners; new ones by default. */
  counters?: TransportCounters | undefined;
  /** Origins allowed besides none at all; default the listener's own. [CHAT-WS-6] */
  origins?: readonly string[] | undefined;
  /** Answers plain HTTP requests; default 404 with a one-line body. */
  serveHttp?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** Ping interval; the default is `DEFAULT_WS_PING_INTERVAL_MS`; 0 = off. */
  pingIntervalMs?: number | undefined;
}

/** The WebSocket listener: the same lifecycle as the TCP one. */
export type WsServer = Listener & {
  /** Running totals over every connection (shared when given). */
  readonly counters: Readonly<TransportCounters>;
  /** Peers that broke the WebSocket protocol, by what they did. */
  readonly protocolErrors: Readonly<Record<WsProtocolError, number>>;
};

/** One upgraded socket: its WebSocket, raw socket, and port (null if refused). */
interface Entry {
  socket: Socket;
  connection: WsConnection | null;
}

/**
 * Listens for HTTP on `host:port`, upgrades WebSocket handshakes whose
 * origin is allowed, and turns each admitted WebSocket into a
 * `WsConnection`. Plain requests go to `serveHttp`. Rejects with a
 * `ListenError` whose message says why.
 *
 * ```
 *  upgrade ─ origin? ──no──► HTTP 403, one line          [CHAT-WS-6]
 *          └ handshake ─ admission? ──no──► `Error:` message, close 1013/1008
 *                      └ WsConnection ─► onConnection     [CHAT-LIMIT-1]
 * ```
 */
export async function listenWs(options: WsServerOptions): Promise<WsServer> {
  const { limits } = options;
  const sockets = new Map<WebSocket, Entry>();
  // Open WebSockets whose close frame is not yet flushed to the kernel.
  const unfinished = new Set<WebSocket>();
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const watch of [...watchers]) watch();
  };
  const admission = options.admission ?? new Admission(limits);
  const protocolErrors = Object.fromEntries(
    WS_PROTOCOL_ERRORS.map((reason) => [reason, 0])
  ) as Record<WsProtocolError, number>;
  const counters = options.counters ?? createCounters();
  let accepting = true;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: maxPayloadFor(limits.maxLineBytes)
  });
  const server = createServer(options.serveHttp ?? notFound);

  const accepted = (ws: WebSocket, socket: Socket, address: string): void => {
    const remote = formatAddress(address, socket.remotePort ?? 0);
    sockets.set(ws, { socket, connection: null });
    unfinished.add(ws);
    ws.once('close', () => {
      sockets.delete(ws);
      unfinished.delete(ws);
      notify();
    });
    const finish = (): void => {
      unfinished.delete(ws);
      notify();
    };
    const refusal = admission.admit(address);
    if (refusal !== null) {
      refuse(ws, socket, refusal, formatRefusal(refusal, address, limits));
      socket.write(Buffer.alloc(0), finish);
      options.onRefused(remote, refusal);
      return;
    }
    ws.once('close', () => admission.release(address));
    if (limits.keepAliveMs > 0) socket.setKeepAlive(true, limits.keepAliveMs);
    const connection = new WsConnection(ws, socket, {
      remote,
      limits,
      counters,
      pingIntervalMs: options.pingIntervalMs,
      onFinish: finish,
      onProtocolError: (reason) => (protocolErrors[reason] += 1)
    });
    sockets.set(ws, { socket, connection });
    options.onConnection(connection);
  };

  server.on('upgrade', (req: IncomingMessage, duplex: Duplex, head: Buffer) => {
    const socket = duplex as Socket;
    const { remoteAddress, remotePort } = socket;
    // Reset before we got here: the peer is gone.
    if (remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    if (!accepting) {
      reject(socket, 503, 'server shutting down');
      return;
    }
    if (!originAllowed(req.headers.origin, req.headers.host, options.origins)) {
      reject(socket, 403, 'origin not allowed');
      options.onRefused(
        formatAddress(remoteAddress, remotePort),
        'origin not allowed'
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      accepted(ws, socket, remoteAddress)
    );
  });

  await listenOn(server, {
    ...options,
    backlog: options.limits.listenBacklog
  });
  const address = server.address();
  const port =
    typeof address === 'object' && address !== null
      ? address.port
      : options.port;
  const terminateAll = (): void => {
    for (const ws of sockets.keys()) ws.terminate();
    server.closeAllConnections();
  };

  return {
    host: options.host,
    port,
    transport: 'ws',
    protocolErrors,
    stopAccepting: () => {
      if (!accepting) return;
      accepting = false;
      server.close();
      server.closeIdleConnections();
      for (const { connection } of sockets.values()) connection?.goingAway();
    },
    openSockets: () => sockets.size,
    counters,
    finished: (timeoutMs) =>
      waitFor(() => unfinished.size === 0, watchers, timeoutMs),
    resetUnfinished: () =>
      resetOwing(
        [...unfinished].flatMap((ws) => {
          const entry = sockets.get(ws);
          return entry === undefined
            ? []
            : [
                {
                  socket: entry.socket,
                  owed: entry.connection?.queuedBytes ?? ws.bufferedAmount,
                  close: () => ws.terminate()
                }
              ];
        })
      ),
    closeAll: (lingerMs) => {
      server.closeAllConnections();
      const raw = new Map([...sockets].map(([ws, { socket }]) => [socket, ws]));
      closeWhenQuiet(
        raw.keys(),
        (socket) => raw.get(socket)?.terminate(),
        lingerMs
      );
      return waitFor(() => sockets.size === 0, watchers, 2 * lingerMs);
    },
    destroyAll: terminateAll
  };
}

/**
 * Tells a WebSocket over an admission limit why, as a text message a page
 * can show, and closes it with a code a page can act on: a browser shows a
 * script nothing of a refused handshake but 1006. [CHAT-LIMIT-1]
 */
function refuse(
  ws: WebSocket,
  socket: Socket,
  reason: RefusalReason,
  line: string
): void {
  socket.on('error', () => undefined); // a reset peer is already gone
  ws.send(line);
  ws.close(
    reason === 'server full' ? WS_CLOSE.tryAgainLater : WS_CLOSE.policy,
    closeReason(reason)
  );
  // Bounded: a refused peer that never answers the close frame is cut off.
  const linger = setTimeout(() => ws.terminate(), LINGER_MS);
  linger.unref();
  ws.once('close', () => clearTimeout(linger));
}

/** Answers a handshake we will not upgrade with a status and one line, and closes. */
function reject(socket: Socket, status: 403 | 503, line: string): void {
  socket.on('error', () => undefined);
  const body = `${line}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
}
