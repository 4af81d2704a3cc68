import { createServer, type Server, type Socket } from 'node:net';
import { ListenError, describeSystemError } from '../app/errors.js';
import { formatAddress } from './address.js';
import { TcpConnection } from './tcp-connection.js';

/** How the transport listens and frames. */
export interface TcpServerOptions {
  host: string;
  port: number;
  maxLineBytes: number;
  /** Called once per accepted socket, synchronously, with its port. */
  onConnection: (connection: TcpConnection) => void;
}

/** A listening TCP server and the sockets it has accepted. */
export interface TcpServer {
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting; open connections are untouched. */
  stopAccepting(): void;
  /** Open sockets right now. */
  openSockets(): number;
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
  const sockets = new Set<Socket>();
  const idleWaiters = new Set<() => void>();
  // allowHalfOpen: after the peer's FIN we still flush and close our side
  // ourselves, from the connection actor's `closed` state.
  const server = createServer({ allowHalfOpen: true, noDelay: true });

  server.on('connection', (socket) => {
    const { remoteAddress, remotePort } = socket;
    // Reset before 'connection' fired: the address is gone, so is the peer.
    if (remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    socket.setKeepAlive(true, 60_000);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const wake of idleWaiters) wake();
    });
    options.onConnection(
      new TcpConnection(socket, {
        remote: formatAddress(remoteAddress, remotePort),
        maxLineBytes: options.maxLineBytes
      })
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
    drained: (timeoutMs) => waitDrained(sockets, idleWaiters, timeoutMs),
    destroyAll: () => {
      for (const socket of sockets) socket.destroy();
    }
  };
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
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    waiters.add(wake);
  });
}
