import type { TransportEvent } from '../machines/connection-events.js';
import type { ConnectionPort } from '../machines/types.js';
import { LINGER_MS } from '../protocol/constants.js';
import type { ConnectionLimits } from './tcp-connection.js';
import { EventOutlet, type Inbound } from './event-outlet.js';
import { HOLD, InputGate } from './input-gate.js';
import { LineSplitter, type Frame } from './line-splitter.js';
import { MemoryOutbound, type ConnectionTimers } from './memory-outbound.js';
import { isBlank, sanitizeText } from '../protocol/sanitize.js';

export type { ConnectionTimers } from './memory-outbound.js';

/** The limits a `MemoryConnection` enforces: `ConnectionLimits` without flood pacing. */
export type MemoryLimits = Omit<ConnectionLimits, 'floodRate' | 'floodBurst'>;

/** Settings of one in-memory connection. */
export interface MemoryConnectionOptions {
  /** The peer as the protocol shows it, e.g. `127.0.0.1:50001`. */
  remote: string;
  limits: MemoryLimits;
  timers: ConnectionTimers;
}

/** How far the peer side is: open, half-closed (FIN, still reading), gone, or reset. */
export type PeerState = 'open' | 'fin' | 'closed' | 'reset';

const FIN = 'fin';

/**
 * `ConnectionPort` with no socket: the peer is played by a harness
 * (`peerSend`, `peerFin`, `peerClose`, `peerReset`, `stopReading`,
 * `resumeReading`), everything runs synchronously, and timers run on the
 * clock it is given. It frames, sanitises and reports input as
 * `TcpConnection` does (same `LineSplitter` and sanitiser), holds input and
 * watches idleness with the same `InputGate`; what it writes goes through
 * `MemoryOutbound`, which runs `Outbound`'s `SendLimits`. Only how bytes
 * move differs from the daemon's:
 *
 * ```
 *  write ──► owed (queuedBytes) ──► peer's receive window (`budget`) ──► transcript
 *            over the soft mark: input held; over the hard mark, or no
 *            progress for the stall timeout: tcp.slow, owed lines dropped
 * ```
 * Simplifications, each on purpose: no flood pacing (`floodRate` is not a
 * limit here); bytes are delivered as they are written (no cork, no ticks);
 * a reset is seen at once even while input is held; a peer that reads sees
 * our FIN at once and closes, a peer that does not is destroyed after
 * `LINGER_MS`; writes to a peer that closed or reset are dropped silently
 * (TCP would answer them with a reset the machine ignores while leaving).
 */
export class MemoryConnection implements ConnectionPort {
  readonly remote: string;
  readonly transport = 'memory';
  readonly #limits: MemoryLimits;
  readonly #timers: ConnectionTimers;
  readonly #splitter: LineSplitter;
  readonly #events = new EventOutlet();
  readonly #gate: InputGate;
  /** Peer input waiting while held, in order; `FIN` marks its end. */
  #inbox: (Buffer | typeof FIN)[] = [];
  #draining = false;
  readonly #outbound: MemoryOutbound;
  #peer: PeerState = 'open';
  #peerFinSeen = false;
  #ending = false;
  #finSent = false;
  #closed = false;
  #linger: unknown = null;

