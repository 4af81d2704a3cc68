import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { LINGER_MS } from '../protocol/constants.js';
import { formatRefusal } from '../protocol/format.js';
import { formatAddress } from '../protocol/address.js';
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
import {
  classifyHandshakeError,
  createHandshakeCounts,
  secureContextOptions,
  type HandshakeFailure,
  type TlsCredentials,
  type TlsListenOptions
} from './tls-handshake.js';
import {
  closeWhenQuiet,
  listenOn,
  resetOwing,
  waitFor,
  type DroppedOutput
} from './server-lifecycle.js';

/** Every limit the transport enforces. */
export interface TransportLimits extends ConnectionLimits, AdmissionLimits {
  /** TCP keepalive idle time before the first probe; 0 = off. */
  keepAliveMs: number;
  /** Connections the kernel may queue before we accept them. */
  listenBacklog: number;
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
  /**
   * The admission to count connections in; listeners of one daemon share
   * one, so its limits hold over all of them. A new one by default.
   */
  admission?: Admission;
  /** The counters to add to; shared like `admission`. New ones by default. */
  counters?: TransportCounters;
  /** Serve TLS: connections enter the chat once their handshake is done. */
  tls?: TlsListenOptions;
}

// Our socket buffer takes at most this before writes go to the connection's
// own backlog; never more than the soft mark, so crossing it always arms
// 'drain' (see Outbound).
const MAX_SOCKET_BUFFER = 64 * 1024;

export type { DroppedOutput } from './server-lifecycle.js';

/** A listening TCP server and the sockets it has accepted. */
export interface TcpServer {
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** `tls` when it serves TLS. */
  readonly transport: 'tcp' | 'tls';
  /** Failed TLS handshakes by reason (all zero on a plain listener). */
  readonly handshakeFailures: Readonly<Record<HandshakeFailure, number>>;
  /**
   * Serves `credentials` to handshakes from now on; connections already up
   * keep theirs. Throws on a plain listener, or when node:tls rejects them
   * (the old ones stay then).
   */
  setCredentials(credentials: TlsCredentials): void;
  /** Stops accepting; open connections are untouched. */
  stopAccepting(): void;
  /** Open sockets right now, refused ones still closing included. */
  openSockets(): number;
  /** Running totals over every connection. */
  readonly counters: Readonly<TransportCounters>;
  /**
   * Resolves true once every socket is finished: closed, or its output
   * flushed to the kernel and its FIN sent (the peer's own FIN is not
   * waited for); false after `timeoutMs` if some are not.
   */
  finished(timeoutMs: number): Promise<boolean>;
  /**
   * Ends every socket that is not finished: reset (RST) when it still owes
   * the peer bytes, closed otherwise. Says what was dropped.
   */
  resetUnfinished(): DroppedOutput;
  /**
   * Closes every socket left, finished ones included (our FIN is out), each
   * once its peer is quiet or closes, within `lingerMs` (`closeWhenQuiet`),
   * and resolves once all have closed; true if all closed in time.
   */
  closeAll(lingerMs: number): Promise<boolean>;
  /** Destroys every socket still open. */
  destroyAll(): void;
}

/**
 * Listens on `host:port` and turns each accepted socket into a
 * `TcpConnection`; with `tls`, each socket whose TLS handshake finished.
 * Rejects with a `ListenError` whose message says why.
 */
