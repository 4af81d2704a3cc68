import type { Duplex } from 'node:stream';
import { LINGER_MS } from '../protocol/constants.js';

/** The send-queue limits of one connection (see `Limits`). */
export interface OutboundLimits {
  /** Unsent bytes before giving up on the peer; 0 = no limit. */
  sendQueueBytes: number;
  /** Unsent bytes above which input is held; 0 = never. */
  sendQueueSoftBytes: number;
  /** No progress for this long while bytes are owed: give up; 0 = off. */
  stallTimeoutMs: number;
}

/** Why the outbound path gave up on a peer. */
export type SlowReason = 'overflow' | 'stall';

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
 * next tick). Over the soft mark the connection holds its input; over the
 * hard limit, or with no progress for the stall timeout, it gives up on the
 * peer: the backlog (bytes the socket never took) is dropped, so a final
 * error line can still get through soon. [CHAT-SLOW-1]
 */
export class Outbound {
  readonly #socket: Duplex;
  readonly #limits: OutboundLimits;
  readonly #hooks: OutboundHooks;
  // A queue with a moving head: Array#shift is O(n) and a backlog can hold
  // tens of thousands of lines.
  #backlog: Buffer[] = [];
  #head = 0;
  #backlogBytes = 0;
  /** Bytes handed to the socket so far; progress is this minus its buffer. */
  #handed = 0;
  #corked = false;
  #holding = false;
  #abandoned = false;
  #ending = false;
  #watchdog: NodeJS.Timeout | null = null;
  #flushedAtCheck = 0;
  #linger: NodeJS.Timeout | null = null;

  constructor(socket: Duplex, limits: OutboundLimits, hooks: OutboundHooks) {
    this.#socket = socket;
    this.#limits = limits;
    this.#hooks = hooks;
    socket.on('drain', () => this.#onDrain());
  }

  /** Bytes owed to the peer and not yet flushed to the kernel. */
  get queuedBytes(): number {
    return this.#socket.writableLength + this.#backlogBytes;
  }

  /** Queues bytes for the peer; ignored once the connection gave up or is ending. */
  write(data: Buffer | string): void {
    if (this.#abandoned || this.#ending || !this.#socket.writable) return;
    this.#queue(data);
    this.#checkMarks();
  }

  /**
   * Flushes what is queued, then `farewell` if given, then closes our side.
   * Once everything is handed to the kernel the peer has `LINGER_MS` to
   * close; a peer we gave up on gets only that, from now.
   */
  end(farewell?: string): void {
    if (this.#ending) return;
    this.#ending = true;
    // The farewell only waits behind the backlog, not for 'drain': it is
    // the last write, and a peer we gave up on has no backlog left.
    if (farewell !== undefined && this.#socket.writable)
      this.#queue(farewell, false);
    if (this.#abandoned) this.#armLinger();
    if (this.#head >= this.#backlog.length) this.#finish();
  }

  /** Clears every timer and drops the backlog; call once the socket closed. */
  dispose(): void {
    this.#clearWatchdog();
    if (this.#linger !== null) clearTimeout(this.#linger);
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
      process.nextTick(() => this.#uncork());
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
    if (this.#holding && !this.#abandoned) this.#releaseIfCaughtUp();
  };

  #releaseIfCaughtUp(): void {
    if (this.queuedBytes > this.#limits.sendQueueSoftBytes / 2) return;
    this.#holding = false;
    this.#hooks.backpressure(false);
  }

  #uncork(): void {
    this.#corked = false;
    this.#socket.uncork();
    if (
      this.#limits.stallTimeoutMs > 0 &&
      this.#watchdog === null &&
      this.queuedBytes > 0
    )
      this.#armWatchdog();
  }

  #checkMarks(): void {
    const queued = this.queuedBytes;
    const { sendQueueBytes: hard, sendQueueSoftBytes: soft } = this.#limits;
    if (hard > 0 && queued > hard) {
      this.#giveUp('overflow', queued);
    } else if (soft > 0 && !this.#holding && queued > soft) {
      this.#holding = true;
      this.#hooks.backpressure(true);
    }
  }

  #onDrain(): void {
    // The socket's buffer is empty: release input if little is left, then
    // refill the socket from the backlog.
    if (this.#holding && !this.#abandoned) this.#releaseIfCaughtUp();
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

  #giveUp(why: SlowReason, queuedBytes: number): void {
    this.#abandoned = true;
    this.#dropBacklog();
    this.#clearWatchdog();
    if (this.#ending) this.#socket.destroy();
    else this.#hooks.slow(why, queuedBytes);
  }

  #armWatchdog(): void {
    this.#flushedAtCheck = this.#handed - this.#socket.writableLength;
    this.#watchdog = setTimeout(
      () => this.#checkProgress(),
      this.#limits.stallTimeoutMs
    );
    this.#watchdog.unref();
  }

  #checkProgress(): void {
    this.#watchdog = null;
    const queued = this.queuedBytes;
    if (queued === 0 || this.#abandoned) return;
    const flushed = this.#handed - this.#socket.writableLength;
    if (flushed > this.#flushedAtCheck) this.#armWatchdog();
    else this.#giveUp('stall', queued);
  }

  #clearWatchdog(): void {
    if (this.#watchdog !== null) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }

  #armLinger(): void {
    if (this.#linger !== null || this.#socket.destroyed) return;
    this.#linger = setTimeout(() => this.#socket.destroy(), LINGER_MS);
    this.#linger.unref();
  }

  #dropBacklog(): void {
    this.#backlog = [];
    this.#head = 0;
    this.#backlogBytes = 0;
  }
}
