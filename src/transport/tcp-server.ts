import { createServer, type Server, type Socket } from 'node:net';
import { ListenError, describeSystemError } from '../app/errors.js';
import { LINGER_MS } from '../protocol/constants.js';
import { formatRefusal } from '../protocol/format.js';
import { formatAddress } from './address.js';
import {
  Admission,
  type AdmissionLimits,
  type RefusalReason
} from './admission.js';
import {
  TcpConnection,
  createCounters,
  type ConnectionLimits,
  type TransportCounters
} from './tcp-connection.js';

/** Every limit the transport enforces. */
export interface TransportLimits extends ConnectionLimits, AdmissionLimits {
  /** TCP keepalive idle time before the first probe; 0 = off. */
  keepAliveMs: number;
}

/** How the transport listens, admits and frames. */
export interface TcpServerOptions {
  host: string;
  port: number;
  limits: TransportLimits;
  /** Called once per admitted socket, synchronously, with its port. */
  onConnection: (connection: TcpConnection) => void;
  /** Called once per refused socket, after its `Error:` line was queued. */
  onRefused: (remote: string, reason: RefusalReason) => void;
}

// Our socket buffer takes at most this before writes go to the connection's
// own backlog; never more than the soft mark, so crossing it always arms
// 'drain' (see Outbound).
const MAX_SOCKET_BUFFER = 64 * 1024;

/** A listening TCP server and the sockets it has accepted. */
export interface TcpServer {
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting; open connections are untouched. */
  stopAccepting(): void;
  /** Open sockets right now, refused ones still closing included. */
  openSockets(): number;
  /** Running totals over every connection. */
  readonly counters: Readonly<TransportCounters>;
  /** Resolves when every accepted socket has closed, or after `timeoutMs`; true if all closed. */
  drained(timeoutMs: number): Promise<boolean>;
  /** Destroys every socket still open. */
  destroyAll(): void;
}

/**
 * Listens on `host:port` and turns each accepted socket into a
 * `TcpConnection`. Rejects with a `ListenError` whose message says why.
 */
export async function listen(options: TcpServerOptions): Promise<TcpServer> {
  const { limits } = options;
  const sockets = new Set<Socket>();
  const idleWaiters = new Set<() => void>();
  const admission = new Admission(limits);
  const counters = createCounters();
  const soft = limits.sendQueueSoftBytes;
  // allowHalfOpen: after the peer's FIN we still flush and close our side
  // ourselves, from the connection actor's `closed` state.
  const server = createServer({
    allowHalfOpen: true,
    noDelay: true,
    highWaterMark:
      soft > 0 ? Math.min(soft, MAX_SOCKET_BUFFER) : MAX_SOCKET_BUFFER
  });

  server.on('connection', (socket) => {
    const { remoteAddress, remotePort } = socket;
    // Reset before 'connection' fired: the address is gone, so is the peer.
    if (remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    const remote = formatAddress(remoteAddress, remotePort);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const wake of idleWaiters) wake();
    });
    const refusal = admission.admit(remoteAddress);
    if (refusal !== null) {
      refuse(socket, formatRefusal(refusal, remoteAddress, limits));
      options.onRefused(remote, refusal);
      return;
    }
    socket.once('close', () => admission.release(remoteAddress));
    if (limits.keepAliveMs > 0) socket.setKeepAlive(true, limits.keepAliveMs);
    options.onConnection(
      new TcpConnection(socket, { remote, limits, counters })
    );
  });

  await listenOn(server, options);
  const address = server.address();
  const port =
    typeof address === 'object' && address !== null
      ? address.port
      : options.port;

  return {
    host: options.host,
    port,
    stopAccepting: () => {
      server.close();
    },
    openSockets: () => sockets.size,
    counters,
    drained: (timeoutMs) => waitDrained(sockets, idleWaiters, timeoutMs),
    destroyAll: () => {
      for (const socket of sockets) socket.destroy();
    }
  };
}

/**
 * Tells a refused peer why in one line and closes. It never becomes a
 * connection actor, so it is never announced. [CHAT-LIMIT-1]
 */
function refuse(socket: Socket, line: string): void {
  socket.on('error', () => undefined); // a reset peer is already gone
  socket.end(`${line}\n`);
  // Read and drop what it sends, so its FIN closes the socket at once
  // instead of after the linger.
  socket.resume();
  // Bounded: a refused peer that neither reads nor closes is reset.
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

function listenOn(server: Server, options: TcpServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new ListenError(
          `cannot listen on ${formatAddress(options.host, options.port)}: ${describeSystemError(err)}`,
          { cause: err }
        )
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function waitDrained(
  sockets: Set<Socket>,
  waiters: Set<() => void>,
  timeoutMs: number
): Promise<boolean> {
  if (sockets.size === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (drained: boolean): void => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve(drained);
    };
    const wake = (): void => done(true);
    // Not unref'd: a shutdown waits for its sockets even when nothing else
    // keeps the process alive (a peer that neither reads nor closes).
    const timer = setTimeout(() => done(false), timeoutMs);
    waiters.add(wake);
  });
}
