/**
 * A small round-robin TCP load balancer for tests: listens on 127.0.0.1 (a
 * free port) and pipes each accepted connection to the next backend, both
 * ways, as a plain proxy does. A FIN is passed on as a half-close after the
 * bytes before it, a reset (or any socket error) on one side resets the
 * other, and closing the balancer destroys everything.
 *
 * A chat node behind it sees the balancer's outgoing address, not the
 * client's, and shows that address to everyone (`[127.0.0.1:X] hi`). A
 * client that knows itself by its own local address (chat-chaos does: its
 * checks key every observer and faulty client by `peer.localAddr`) then
 * cannot find itself in the room. With `translate`, the balancer works like
 * a NAT helper: each outgoing connection gets its own source IP in
 * 127.0.0.0/8 (Linux only), and in the lines it passes to clients the
 * balancer writes each node-side address back as the client address it
 * stands for, at the three places the protocol puts an address
 * (docs/protocol.md [CHAT-ADDR-1]):
 *
 *   [127.1.0.7:X] text                →  [127.0.0.1:P] text
 *   New user 127.1.0.7:X entered (…   →  New user 127.0.0.1:P entered (…
 *   The user 127.1.0.7:X left (…      →  The user 127.0.0.1:P left (…
 *
 * Only whole lines are rewritten, so it holds a partial line (at most
 * MAX_HELD_LINE_BYTES; past that it passes bytes on as they are). Nothing
 * else changes: a merged or cut line stays merged or cut.
 */
import {
  connect,
  createServer,
  type AddressInfo,
  type Server,
  type Socket
} from 'node:net';
import { formatAddress } from '../../src/transport/address.js';

/** Where a balancer sends connections. */
export interface Backend {
  readonly host: string;
  readonly port: number;
}

/** Options for `startBalancer`. */
export interface BalancerOptions {
  /** Rewrite node-side addresses in lines to clients back to theirs (above). */
  readonly translate?: boolean;
}