export async function listen(options: TcpServerOptions): Promise<TcpServer> {
  const { limits } = options;
  // Each open socket, with its connection (null for a refused one).
  const sockets = new Map<Socket, TcpConnection | null>();
  // The open sockets not yet finished: their output is not all in the
  // kernel, or our FIN is not sent ('finish' comes after our shutdown(2)).
  const unfinished = new Set<Socket>();
  // Called whenever a socket finishes or closes.
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const watch of [...watchers]) watch();
  };
  const admission = options.admission ?? new Admission(limits);
  const counters = options.counters ?? createCounters();
  const handshakeFailures = createHandshakeCounts();
  // Raw sockets whose TLS handshake is under way, by peer address: not yet
  // admitted, so not in `sockets`; bounded by the handshake timeout. A raw
  // socket outlives its handshake (its TLSSocket writes through it), so it
  // leaves here on 'secureConnection', matched by address: node:tls does
  // not say which raw socket a TLSSocket wraps.
  const handshaking = new Map<string, Socket>();
  const soft = limits.sendQueueSoftBytes;
  const { tls } = options;
  // allowHalfOpen: after the peer's FIN we still flush and close our side
  // ourselves, from the connection actor's `closed` state. A TLSSocket
  // inherits it from its raw socket (but not the high-water mark: it keeps
  // Node's 16 KiB, below the soft mark's cap, so 'drain' still comes).
  const serverOptions = {
    allowHalfOpen: true,
    noDelay: true,
    highWaterMark:
      soft > 0 ? Math.min(soft, MAX_SOCKET_BUFFER) : MAX_SOCKET_BUFFER
  };
  const server: Server = tls
    ? createTlsServer({
        ...serverOptions,
        ...secureContextOptions(tls.credentials),
        handshakeTimeout: tls.handshakeTimeoutMs,
        requestCert: tls.clientAuth,
        rejectUnauthorized: tls.clientAuth
      })
    : createServer(serverOptions);

  if (tls) {
    server.on('connection', (raw: Socket) => {
      const { remoteAddress, remotePort } = raw;
      if (remoteAddress === undefined || remotePort === undefined) return;
      const key = formatAddress(remoteAddress, remotePort);
      handshaking.set(key, raw);
      raw.once('close', () => {
        if (handshaking.get(key) === raw) handshaking.delete(key);
      });
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      // Node leaves a timed-out handshake's socket open: end it here, for
      // every failure, so none outlives the handshake timeout.
      socket.destroy();
      const reason = classifyHandshakeError(err);
      handshakeFailures[reason] += 1;
      const { remoteAddress, remotePort } = socket;
      tls.onHandshakeFailure?.(
        remoteAddress === undefined || remotePort === undefined
          ? 'unknown'
          : formatAddress(remoteAddress, remotePort),
        reason
      );
    });
  }

  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    const { remoteAddress, remotePort } = socket;
    // Reset before 'connection' fired: the address is gone, so is the peer.
    if (remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    const remote = formatAddress(remoteAddress, remotePort);
    // Its handshake is over: stopping accepting must not cut it now.
    handshaking.delete(remote);
    sockets.set(socket, null);
    unfinished.add(socket);
    const refusal = admission.admit(remoteAddress);
    // `on`, not `once`: each fires once anyway, and `once` costs a wrapper
    // and a bound function per socket (docs/performance.md, "Memory").
    socket.on('finish', () => {
      unfinished.delete(socket);
      notify();
    });
    socket.on('close', () => {
      sockets.delete(socket);
      unfinished.delete(socket);
      if (refusal === null) admission.release(remoteAddress);
      notify();
    });
    if (refusal !== null) {
      refuse(socket, formatRefusal(refusal, remoteAddress, limits));
      options.onRefused(remote, refusal);
      return;
    }
    if (limits.keepAliveMs > 0) socket.setKeepAlive(true, limits.keepAliveMs);
    const connection = new TcpConnection(socket, {
      remote,
      transport: tls ? 'tls' : 'tcp',
      limits,
      counters
    });
    sockets.set(socket, connection);
    options.onConnection(connection);
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

  return {
    host: options.host,
    port,
    transport: tls ? 'tls' : 'tcp',
    handshakeFailures,
    setCredentials: (credentials) => {
      if (!tls) throw new Error('setCredentials: this listener is plain TCP');
      (server as ReturnType<typeof createTlsServer>).setSecureContext(
        secureContextOptions(credentials)
      );
    },
    stopAccepting: () => {
      server.close();
      // Handshakes under way never get in now: drop them.
      for (const raw of handshaking.values()) raw.destroy();
    },
    openSockets: () => sockets.size,
    counters,
    finished: (timeoutMs) =>
      waitFor(() => unfinished.size === 0, watchers, timeoutMs),
    resetUnfinished: () =>
      resetOwing(
        [...unfinished].map((socket) => ({
          socket,
          owed: sockets.get(socket)?.queuedBytes ?? socket.writableLength,
          close: () => socket.destroy()
        }))
      ),
    closeAll: (lingerMs) => {
      for (const raw of handshaking.values()) raw.destroy();
      closeWhenQuiet(sockets.keys(), (socket) => socket.destroy(), lingerMs);
      return waitFor(() => sockets.size === 0, watchers, 2 * lingerMs);
    },
    destroyAll: () => {
      for (const raw of handshaking.values()) raw.destroy();
      for (const socket of sockets.keys()) socket.destroy();
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
