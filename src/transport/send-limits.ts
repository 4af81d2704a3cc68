import type { Timers } from './timers.js';

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

/**
 * The path that moves a connection's bytes, as the send limits see it:
 * what is owed, what got through, and what to do when a limit is reached.
 * The outbound paths implement it themselves, as methods: a pipe object of
 * closures would cost every connection about 0.5 KB (docs/performance.md,
 * "Where the bytes go").
 */
export interface SendPipe {
  /** Bytes owed to the peer and not yet taken (flushed to the kernel, or read). */
  owedBytes(): number;
  /** Bytes that got through so far; the stall watchdog wants it to grow. */
  progress(): number;
  /** Owed bytes crossed the soft mark (true), or fell back to half of it (false). */
  backpressure(on: boolean): void;
  /** Giving up: drop the owed bytes that can still be dropped. */
  dropQueued(): void;
  /** Gave up on the peer while open: the connection should leave. */
  slow(why: SlowReason, queuedBytes: number): void;
  /** Gave up on the peer while ending: close at once. */
  abort(): void;
}

/**
 * The send policy of one connection, written once for every transport
 * (`Outbound` over a socket, the replay's `MemoryOutbound`): over the soft
 * mark input is held, and released once at most half of it is owed; over
 * the hard mark, or with no progress for the stall timeout while bytes are
 * owed, it gives up on the peer: what can be dropped is dropped, and the
 * connection is told (`slow`), or closed at once if it is already ending
 * (`abort`). After giving up, writes are the pipe's to ignore. [CHAT-SLOW-1]
 */
export class SendLimits {
  readonly #limits: OutboundLimits;
  readonly #timers: Timers;
  readonly #pipe: SendPipe;
  #holding = false;
  #abandoned = false;
  #ending = false;
  #watchdog: unknown = null;
  #progressAtCheck = 0;
  readonly #onWatchdog = (): void => this.#checkProgress();

  constructor(limits: OutboundLimits, timers: Timers, pipe: SendPipe) {
    this.#limits = limits;
    this.#timers = timers;
    this.#pipe = pipe;
  }

  /** True once it gave up on the peer. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /**
   * After bytes were queued, with what is owed now: over the hard mark it
   * gives up, over the soft mark it holds input (once).
   */
  checkMarks(queued: number): void {
    if (this.#abandoned) return;
    const { sendQueueBytes: hard, sendQueueSoftBytes: soft } = this.#limits;
    if (hard > 0 && queued > hard) {
      this.#giveUp('overflow', queued);
    } else if (soft > 0 && !this.#holding && queued > soft) {
      this.#holding = true;
      this.#pipe.backpressure(true);
    }
  }

  /** After the peer took bytes: releases input once at most half the soft mark is owed. */
  releaseIfCaughtUp(): void {
    if (!this.#holding || this.#abandoned) return;
    if (this.#pipe.owedBytes() > this.#limits.sendQueueSoftBytes / 2) return;
    this.#holding = false;
    this.#pipe.backpressure(false);
  }

  /** Arms the stall watchdog if bytes are owed and none is armed. */
  watch(): void {
    if (
      this.#limits.stallTimeoutMs <= 0 ||
      this.#watchdog !== null ||
      this.#abandoned ||
      this.#pipe.owedBytes() === 0
    )
      return;
    this.#armWatchdog();
  }

  /** Our side is ending: giving up now closes at once instead of telling. */
  end(): void {
    this.#ending = true;
  }

  /** Clears the watchdog; call once the connection closed. */
  dispose(): void {
    this.#clearWatchdog();
  }

  #armWatchdog(): void {
    this.#progressAtCheck = this.#pipe.progress();
    this.#watchdog = this.#timers.setTimeout(
      this.#onWatchdog,
      this.#limits.stallTimeoutMs
    );
  }

  #checkProgress(): void {
    this.#watchdog = null;
    const queued = this.#pipe.owedBytes();
    if (queued === 0 || this.#abandoned) return;
    if (this.#pipe.progress() > this.#progressAtCheck) this.#armWatchdog();
    else this.#giveUp('stall', queued);
  }

  #giveUp(why: SlowReason, queued: number): void {
    this.#abandoned = true;
    this.#pipe.dropQueued();
    this.#clearWatchdog();
    if (this.#ending) this.#pipe.abort();
    else this.#pipe.slow(why, queued);
  }

  #clearWatchdog(): void {
    if (this.#watchdog !== null) this.#timers.clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }
}
