import type { OutboundLimits, SlowReason } from './outbound.js';

/** The timers in-memory transport runs on: a virtual clock in replay. */
export interface ConnectionTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

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
 * transcript. Over the soft mark input is held; over the hard mark, or with
 * no progress for the stall timeout, the owed lines are dropped and the
 * connection told. [CHAT-SLOW-1]
 */
export class MemoryOutbound {
  readonly #limits: OutboundLimits;
  readonly #timers: ConnectionTimers;
  readonly #hooks: MemoryOutboundHooks;
  #owed: Buffer[] = [];
  #owedBytes = 0;
  /** The first owed chunk is partly taken already (a cut line). */
  #headStarted = false;
  #delivered = 0;
  #received: Buffer[] = [];
  #reading = true;
  #budget = 0;
  #unread = 0;
  #holding = false;
  #abandoned = false;
  #ending = false;
  #peerGone = false;
  #watchdog: unknown = null;
  #deliveredAtCheck = 0;

  constructor(
    limits: OutboundLimits,
    timers: ConnectionTimers,
    hooks: MemoryOutboundHooks
  ) {
    this.#limits = limits;
    this.#timers = timers;
    this.#hooks = hooks;
  }

  /** Bytes owed to the peer and not yet taken by it. */
  get queuedBytes(): number {
    return this.#owedBytes;
  }

  /** True once it gave up on the peer. */
  get abandoned(): boolean {
    return this.#abandoned;
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
    if (this.#abandoned || this.#ending || this.#peerGone) return;
    this.#owe(data);
    this.#flush();
    this.#checkMarks();
  }

  /** Queues the last bytes, if any; the farewell too must make progress. */
  end(farewell?: Buffer): void {
    if (this.#ending) return;
    this.#ending = true;
    if (farewell !== undefined && !this.#peerGone) this.#owe(farewell);
    this.#flush();
    if (!this.#abandoned) this.#watchIfOwed();
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
    this.#flush();
    if (
      this.#holding &&
      this.#owedBytes <= this.#limits.sendQueueSoftBytes / 2
    ) {
      this.#holding = false;
      this.#hooks.backpressure(false);
    }
  }

  /** The peer closed or reset: nothing more reaches it. */
  peerGone(): void {
    this.#peerGone = true;
    this.#dropOwed();
  }

  /** Clears the watchdog and drops what is owed; call once closed. */
  dispose(): void {
    this.#clearWatchdog();
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
  #flush(): void {
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

  #checkMarks(): void {
    const queued = this.#owedBytes;
    const { sendQueueBytes: hard, sendQueueSoftBytes: soft } = this.#limits;
    if (hard > 0 && queued > hard) {
      this.#giveUp('overflow', queued);
      return;
    }
    if (soft > 0 && !this.#holding && queued > soft) {
      this.#holding = true;
      this.#hooks.backpressure(true);
    }
    this.#watchIfOwed();
  }

  /** A peer owed bytes must make progress within the stall timeout. */
  #watchIfOwed(): void {
    const stallMs = this.#limits.stallTimeoutMs;
    if (stallMs <= 0 || this.#owedBytes === 0 || this.#watchdog !== null)
      return;
    this.#deliveredAtCheck = this.#delivered;
    this.#watchdog = this.#timers.setTimeout(() => {
      this.#watchdog = null;
      this.#checkProgress();
    }, stallMs);
  }

  #checkProgress(): void {
    const queued = this.#owedBytes;
    if (queued === 0 || this.#abandoned) return;
    if (this.#delivered > this.#deliveredAtCheck) this.#watchIfOwed();
    else this.#giveUp('stall', queued);
  }

  #giveUp(why: SlowReason, queuedBytes: number): void {
    this.#abandoned = true;
    // As with the socket's own buffer under Outbound's backlog, the rest of
    // a line the peer has part of is kept: dropping it would merge that line
    // with the farewell. Only whole unsent lines are dropped.
    const rest = this.#headStarted ? this.#owed[0] : undefined;
    this.#dropOwed();
    if (rest !== undefined) {
      this.#owe(rest);
      this.#headStarted = true;
    }
    this.#clearWatchdog();
    if (this.#ending) this.#hooks.abort();
    else this.#hooks.slow(why, queuedBytes);
  }

  #clearWatchdog(): void {
    if (this.#watchdog !== null) this.#timers.clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }

  #dropOwed(): void {
    this.#owed = [];
    this.#owedBytes = 0;
    this.#headStarted = false;
  }
}
