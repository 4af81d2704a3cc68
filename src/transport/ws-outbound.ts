import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import {
  SendLimits,
  type OutboundLimits,
  type SendPipe,
  type SlowReason
} from './send-limits.js';
import type { Timers } from './timers.js';

/** What the WebSocket outbound path tells its connection. */
export interface WsOutboundHooks {
  /** Owed bytes crossed the soft mark (true), or fell back to half of it (false). */
  backpressure(on: boolean): void;
  /** Gave up on the peer: what was queued is dropped, later writes are ignored. */
  slow(why: SlowReason, queuedBytes: number): void;
  /** Gave up on a peer whose connection was already ending: close at once. */
  abort(): void;
  /** Payload bytes handed to the WebSocket. */
  sent(bytes: number): void;
  /** Everything queued is handed over and `end` was asked: send the close frame. */
  drained(): void;
}

// At most this much is handed to the WebSocket before lines wait in our own
// queue; never more than the soft mark, so crossing it is always seen.
const MAX_IN_FLIGHT = 64 * 1024;

const LF = 0x0a;

/**
 * The one outbound path of a WebSocket connection: every protocol line for
 * the peer is one text message, without its `\n`. [CHAT-WS-2]
 *
 * ```
 *  write(batch) ─ split at \n ─► ws.send (until bufferedAmount ≥ window)
 *                             └► queue, refilled from send callbacks
 * ```
 * What is owed is `ws.bufferedAmount` (the socket's buffer and ws's own)
 * plus our queue, and the limits are `SendLimits`', the same as a TCP
 * connection's [CHAT-SLOW-1]. Sends of one event-loop turn go out in one
 * syscall: the raw socket is corked until the next tick, as `Outbound` does.
 */
export class WsOutbound implements SendPipe {
  readonly #ws: WebSocket;
  readonly #socket: Socket;
  readonly #hooks: WsOutboundHooks;
  readonly #limits: SendLimits;
  readonly #window: number;
  #queue: Buffer[] = [];
  #head = 0;
  #queueBytes = 0;
  /** Payload bytes handed to ws so far; progress is this minus what it buffers. */
  #handed = 0;
  #corked = false;
  #ending = false;
  #drained = false;

  constructor(
    ws: WebSocket,
    socket: Socket,
    limits: OutboundLimits,
    hooks: WsOutboundHooks,
    timers: Timers
  ) {
    this.#ws = ws;
    this.#socket = socket;
    this.#hooks = hooks;
    const soft = limits.sendQueueSoftBytes;
    this.#window = soft > 0 ? Math.min(soft, MAX_IN_FLIGHT) : MAX_IN_FLIGHT;
    this.#limits = new SendLimits(limits, timers, this);
  }

  /** Bytes owed to the peer and not yet flushed to the kernel. */
  get queuedBytes(): number {
    return this.#ws.bufferedAmount + this.#queueBytes;
  }

  // SendPipe: what its SendLimits asks and tells.

  owedBytes(): number {
    return this.queuedBytes;
  }

  progress(): number {
    return this.#handed - this.#ws.bufferedAmount;
  }

  backpressure(on: boolean): void {
    this.#hooks.backpressure(on);
  }

  dropQueued(): void {
    this.#dropQueue();
  }

  slow(why: SlowReason, queuedBytes: number): void {
    this.#hooks.slow(why, queuedBytes);
  }

  abort(): void {
    this.#hooks.abort();
  }

  /** True once it gave up on the peer. */
  get abandoned(): boolean {
    return this.#limits.abandoned;
  }

  /** Queues `\n`-terminated lines, one message each; ignored once given up or ending. */
  write(data: Buffer): void {
    if (this.#limits.abandoned || this.#ending || !this.#open()) return;
    let start = 0;
    while (start < data.length) {
      const lf = data.indexOf(LF, start);
      const end = lf === -1 ? data.length : lf;
      this.#push(data.subarray(start, end));
      start = end + 1;
    }
    this.#limits.checkMarks(this.queuedBytes);
  }

  /** Queues the farewell line if given; `drained` follows once all is handed over. */
  end(farewell?: string): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#limits.end();
    // The farewell waits only behind the queue, not for room: it is the
    // last message, and a peer we gave up on has no queue left.
    if (farewell !== undefined && this.#open())
      this.#push(Buffer.from(farewell), false);
    this.#drainIfDone();
  }

  /** Clears the stall watchdog and drops the queue; call once the connection closed. */
  dispose(): void {
    this.#limits.dispose();
    this.#dropQueue();
  }

  #open(): boolean {
    return this.#ws.readyState === this.#ws.OPEN;
  }

  /** Hands over now, or queues behind what waits (or, by default, for room). */
  #push(line: Buffer, waitForRoom = true): void {
    if (
      this.#head < this.#queue.length ||
      (waitForRoom && this.#ws.bufferedAmount >= this.#window)
    ) {
      this.#queue.push(line);
      this.#queueBytes += line.length;
    } else {
      this.#handOver(line);
    }
  }

  #handOver(line: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#ws.send(line, { binary: false }, this.#afterSend);
    this.#handed += line.length;
    this.#hooks.sent(line.length);
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
    this.#limits.watch();
  };

  /** A message reached the kernel: release input if caught up, refill, maybe finish. */
  readonly #afterSend = (err?: Error): void => {
    if (err !== undefined && err !== null) return; // closed: 'close' handles it
    this.#limits.releaseIfCaughtUp();
    while (
      this.#head < this.#queue.length &&
      this.#ws.bufferedAmount < this.#window
    ) {
      const line = this.#queue[this.#head] as Buffer;
      this.#head += 1;
      this.#queueBytes -= line.length;
      this.#handOver(line);
    }
    if (this.#head >= this.#queue.length && this.#head > 0) {
      this.#queue = [];
      this.#head = 0;
    }
    this.#drainIfDone();
  };

  #drainIfDone(): void {
    if (!this.#ending || this.#drained || this.#head < this.#queue.length)
      return;
    this.#drained = true;
    this.#hooks.drained();
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#head = 0;
    this.#queueBytes = 0;
  }
}
