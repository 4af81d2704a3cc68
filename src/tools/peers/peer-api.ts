/**
 * What a chaos/fault peer is, whatever its transport, and the slicing that
 * every transport shares (src/tools/peers/peer.ts connects one).
 */
import type { Socket } from 'node:net';
import type { LineInbox, LineMatch } from './line-inbox.js';
import type { Rng } from './rng.js';
import type {
  DialTarget,
  PeerTransport,
  PeerTransportKind
} from './transport.js';

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
export interface PeerOptions extends DialTarget {
  /** Connect timeout (default 5000 ms), handshakes included. */
  readonly timeoutMs?: number;
  /** Plain TCP when absent. */
  readonly transport?: PeerTransport;
}

/**
 * A real client with `\n` line framing that can also misbehave. Over
 * WebSocket (`ws`, `wss`) the bytes written are cut at each `\n` into text
 * messages, one per line, and a trailing piece without `\n` goes out as a
 * non-final fragment that the next write continues [CHAT-WS-1]; each
 * message received is one line.
 */
export interface Peer {
  /** The transport it speaks. */
  readonly transport: PeerTransportKind;
  /**
   * The socket under the protocol: the TCP socket, the TLS socket, or the
   * one carrying the WebSocket (writing on it bypasses the framing).
   */
  readonly socket: Socket;
  /** True once the connection is gone (the socket destroyed). */
  readonly destroyed: boolean;
  /** The peer as the server shows it: `127.0.0.1:PORT` or `[::1]:PORT`. [CHAT-ADDR-1] */
  readonly localAddr: string;
  /** Every complete line received so far, without its `\n`. */
  readonly lines: readonly string[];
  /** The first socket error seen, if any. */
  readonly error: Error | null;
  /** Resolves when the socket has closed (never rejects). */
  readonly closed: Promise<void>;
  /** Every byte received so far, as received (over WebSocket: each message and a `\n`). */
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
   * Over WebSocket one binary message (which a chat server refuses,
   * [CHAT-WS-4]); over a stream the same as `write`.
   */
  binary(raw: Buffer): Promise<void>;
  /**
   * Writes `data` in random pieces with random pauses between them, so the
   * server sees a line cut at every possible byte (over TLS each piece is
   * a record of its own; over WebSocket a frame); resolves when all is
   * written (or the connection is gone).
   */
  writeSliced(
    data: string | Buffer,
    rng: Rng,
    options?: SliceOptions
  ): Promise<void>;
  /** Sends FIN (TLS: close_notify then FIN; WebSocket: a close frame, 1000); the peer still reads until the server closes. */
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

/** The connect timeout when none is given. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** A peer's reading side over its inbox, whatever its transport. */
export function inboxReads(
  inbox: LineInbox
): Pick<Peer, 'lines' | 'bytes' | 'nextLine' | 'waitForLine'> {
  return {
    lines: inbox.lines,
    bytes: () => inbox.bytes(),
    nextLine: (timeout = DEFAULT_TIMEOUT_MS) => inbox.nextLine(timeout),
    waitForLine: (match, timeout = DEFAULT_TIMEOUT_MS) =>
      inbox.waitForLine(match, timeout)
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `writeSliced` over any `write`: random pieces, random pauses, until all
 * is written or `gone()`.
 */
export async function writeInSlices(
  write: (raw: Buffer) => Promise<void>,
  gone: () => boolean,
  data: string | Buffer,
  rng: Rng,
  slice: SliceOptions = {}
): Promise<void> {
  const { minPiece = 1, maxPiece = 7, maxDelayMs = 2 } = slice;
  if (minPiece < 1 || maxPiece < minPiece || maxDelayMs < 0) {
    throw new RangeError(`writeSliced: bad options ${JSON.stringify(slice)}`);
  }
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let at = 0; at < bytes.length && !gone();) {
    const end = Math.min(bytes.length, at + rng.int(minPiece, maxPiece));
    await write(bytes.subarray(at, end));
    at = end;
    if (at < bytes.length) await delay(rng.int(0, maxDelayMs));
  }
}
