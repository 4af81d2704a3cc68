// A client-side fault peer, not server transport: it may import node:net.
import { connect, type Socket } from 'node:net';
import { createLineInbox, type LineMatch } from './line-inbox.js';
import type { Rng } from './rng.js';

export type { LineMatch } from './line-inbox.js';

/** How `writeSliced` cuts its data; sizes in bytes, delays in ms. */
export interface SliceOptions {
  /** Smallest piece (default 1). */
  readonly minPiece?: number;
  /** Largest piece (default 7). */
  readonly maxPiece?: number;
  /** Longest pause between pieces (default 2); each pause is 0..this. */
  readonly maxDelayMs?: number;
}

/** Where a peer connects. */
export interface PeerOptions {
  readonly host: string;
  readonly port: number;
  /** Connect timeout (default 5000 ms). */
  readonly timeoutMs?: number;
  readonly family?: 4 | 6;
}

/** A real TCP client with `\n` line framing that can also misbehave. */
export interface Peer {
  /** The raw socket, for what the methods below don't cover. */
  readonly socket: Socket;
  /** The peer as the server shows it: `127.0.0.1:PORT` or `[::1]:PORT`. [CHAT-ADDR-1] */
  readonly localAddr: string;
  /** Every complete line received so far, without its `\n`. */
  readonly lines: readonly string[];
  /** The first socket error seen, if any. */
  readonly error: Error | null;
  /** Resolves when the socket has closed (never rejects). */
  readonly closed: Promise<void>;
  /** Every byte received so far, as received. */
  bytes(): Buffer;
  /** The next line not yet taken by `nextLine`/`waitForLine`. */
  nextLine(timeoutMs?: number): Promise<string>;
  /** Takes lines until one matches and returns it. */
  waitForLine(match: LineMatch, timeoutMs?: number): Promise<string>;
  /** Writes `text + '\n'`; resolves once handed to the kernel (or failed). */
  send(text: string): Promise<void>;
  /** Writes raw bytes; resolves once handed to the kernel (or failed). */
  write(raw: string | Buffer): Promise<void>;
  /**
   * Writes `data` in random pieces with random pauses between them, so the
   * server sees a line cut at every possible byte; resolves when all is
   * written (or the socket is gone).
   */
  writeSliced(
    data: string | Buffer,
    rng: Rng,
    options?: SliceOptions
  ): Promise<void>;
  /** Sends FIN; the peer still reads until the server closes. */
  end(): void;
  /** Same as `end()`: a half-close, named for fault scripts. */
  halfClose(): void;
  /**
   * Closes abortively: the server sees an RST (ECONNRESET), not a FIN. After
   * `end()` the FIN is out already, so this only destroys the socket.
   */
  reset(): void;
  /**
   * Stops reading, so the kernel receive window fills and the server's writes
   * back up (a slow consumer). No lines are taken until `resumeReading()`.
   */
  stopReading(): void;
  /** Reads again; what queued up meanwhile arrives as lines. */
  resumeReading(): void;
  /** Closes at once (usually a FIN, unread data may turn it into an RST). */
  destroy(): void;
}

const DEFAULT_TIMEOUT_MS = 5000;

function formatLocal(
  address: string | undefined,
  port: number | undefined
): string {
  if (address === undefined || port === undefined) return '(unbound)';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Connects and resolves once connected. Registers nothing: the caller
 * destroys the peer (normally from a cleanups list).
 *
 * @example
 * const peer = await connectPeer({ host: '127.0.0.1', port });
 * await peer.writeSliced('hello\n', createRng(7));
 * peer.reset();
 */
export function connectPeer(options: PeerOptions): Promise<Peer> {
  const { host, port, family, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, family, noDelay: true });
    let error: Error | null = null;
    let localAddr = '(unbound)';
    const inbox = createLineInbox(() => ({ name: localAddr, error }));

    socket.on('data', (chunk: Buffer) => inbox.receive(chunk));
    socket.on('error', (err) => {
      error ??= err;
    });
    const closed = new Promise<void>((resolveClosed) => {
      socket.once('close', () => {
        inbox.close();
        resolveClosed();
      });
    });

    const write = (raw: string | Buffer): Promise<void> =>
      new Promise((resolveWrite) => {
        if (socket.destroyed || !socket.writable) {
          resolveWrite();
          return;
        }
        socket.write(raw, () => resolveWrite());
      });

    const writeSliced = async (
      data: string | Buffer,
      rng: Rng,
      slice: SliceOptions = {}
    ): Promise<void> => {
      const { minPiece = 1, maxPiece = 7, maxDelayMs = 2 } = slice;
      if (minPiece < 1 || maxPiece < minPiece || maxDelayMs < 0) {
        throw new RangeError(
          `writeSliced: bad options ${JSON.stringify(slice)}`
        );
      }
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length && !socket.destroyed;) {
        const end = Math.min(bytes.length, at + rng.int(minPiece, maxPiece));
        await write(bytes.subarray(at, end));
        at = end;
        if (at < bytes.length) await delay(rng.int(0, maxDelayMs));
      }
    };

    const end = (): void => {
      socket.end();
    };

    const peer: Peer = {
      socket,
      get localAddr() {
        return localAddr;
      },
      lines: inbox.lines,
      get error() {
        return error;
      },
      closed,
      bytes: () => inbox.bytes(),
      nextLine: (timeout = DEFAULT_TIMEOUT_MS) => inbox.nextLine(timeout),
      waitForLine: (match, timeout = DEFAULT_TIMEOUT_MS) =>
        inbox.waitForLine(match, timeout),
      send: (text) => write(`${text}\n`),
      write,
      writeSliced,
      end,
      halfClose: end,
      reset: () => {
        // resetAndDestroy throws on a socket whose handle is already gone,
        // and never closes one that has sent its FIN (libuv refuses the
        // abortive close then): that one can only be destroyed.
        if (socket.destroyed) return;
        if (socket.writableEnded) socket.destroy();
        else socket.resetAndDestroy();
      },
      // pause() stops the handle's reads once Node's own small buffer is
      // full, so what the server writes piles up in the kernel, then in its
      // socket's writableLength: the slow consumer the fault suite needs.
      stopReading: () => {
        socket.pause();
      },
      resumeReading: () => {
        socket.resume();
      },
      destroy: () => {
        socket.destroy();
      }
    };

    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms connecting to ${host}:${port}`
        )
      );
    }, timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      localAddr = formatLocal(socket.localAddress, socket.localPort);
      resolve(peer);
    });
    socket.once('error', (err) => {
      if (!connected) {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}