  constructor(options: MemoryConnectionOptions) {
    this.remote = options.remote;
    this.#limits = options.limits;
    this.#timers = options.timers;
    this.#splitter = new LineSplitter(options.limits.maxLineBytes);
    this.#gate = new InputGate(options.limits.idleTimeoutMs, options.timers, {
      // Held input waits in the inbox; nothing to stop.
      pause: () => undefined,
      resume: () => this.#drainInbox(),
      idle: (idleMs) => this.#events.emit({ type: 'tcp.idle', idleMs })
    });
    this.#outbound = new MemoryOutbound(options.limits, options.timers, {
      backpressure: (on) => {
        if (on) this.#gate.hold(HOLD.backpressure);
        else this.#gate.release(HOLD.backpressure);
      },
      slow: (why, queuedBytes) =>
        this.#events.emit({ type: 'tcp.slow', why, queuedBytes }),
      abort: () => this.#close()
    });
  }

  // ── ConnectionPort ────────────────────────────────────────────────────

  attach(sink: (event: TransportEvent) => void): () => void {
    return this.#events.attach(sink);
  }

  relay(sink: (text: string) => void): () => void {
    return this.#events.relay(sink);
  }

  get queuedBytes(): number {
    return this.#outbound.queuedBytes;
  }

  write(data: Buffer | string): void {
    if (this.#closed) return;
    this.#outbound.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  end(farewell?: string): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    // Nobody reads our input any more: drop it, but see the peer's FIN.
    if (this.#inbox.includes(FIN)) this.#peerFinSeen = true;
    this.#inbox = [];
    this.#gate.end();
    // A peer we gave up on gets only the linger, from now.
    if (this.#outbound.abandoned) this.#armLinger();
    this.#outbound.end(
      farewell === undefined ? undefined : Buffer.from(`${farewell}\n`)
    );
    this.#finishIfFlushed();
  }

  destroy(): void {
    this.#events.detach();
    this.#close();
  }

  pauseInput(): void {
    this.#gate.hold(HOLD.actor);
  }

  resumeInput(): void {
    this.#gate.release(HOLD.actor);
  }

  // ── The peer, played by the harness ───────────────────────────────────

  /** The peer sends bytes; while input is held they wait, in order. */
  peerSend(data: Buffer | string): void {
    this.#assertPeerCanSend('send');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.#gate.input();
    if (this.#ending) return;
    if (this.#gate.held || this.#inbox.length > 0) this.#inbox.push(bytes);
    else this.#receive(bytes);
  }

  /** The peer sends one line (`\n` appended). */
  peerSendLine(text: string): void {
    this.peerSend(`${text}\n`);
  }

  /** The peer half-closes: FIN after what it sent, and it keeps reading. */
  peerFin(): void {
    this.#assertPeerCanSend('FIN');
    this.#peer = 'fin';
    this.#queueFin();
  }

  /**
   * The peer closes its socket: FIN after what it sent, and it reads nothing
   * more. Closing with bytes it never read (or still owed) sends a reset
   * instead, as TCP does.
   */
  peerClose(): void {
    this.#assertPeerCanSend('close');
    if (this.#outbound.unread > 0 || this.#outbound.queuedBytes > 0) {
      this.peerReset();
      return;
    }
    this.#peer = 'closed';
    this.#outbound.peerGone();
    this.#queueFin();
  }

  /** The peer resets: what it sent and was not read is lost; `tcp.error` then `tcp.close`. */
  peerReset(): void {
    if (this.#closed || this.#peer === 'reset') return;
    this.#peer = 'reset';
    this.#inbox = [];
    this.#outbound.peerGone();
    this.#events.emit({ type: 'tcp.error', code: 'ECONNRESET' });
    this.#close();
  }

  /** The peer stops reading; its receive window still takes `budget` bytes. */
  stopReading(budget = 0): void {
    if (!this.#closed) this.#outbound.stopReading(budget);
  }

  /** The peer reads again, everything owed first. */
  resumeReading(): void {
    if (this.#closed || this.#outbound.reading) return;
    this.#outbound.resumeReading();
    if (this.#finSent) {
      // It reads up to our FIN at last, and closes.
      if (this.#peer === 'open') this.#peer = 'closed';
      this.#closeIfBothDone();
    } else {
      this.#finishIfFlushed();
    }
  }

  // ── What the harness observes ─────────────────────────────────────────

  /** Every complete line that reached the peer, without `\n`. */
  transcript(): string[] {
    return this.#outbound.transcript();
  }

  /** Bytes after the last `\n` that reached the peer (a cut line). */
  partialLine(): string {
    return this.#outbound.partialLine();
  }

  /** True until both sides are closed, or it was destroyed or reset. */
  get isOpen(): boolean {
    return !this.#closed;
  }

  /** True once our side began to close (end, destroy, or a reset). */
  get isEnding(): boolean {
    return this.#ending || this.#closed;
  }

  /** The peer side's state. */
  get peerState(): PeerState {
    return this.#peer;
  }

  /** False while the peer does not read (`stopReading`). */
  get peerReading(): boolean {
    return this.#outbound.reading;
  }

  /**
   * Closes at once from the transport's side, as the daemon's `destroyAll`
   * does to a socket: unlike `destroy()`, the actor still hears `tcp.close`.
   */
  abort(): void {
    this.#close();
  }

  // ── Input ─────────────────────────────────────────────────────────────

  #assertPeerCanSend(what: string): void {
    if (this.#closed || this.#peer !== 'open')
      throw new Error(
        `MemoryConnection ${this.remote}: peer cannot ${what}: peer ${this.#peer}, connection ${this.#closed ? 'closed' : 'open'}`
      );
  }

  #queueFin(): void {
    if (this.#ending) {
      this.#peerFinSeen = true;
      this.#closeIfBothDone();
    } else if (this.#gate.held || this.#inbox.length > 0) {
      this.#inbox.push(FIN);
    } else {
      this.#seeFin();
    }
  }

  #seeFin(): void {
    this.#peerFinSeen = true;
    this.#events.emit({ type: 'tcp.end' });
    this.#closeIfBothDone();
  }

  #receive(bytes: Buffer): void {
    for (const frame of this.#splitter.push(bytes)) {
      const event = toEvent(frame, this.#limits.maxLineBytes);
      // Each event may end or hold this connection (synchronously).
      if (event !== null && !this.#ending && !this.#closed)
        this.#events.push(event);
    }
  }

  /** Replays held input in order until it is held again or the connection ends. */
  #drainInbox(): void {
    if (this.#draining) return;
    this.#draining = true;
    // Bounded: every pass removes one entry, and nothing is added while held.
    while (!this.#gate.held && !this.#ending && !this.#closed) {
      const next = this.#inbox.shift();
      if (next === undefined) break;
      if (next === FIN) this.#seeFin();
      else this.#receive(next);
    }
    this.#draining = false;
  }

  // ── Closing ───────────────────────────────────────────────────────────

  #finishIfFlushed(): void {
    if (!this.#ending || this.#finSent || this.#closed) return;
    if (this.#outbound.queuedBytes > 0) return;
    this.#finSent = true;
    // A peer that reads sees our FIN and closes; one that doesn't gets the linger.
    if (this.#outbound.reading && this.#peer === 'open') this.#peer = 'closed';
    this.#closeIfBothDone();
    this.#armLinger();
  }

  #closeIfBothDone(): void {
    const peerDone = this.#peerFinSeen || this.#peer === 'closed';
    if (this.#finSent && peerDone) this.#close();
  }

  #armLinger(): void {
    if (this.#linger !== null || this.#closed) return;
    this.#linger = this.#timers.setTimeout(() => {
      this.#linger = null;
      this.#close();
    }, LINGER_MS);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    this.#inbox = [];
    this.#outbound.dispose();
    this.#gate.dispose();
    if (this.#linger !== null) this.#timers.clearTimeout(this.#linger);
    this.#linger = null;
    this.#events.emit({ type: 'tcp.close' });
  }
}

function toEvent(frame: Frame, limit: number): Inbound | null {
  if (frame.kind === 'oversize') return { type: 'tcp.oversize', limit };
  // Invalid UTF-8 decodes to U+FFFD. [CHAT-IN-1]
  const text = sanitizeText(frame.bytes.toString('utf8'));
  return isBlank(text) ? null : { type: 'tcp.line', text }; // [CHAT-IN-3]
}
