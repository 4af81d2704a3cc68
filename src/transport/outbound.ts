import type { Duplex } from 'node:stream';
import { LINGER_MS } from '../protocol/constants.js';
import {
  SendLimits,
  type OutboundLimits,
  type SendPipe,
  type SlowReason
} from './send-limits.js';
import { systemTimers, type Timers } from './timers.js';

export type { OutboundLimits, SlowReason } from './send-limits.js';

/** What the outbound path tells its connection. */
export interface OutboundHooks {
  /** Unsent bytes crossed the soft mark (true), or fell back to half of it (false). */
  backpressure(on: boolean): void;
  /** Gave up on the peer: what was queued is dropped, later writes are ignored. */
  slow(why: SlowReason, queuedBytes: number): void;
  /** Bytes handed to the socket. */
  sent(bytes: number): void;
}

/**
 * The one outbound path of a connection: every byte for the peer goes
 * through `write`, which tracks what is not yet flushed to the kernel (the
 * socket's buffer plus our own backlog).
 *
 * ```
 *  write ──► socket buffer (up to its high-water mark) ──► kernel ──► peer
 *        └─► backlog, once the socket asks for 'drain'
 *            'drain' moves the backlog into the socket, one batch per turn
 * ```
 * Writes of one event-loop turn go out in one syscall (cork, uncork on the
 * next tick). The limits are `SendLimits`' (shared with the replay's
 * in-memory port): over the soft mark the connection holds its input; over
 * the hard limit, or with no progress for the stall timeout, it gives up on
 * the peer: the backlog (bytes the socket never took) is dropped, so a final
 * error line can still get through soon. [CHAT-SLOW-1]
 */
export class Outbound implements SendPipe {
  readonly #socket: Duplex;
  readonly #hooks: OutboundHooks;
  readonly #timers: Timers;
  readonly #limits: SendLimits;
  // A queue with a moving head: Array#shift is O(n) and a backlog can hold
  // tens of thousands of lines.
  #backlog: Buffer[] = [];
  #head = 0;
  #backlogBytes = 0;
  /** Bytes handed to the socket so far; progress is this minus its buffer. */
  #handed = 0;
  #corked = false;
  #ending = false;
  #linger: unknown = null;

  /** @param timers the stall watchdog's and the linger's; the system's by default. */
  constructor(
    socket: Duplex,
    limits: OutboundLimits,
    hooks: OutboundHooks,
    timers: Timers = systemTimers
  ) {
    this.#socket = socket;
    this.#hooks = hooks;
    this.#timers = timers;
    this.#limits = new SendLimits(limits, timers, this);
    socket.on('drain', () => this.#onDrain());
  }

  /** Bytes owed to the peer and not yet flushed to the kernel. */
  get queuedBytes(): number {
    return this.#socket.writableLength + this.#backlogBytes;
  }

  // SendPipe: what its SendLimits asks and tells.

  owedBytes(): number {
    return this.queuedBytes;
  }

  progress(): number {
    return this.#handed - this.#socket.writableLength;
  }

  backpressure(on: boolean): void {
    this.#hooks.backpressure(on);
  }

  dropQueued(): void {
    this.#dropBacklog();
  }

  slow(why: SlowReason, queuedBytes: number): void {
    this.#hooks.slow(why, queuedBytes);
  }

  abort(): void {
    this.#socket.destroy();
  }

  /** Queues bytes for the peer; ignored once the connection gave up or is ending. */
  write(data: Buffer | string): void {
    if (this.#limits.abandoned || this.#ending || !this.#socket.writable)
      return;
    this.#queue(data);
    this.#limits.checkMarks(this.queuedBytes);
  }

  /**
   * Flushes what is queued, then `farewell` if given, then closes our side.
   * Once everything is handed to the kernel the peer has `LINGER_MS` to
   * close; a peer we gave up on gets only that, from now.
   */
  end(farewell?: string): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#limits.end();
    // The farewell only waits behind the backlog, not for 'drain': it is
    // the last write, and a peer we gave up on has no backlog left.
    if (farewell !== undefined && this.#socket.writable)
      this.#queue(farewell, false);
    if (this.#limits.abandoned) this.#armLinger();
    if (this.#head >= this.#backlog.length) this.#finish();
  }

  /** Clears every timer and drops the backlog; call once the socket closed. */
  dispose(): void {
    this.#limits.dispose();
    if (this.#linger !== null) this.#timers.clearTimeout(this.#linger);
    this.#linger = null;
    this.#dropBacklog();
  }

  /** Into the socket, or behind what waits (for 'drain' too, by default); in order either way. */
  #queue(data: Buffer | string, waitForDrain = true): void {
    // Bytes, not strings: the socket counts a string's length in UTF-16
    // units, and every count here is in bytes.
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (
      this.#head < this.#backlog.length ||
      (waitForDrain && this.#socket.writableNeedDrain)
    ) {
      this.#backlog.push(bytes);
      this.#backlogBytes += bytes.length;
    } else {
      this.#handOver(bytes);
    }
  }

  #handOver(data: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#socket.write(data, this.#afterFlush);
    this.#handed += data.length;
    this.#hooks.sent(data.length);
  }

  /**
   * Called as each write reaches the kernel. 'drain' alone is not enough to
   * release input: the last refill may leave the socket below its
   * high-water mark, and then no 'drain' follows.
   */
  readonly #afterFlush = (): void => {
    this.#limits.releaseIfCaughtUp();
  };

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
    this.#limits.watch();
  };

  #onDrain(): void {
    // The socket's buffer is empty: release input if little is left, then
    // refill the socket from the backlog.
    this.#limits.releaseIfCaughtUp();
    while (
      this.#head < this.#backlog.length &&
      !this.#socket.writableNeedDrain
    ) {
      const data = this.#backlog[this.#head] as Buffer;
      this.#head += 1;
      this.#backlogBytes -= data.length;
      this.#handOver(data);
    }
    if (this.#head >= this.#backlog.length) {
      this.#backlog = [];
      this.#head = 0;
      if (this.#ending) this.#finish();
    }
  }

  #finish(): void {
    if (!this.#socket.writable) return;
    this.#socket.once('finish', () => this.#armLinger());
    this.#socket.end();
  }

  #armLinger(): void {
    if (this.#linger !== null || this.#socket.destroyed) return;
    this.#linger = this.#timers.setTimeout(
      () => this.#socket.destroy(),
      LINGER_MS
    );
  }

  #dropBacklog(): void {
    this.#backlog = [];
    this.#head = 0;
    this.#backlogBytes = 0;
  }
}
