/**
 * A small round-robin TCP load balancer for tests: listens on 127.0.0.1 (a
 * free port) and pipes each accepted connection to the next backend, both
 * ways, as a plain proxy does. A FIN is passed on as a half-close after the
 * bytes before it, a reset (or any socket error) on one side resets the
 * other, and closing the balancer destroys everything.
 *
 * A chat node behind it sees the balancer's outgoing address, not the
 * client's, and shows that address to everyone (`[127.0.0.1:X] hi`), as
 * behind any TCP load balancer.
 */
import {
  connect,
  createServer,
  type AddressInfo,
  type Server,
  type Socket
} from 'node:net';

/** Where a balancer sends connections. */
export interface Backend {
  readonly host: string;
  readonly port: number;
}

/** A running balancer. */
export interface Balancer {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** Connections piped to each backend so far, in the order of `backends`. */
  perBackend(): number[];
  /** Closes the listener and destroys every piped pair; resolves once all are closed. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Resets a socket (RST), or just destroys it while it is still connecting. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * Pipes `source` into `dest` with backpressure, and ends `dest` (after the
 * bytes) when `source` sends FIN.
 */
function lane(source: Socket, dest: Socket): void {
  source.on('data', (chunk: Buffer) => {
    if (dest.destroyed) return;
    if (!dest.write(chunk)) {
      source.pause();
      dest.once('drain', () => source.resume());
    }
  });
  source.on('end', () => {
    if (!dest.destroyed) dest.end();
  });
}

/**
 * Starts a round-robin balancer on 127.0.0.1 in front of `backends`. A
 * backend that refuses a connection is skipped for that connection (the next
 * is tried; the client's bytes wait, unread, until one accepts).
 *
 * @example
 * const lb = await startBalancer(nodes.map((port) => ({ host: '127.0.0.1', port })));
 * // clients connect to lb.port ...
 * await lb.close();
 */
export async function startBalancer(
  backends: readonly Backend[]
): Promise<Balancer> {
  if (backends.length === 0) throw new Error('startBalancer: no backends');
  const counts = backends.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  let closing = false;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  /** The node-side socket of each client, once there is one. */
  const paired = new Map<Socket, Socket>();

  /**
   * The local ports of the connections to the backends that are open now.
   * Each connection gets its own, whichever backend it goes to: a client
   * is known by its address, and the kernel would happily give two
   * connections to two nodes the same port, which would make two members
   * of the cluster one ADDR at once.
   */
  const localPorts = new Set<number>();
  const freeLocalPort = (): number => {
    for (;;) {
      const port = 20_000 + Math.floor(Math.random() * 40_000);
      if (!localPorts.has(port)) return port;
    }
  };

  const pipe = (client: Socket, tries: number, binds = 20): void => {
    const index = next % backends.length;
    next += 1;
    const backend = backends[index] as Backend;
    const localPort = freeLocalPort();
    localPorts.add(localPort);
    const server = connect({
      host: backend.host,
      port: backend.port,
      localAddress: HOST,
      localPort,
      allowHalfOpen: true,
      noDelay: true
    });
    server.once('close', () => localPorts.delete(localPort));
    track(server);
    paired.set(client, server);
    let connected = false;
    server.once('connect', () => {
      connected = true;
      counts[index] = (counts[index] ?? 0) + 1;
      lane(client, server);
      lane(server, client);
      // Accepted paused (pauseOnConnect): nothing is read before there is
      // somewhere to put it.
      client.resume();
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && err.code === 'ECONNREFUSED' && tries > 1 && !closing) {
        pipe(client, tries - 1, binds);
        return;
      }
      // The port was taken by another program: another one, before any
      // byte reached a backend.
      const taken = err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL';
      if (!connected && taken && binds > 1 && !closing) {
        next -= 1;
        pipe(client, tries, binds - 1);
        return;
      }
      resetSocket(client);
    });
    server.once('close', (hadError) => {
      // Closed cleanly: both FINs went through the lanes already (or the
      // client is gone); let the client take what is queued, then go.
      if (connected && !hadError && !client.destroyed)
        client.end(() => client.destroy());
    });
  };

  const accept = (client: Socket): void => {
    track(client);
    client.setNoDelay(true);
    // Either side failing (a reset, a refused connect) resets the other.
    client.on('error', () => {
      const server = paired.get(client);
      if (server !== undefined) resetSocket(server);
    });
    client.once('close', (hadError) => {
      const server = paired.get(client);
      paired.delete(client);
      if (server === undefined || server.destroyed) return;
      if (hadError) resetSocket(server);
      else server.end(() => server.destroy());
    });
    // A client reset before 'connection' has no address left (docs/facts.md):
    // there is nothing to forward, as a node would drop it unannounced.
    if (closing || client.remoteAddress === undefined) {
      client.destroy();
      return;
    }
    pipe(client, backends.length);
  };

  const listener: Server = createServer({
    allowHalfOpen: true,
    pauseOnConnect: true
  });
  listener.on('connection', accept);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, HOST, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  listener.on('error', () => undefined);
  const { port } = listener.address() as AddressInfo;

  return {
    host: HOST,
    port,
    perBackend: () => [...counts],
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) =>
        listener.close(() => resolve())
      );
      const all = [...sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.closed) resolve();
            else socket.once('close', () => resolve());
            socket.destroy();
          })
      );
      await Promise.all([closed, ...all]);
    }
  };
}
