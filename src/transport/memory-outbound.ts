import {
  SendLimits,
  type OutboundLimits,
  type SlowReason
} from './send-limits.js';
import type { Timers } from './timers.js';

/** The timers in-memory transport runs on: a virtual clock in replay. */
export type ConnectionTimers = Timers;

/** What the in-memory outbound path tells its connection. */
export interface MemoryOutboundHooks {
  /** Owed bytes crossed the soft mark (true), or the peer caught up (false). */
  backpressure(on: boolean): void;
  /** Gave up on the peer while open: owed lines dropped, later writes ignored. */
  slow(why: SlowReason, queuedBytes: number): void;
  /** Gave up on the peer while ending: the connection closes at once. */
  abort(): void;
}

/**
 * `Outbound` for a peer played in memory: bytes are owed until the peer
 * takes them, at once while it reads, else up to its receive window
 * (`budget`, what its kernel would still buffer). What the peer took is its
 * transcript. The limits are `Outbound`'s own `SendLimits`: over the soft
 * mark input is held; over the hard mark, or with no progress for the stall
 * timeout, the owed lines are dropped and the connection told. [CHAT-SLOW-1]
 * Only how bytes move differs from `Outbound`.
 */
export class MemoryOutbound {
  readonly #limits: SendLimits;
  #owed: Buffer[] = [];
  #owedBytes = 0;
  /** The first owed chunk is partly taken already (a cut line). */
  #headStarted = false;
  #delivered = 0;
  #received: Buffer[] = [];
  #reading = true;
  #budget = 0;
  #unread = 0;
  #ending = false;
  #peerGone = false;

  constructor(
    limits: OutboundLimits,
    timers: ConnectionTimers,
    hooks: MemoryOutboundHooks
  ) {
    this.#limits = new SendLimits(limits, timers, {
      owedBytes: () => this.#owedBytes,
      progress: () => this.#delivered,
      backpressure: (on) => hooks.backpressure(on),
      dropQueued: () => this.#dropUnsent(),
      slow: (why, queuedBytes) => hooks.slow(why, queuedBytes),
      abort: () => hooks.abort()
    });
  }

  /** Bytes owed to the peer and not yet taken by it. */
  get queuedBytes(): number {
    return this.#owedBytes;
  }

  /** True once it gave up on the peer. */
  get abandoned(): boolean {
    return this.#limits.abandoned;
  }

  /** False while the peer does not read. */
  get reading(): boolean {
    return this.#reading;
  }

  /** Bytes the peer took while not reading, and has not read yet. */
  get unread(): number {
    return this.#unread;
  }

  /** Queues bytes; ignored once it gave up, is ending, or the peer is gone. */
  write(data: Buffer): void {
    if (this.#limits.abandoned || this.#ending || this.#peerGone) return;
    this.#owe(data);
    this.#deliver();
    this.#limits.checkMarks(this.#owedBytes);
    this.#limits.watch();
  }

  /** Queues the last bytes, if any; the farewell too must make progress. */
  end(farewell?: Buffer): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#limits.end();
    if (farewell !== undefined && !this.#peerGone) this.#owe(farewell);
    this.#deliver();
    this.#limits.watch();
  }

  /** The peer stops reading; its receive window still takes `budget` bytes. */
  stopReading(budget: number): void {
    this.#reading = false;
    this.#budget = Math.max(0, budget);
  }

  /** The peer reads again: everything owed reaches it. */
  resumeReading(): void {
    this.#reading = true;
    this.#unread = 0;
    this.#deliver();
    this.#limits.releaseIfCaughtUp();
  }

  /** The peer closed or reset: nothing more reaches it. */
  peerGone(): void {
    this.#peerGone = true;
    this.#dropOwed();
  }

  /** Clears the watchdog and drops what is owed; call once closed. */
  dispose(): void {
    this.#limits.dispose();
    this.#dropOwed();
  }

  /** Every complete line the peer took, without `\n`. */
  transcript(): string[] {
    const text = Buffer.concat(this.#received).toString('utf8');
    return text.split('\n').slice(0, -1);
  }

  /** Bytes after the last `\n` the peer took (a cut line). */
  partialLine(): string {
    const text = Buffer.concat(this.#received).toString('utf8');
    return text.slice(text.lastIndexOf('\n') + 1);
  }

  #owe(bytes: Buffer): void {
    this.#owed.push(bytes);
    this.#owedBytes += bytes.length;
  }

  /** Moves owed bytes to the peer as far as it takes them. */
  #deliver(): void {
    // Bounded by the owed chunks: each pass delivers or splits one.
    while (this.#owed.length > 0) {
      const head = this.#owed[0] as Buffer;
      const room = this.#reading ? head.length : this.#budget;
      if (room === 0) break;
      const whole = room >= head.length;
      const part = whole ? head : head.subarray(0, room);
      if (whole) this.#owed.shift();
      else this.#owed[0] = head.subarray(room);
      this.#headStarted = !whole;
      if (!this.#reading) {
        this.#budget -= part.length;
        this.#unread += part.length;
      }
      this.#owedBytes -= part.length;
      this.#delivered += part.length;
      this.#received.push(part);
    }
  }

  /**
   * Giving up: as with the socket's own buffer under `Outbound`'s backlog,
   * the rest of a line the peer has part of is kept: dropping it would
   * merge that line with the farewell. Only whole unsent lines are dropped.
   */
  #dropUnsent(): void {
    const rest = this.#headStarted ? this.#owed[0] : undefined;
    this.#dropOwed();
    if (rest !== undefined) {
      this.#owe(rest);
      this.#headStarted = true;
    }
  }

  #dropOwed(): void {
    this.#owed = [];
    this.#owedBytes = 0;
    this.#headStarted = false;
  }
}