/** A running balancer. */
export interface Balancer {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** Connections piped to each backend so far, in the order of `backends`. */
  perBackend(): number[];
  /** Addresses rewritten in lines to clients so far (`translate` only). */
  translated(): number;
  /** Closes the listener and destroys every piped pair; resolves once all are closed. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** The longest partial line `translate` holds back while waiting for its `\n`. */
export const MAX_HELD_LINE_BYTES = 64 * 1024;
/** How far into a line an address can start and end: `The user [v6]:port `. */
const PREFIX_BYTES = 80;
const NEWLINE = 0x0a;
// [CHAT-ADDR-1] as src/faults/room-line.ts reads it.
const ADDR = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]):\d{1,5}`;
const ADDRESSED = [
  new RegExp(`^\\[(${ADDR})\\] `),
  new RegExp(`^New user (${ADDR}) entered \\(`),
  new RegExp(`^The user (${ADDR}) left \\(`)
];

/** Resets a socket (RST), or just destroys it while it is still connecting. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * Node-side address → client address, for `translate`. Each outgoing
 * connection gets a source address of its own in 127.0.0.0/8 (Linux routes
 * the whole block to lo), so a node-side address names one client for the
 * whole run: ports alone would not, as the kernel reuses a closed
 * connection's port while its leave may still be on the way.
 */
class AddressBook {
  /** Source IP → the client address it stands for. */
  readonly #names = new Map<string, string>();
  #next = 0;
  count = 0;

  /** A fresh source IP for an outgoing connection standing for `client`. */
  take(client: string): string {
    // 127.1.0.1 on, skipping .0 and .255: 16 M addresses, far above any run.
    const n = this.#next;
    this.#next += 1;
    const ip = `127.${1 + Math.floor(n / (256 * 254))}.${Math.floor(n / 254) % 256}.${1 + (n % 254)}`;
    this.#names.set(ip, client);
    return ip;
  }

  /** `line` (without `\n`) with a node-side address we made rewritten. */
  rewrite(line: Buffer): Buffer {
    const head = line.subarray(0, PREFIX_BYTES).toString('latin1');
    for (const re of ADDRESSED) {
      const match = re.exec(head);
      const addr = match?.[1];
      if (match === null || addr === undefined) continue;
      const client = this.#names.get(addr.slice(0, addr.lastIndexOf(':')));
      if (client === undefined) return line;
      this.count += 1;
      const start = match[0].indexOf(addr);
      return Buffer.concat([
        line.subarray(0, start),
        Buffer.from(client, 'latin1'),
        line.subarray(start + addr.length)
      ]);
    }
    return line;
  }
}

/**
 * Pipes `source` into `dest` with backpressure, and ends `dest` (after the
 * bytes) when `source` sends FIN. With a `book`, whole lines go through its
 * `rewrite` and a partial one is held (bounded, above).
 */
function lane(source: Socket, dest: Socket, book: AddressBook | null): void {
  let held: Buffer = Buffer.alloc(0);
  // Past MAX_HELD_LINE_BYTES a line is passed through up to its `\n`.
  let raw = false;
  const write = (bytes: Buffer): void => {
    if (bytes.length === 0 || dest.destroyed) return;
    if (!dest.write(bytes)) {
      source.pause();
      dest.once('drain', () => source.resume());
    }
  };
  const rewrite = (chunk: Buffer): Buffer => {
    if (book === null) return chunk;
    const out: Buffer[] = [];
    let data = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    for (let end = data.indexOf(NEWLINE); end !== -1;) {
      const line = data.subarray(0, end);
      out.push(raw ? line : book.rewrite(line), data.subarray(end, end + 1));
      raw = false;
      data = data.subarray(end + 1);
      end = data.indexOf(NEWLINE);
    }
    if (raw || data.length > MAX_HELD_LINE_BYTES) {
      raw = true;
      out.push(data);
      data = Buffer.alloc(0);
    }
    held = Buffer.from(data);
    return Buffer.concat(out);
  };
  source.on('data', (chunk: Buffer) => write(rewrite(chunk)));
  source.on('end', () => {
    write(held);
    held = Buffer.alloc(0);
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
  backends: readonly Backend[],
  options: BalancerOptions = {}
): Promise<Balancer> {
  if (backends.length === 0) throw new Error('startBalancer: no backends');
  const counts = backends.map(() => 0);
  const sockets = new Set<Socket>();
  const book = options.translate === true ? new AddressBook() : null;
  let next = 0;
  let closing = false;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  /** The node-side socket of each client, once there is one. */
  const paired = new Map<Socket, Socket>();

  const pipe = (client: Socket, name: string, tries: number): void => {
    const index = next % backends.length;
    next += 1;
    const backend = backends[index] as Backend;
    const server = connect({
      host: backend.host,
      port: backend.port,
      allowHalfOpen: true,
      noDelay: true,
      ...(book === null ? {} : { localAddress: book.take(name) })
    });
    track(server);
    paired.set(client, server);
    let connected = false;
    server.once('connect', () => {
      connected = true;
      counts[index] = (counts[index] ?? 0) + 1;
      lane(client, server, null);
      lane(server, client, book);
      // Accepted paused (pauseOnConnect): nothing is read before there is
      // somewhere to put it.
      client.resume();
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && err.code === 'ECONNREFUSED' && tries > 1 && !closing) {
        pipe(client, name, tries - 1);
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
    // A client reset before 'connection' has no address left (FACTS.md):
    // there is nothing to forward, as a node would drop it unannounced.
    const { remoteAddress, remotePort } = client;
    if (closing || remoteAddress === undefined || remotePort === undefined) {
      client.destroy();
      return;
    }
    pipe(client, formatAddress(remoteAddress, remotePort), backends.length);
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
    translated: () => book?.count ?? 0,
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
