// The chaos proxy is a client-side tool (like src/tools/peers/peer.ts): it may import node:net.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createRng, type Rng } from '../peers/rng.js';
import { createLane, type Lane, type LanePolicy } from './proxy-lane.js';
import {
  validateProxyOptions,
  type ProxyMode,
  type ProxyOptions
} from './proxy-options.js';

export type { ProxyMode, ProxyOptions } from './proxy-options.js';

/** A running loopback proxy. */
export interface ChaosProxy {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /**
   * Connections piped since the start (refused ones not counted), bytes
   * forwarded each way, and bytes swallowed by a black hole.
   */
  stats(): {
    connections: number;
    bytesToServer: number;
    bytesToClient: number;
    swallowed: number;
  };
  /** Closes the listener and every piped pair; resolves once all are closed. */
  close(): Promise<void>;
}

const PROXY_HOST = '127.0.0.1';
const CONNECT_TIMEOUT_MS = 5000;

type Direction = 'to-server' | 'to-client';

/** A lane's own seed: the same (seed, connection, direction) gives the same delays. */
function laneRng(seed: number, index: number, direction: Direction): Rng {
  const salt = direction === 'to-server' ? 0 : 0x85ebca6b;
  return createRng((seed ^ Math.imul(index + 1, 0x9e3779b1) ^ salt) >>> 0);
}

function policyFor(
  mode: ProxyMode,
  rng: Rng,
  direction: Direction,
  acceptedAt: number
): LanePolicy {
  if (mode.kind === 'latency') {
    const { delayMs, jitterMs } = mode;
    return {
      delayMs: () => Math.max(0, delayMs + (rng.next() * 2 - 1) * jitterMs),
      swallowing: () => false
    };
  }
  const hits = mode.direction === 'both' || mode.direction === direction;
  return {
    delayMs: () => 0,
    swallowing: () => hits && performance.now() - acceptedAt >= mode.afterMs
  };
}

/** Resets a socket (RST), or just destroys it while it is still connecting. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * Starts a TCP proxy on 127.0.0.1 (a free port) in front of `target`: each
 * accepted client gets its own connection to the target, piped both ways
 * through the fault `mode`. A FIN is passed on after the bytes before it; a
 * reset (or any socket error) on one side resets the other; a close closes
 * the other. Nothing is buffered without bound: a lane pauses its source while
 * its destination wants a drain or it holds 1 MiB (latency).
 *
 * @example
 * const proxy = await startProxy({
 *   target: { host: '127.0.0.1', port: 3333 },
 *   mode: { kind: 'latency', delayMs: 50, jitterMs: 20 },
 *   seed: 7
 * });
 * // connect clients to proxy.port ...
 * await proxy.close();
 */
export async function startProxy(options: ProxyOptions): Promise<ChaosProxy> {
  const maxConnections = validateProxyOptions(options);
  const { target, mode, seed } = options;
  const totals = {
    connections: 0,
    bytesToServer: 0,
    bytesToClient: 0,
    swallowed: 0
  };
  const sockets = new Set<Socket>();
  const lanes = new Set<Lane>();
  let pairs = 0;
  let closing = false;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const pipe = (client: Socket): void => {
    const index = totals.connections;
    totals.connections += 1;
    pairs += 1;
    const acceptedAt = performance.now();
    const server = connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true
    });
    track(server);
    const lane = (source: Socket, dest: Socket, direction: Direction): Lane => {
      const made = createLane(
        source,
        dest,
        policyFor(mode, laneRng(seed, index, direction), direction, acceptedAt),
        {
          forwarded: (n) => {
            if (direction === 'to-server') totals.bytesToServer += n;
            else totals.bytesToClient += n;
          },
          swallowed: (n) => {
            totals.swallowed += n;
          }
        }
      );
      lanes.add(made);
      return made;
    };
    const toServer = lane(client, server, 'to-server');
    const toClient = lane(server, client, 'to-client');
    const connectTimer = setTimeout(
      () => resetSocket(server),
      CONNECT_TIMEOUT_MS
    );
    connectTimer.unref();

    // Either side failing (a reset, a refused connect) resets the other.
    const failed = (other: Socket) => (): void => {
      toServer.clear();
      toClient.clear();
      resetSocket(other);
    };
    client.on('error', failed(server));
    server.on('error', failed(client));
    client.on('data', (chunk: Buffer) => toServer.push(chunk));
    server.on('data', (chunk: Buffer) => toClient.push(chunk));
    client.on('end', () => toServer.end());
    server.on('end', () => toClient.end());
    client.once('close', (hadError) => {
      if (!hadError) toServer.finish();
    });
    server.once('close', (hadError) => {
      clearTimeout(connectTimer);
      if (!hadError) toClient.finish();
    });
    let open = 2;
    const oneClosed = (): void => {
      open -= 1;
      if (open > 0) return;
      pairs -= 1;
      lanes.delete(toServer);
      lanes.delete(toClient);
    };
    client.once('close', oneClosed);
    server.once('close', oneClosed);
    server.once('connect', () => {
      clearTimeout(connectTimer);
      // Accepted paused (pauseOnConnect): nothing is read before there is
      // somewhere to put it.
      client.resume();
    });
  };

  const listener = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  listener.on('connection', (client: Socket) => {
    track(client);
    client.setNoDelay(true);
    if (closing || pairs >= maxConnections) {
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, PROXY_HOST, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  // A late listener error (none is expected once listening) must not crash.
  listener.on('error', () => undefined);
  const { port } = listener.address() as AddressInfo;

  return {
    host: PROXY_HOST,
    port,
    stats: () => ({ ...totals }),
    close: async () => {
      closing = true;
      const listenerClosed = new Promise<void>((resolve) =>
        listener.close(() => resolve())
      );
      for (const lane of lanes) lane.clear();
      const all = [...sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.closed) resolve();
            else socket.once('close', () => resolve());
            socket.destroy();
          })
      );
      await Promise.all([listenerClosed, ...all]);
    }
  };
}
