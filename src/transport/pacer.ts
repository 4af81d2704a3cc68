import type { EventOutlet, Inbound } from './event-outlet.js';
import { HOLD, type InputGate } from './input-gate.js';
import { TokenBucket } from './token-bucket.js';

/** Where the pacer counts the lines it delayed (the transport's counters). */
export interface PacedCount {
  pacedLines: number;
}

/**
 * Flood pacing of one connection's input, for every transport (TCP, TLS,
 * WebSocket): lines within the rate go to the outlet at once; lines over it
 * wait here, in order, while input is held (`HOLD.pacing`), so the peer's
 * sending is pushed back on, never dropped. [CHAT-IN-5] Events that arrive
 * while lines wait (an oversize report, the peer's end) wait behind them.
 */
export class Pacer {
  readonly #bucket: TokenBucket | null;
  readonly #outlet: EventOutlet;
  readonly #gate: InputGate;
  readonly #counters: PacedCount;
  /** Lines and events waiting, oldest first, from `#head` on. */
  #waiting: Inbound[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | null = null;

  /** @param floodRate lines per second; 0 = no pacing. */
  constructor(
    floodRate: number,
    floodBurst: number,
    outlet: EventOutlet,
    gate: InputGate,
    counters: PacedCount
  ) {
    this.#bucket =
      floodRate > 0 ? new TokenBucket(floodRate, floodBurst, Date.now) : null;
    this.#outlet = outlet;
    this.#gate = gate;
    this.#counters = counters;
  }

  /** True while something waits for a token. */
  get waiting(): boolean {
    return this.#head < this.#waiting.length;
  }

  /** Delivers now if the bucket allows and nothing waits; otherwise queues in order. */
  push(item: Inbound): void {
    const waiting = this.waiting;
    if (
      !waiting &&
      (item.type !== 'tcp.line' || this.#bucket === null || this.#bucket.take())
    ) {
      this.#outlet.push(item);
      return;
    }
    this.#waiting.push(item);
    if (item.type === 'tcp.line') this.#counters.pacedLines += 1;
    if (!waiting) {
      this.#gate.hold(HOLD.pacing);
      this.#arm();
    }
  }

  /** Drops what waits: it was never accepted (the connection is ending). [CHAT-IN-5] */
  clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#waiting = [];
    this.#head = 0;
  }

  #arm(): void {
    const wait = this.#bucket?.msUntilToken() ?? 0;
    this.#timer = setTimeout(() => this.#release(), wait);
  }

  #release(): void {
    this.#timer = null;
    let next = this.#waiting[this.#head];
    while (next !== undefined) {
      if (next.type === 'tcp.line' && this.#bucket?.take() === false) break;
      this.#head += 1;
      this.#outlet.push(next);
      next = this.#waiting[this.#head];
    }
    if (next !== undefined) {
      this.#arm();
      return;
    }
    this.#waiting = [];
    this.#head = 0;
    this.#gate.release(HOLD.pacing);
  }
}
