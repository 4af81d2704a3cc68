import type { Duplex } from 'node:stream';
import type { TransportEvent } from '../machines/connection-events.js';
import type { ConnectionPort, TransportKind } from '../machines/types.js';
import { EventOutlet, type Inbound } from './event-outlet.js';
import { HOLD, InputGate, type InputGateHooks } from './input-gate.js';
import { LineSplitter, type Frame } from './line-splitter.js';
import {
  Outbound,
  type OutboundHooks,
  type OutboundLimits,
  type SlowReason
} from './outbound.js';
import { isBlank, sanitizeText } from '../protocol/sanitize.js';
import { systemTimers, type Timers } from './timers.js';
import { Pacer } from './pacer.js';

/** The per-connection limits the transport enforces (see `Limits`). */
export interface ConnectionLimits extends OutboundLimits {
  maxLineBytes: number;
  /** Lines per second; 0 = no pacing. */
  floodRate: number;
  floodBurst: number;
  /** Nothing received for this long: `tcp.idle`; 0 = off. */
  idleTimeoutMs: number;
}

/** What one connection has carried so far. */
export interface Traffic {
  /** Bytes read from the peer. */
  bytesIn: number;
  /** Bytes handed to the kernel for the peer. */
  bytesOut: number;
  /** Non-blank lines read from the peer. */
  linesIn: number;
  /** Lines queued for the peer. */
  linesOut: number;
}

/** Running totals over every connection of one transport. */
export interface TransportCounters extends Traffic {
  /** Lines whose delivery flood pacing delayed. */
  pacedLines: number;
}

/** Creates zeroed counters. */
export function createCounters(): TransportCounters {
  return { bytesIn: 0, bytesOut: 0, linesIn: 0, linesOut: 0, pacedLines: 0 };
}

/** Transport settings of one connection. */
export interface TcpConnectionOptions {
  /** The peer as the protocol shows it. */
  remote: string;
  /** The socket's transport: `tls` for a TLSSocket; `tcp` by default. */
  transport?: 'tcp' | 'tls';
  limits: ConnectionLimits;
  counters: TransportCounters;
  /** The idle check's, stall watchdog's and linger's; the system's by default. */
  timers?: Timers;
}

/**
 * What the input gate and the outbound path tell one connection, as
 * methods on one object: as closures they cost every connection six
 * functions and their scope, about 0.4 KB (docs/performance.md, "Where the
 * bytes go").
 */
class SocketSignals implements InputGateHooks, OutboundHooks {
  readonly #socket: Duplex;
  readonly #events: EventOutlet;
  readonly #counters: TransportCounters;
  readonly #traffic: Traffic;
  /** Set once the gate exists: the gate needs these hooks first. */
  gate: InputGate | null = null;

  constructor(
    socket: Duplex,
    events: EventOutlet,
    counters: TransportCounters,
    traffic: Traffic
  ) {
    this.#socket = socket;
    this.#events = events;
    this.#counters = counters;
    this.#traffic = traffic;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  idle(idleMs: number): void {
    this.#events.emit({ type: 'tcp.idle', idleMs });
  }

  backpressure(on: boolean): void {
    if (on) this.gate?.hold(HOLD.backpressure);
    else this.gate?.release(HOLD.backpressure);
  }

  slow(why: SlowReason, queuedBytes: number): void {
    this.#events.emit({ type: 'tcp.slow', why, queuedBytes });
  }

  sent(bytes: number): void {
    this.#counters.bytesOut += bytes;
    this.#traffic.bytesOut += bytes;
  }
}

/**
 * The transport side of one accepted socket: frames, decodes and sanitises
 * what the peer sends into `tcp.*` events, paces them, and writes what
 * actors ask through one bounded outbound path (`Outbound`). Holding input
 * and idleness are `InputGate`'s, the send limits `SendLimits`': the policy
 * the replay's `MemoryConnection` runs too.
 *
 * Flood pacing delays, never drops: lines over the rate wait here, in order,
 * while the socket is paused, so TCP pushes back on the flooder. [CHAT-IN-5]
 * Events that happen before a sink is attached are kept and delivered on
 * `attach`, so nothing between accept and actor start is lost.
 */
export class TcpConnection implements ConnectionPort {
  readonly remote: string;
  readonly transport: TransportKind;
  readonly #socket: Duplex;
  readonly #limits: ConnectionLimits;
  readonly #counters: TransportCounters;
  readonly #traffic: Traffic = {
    bytesIn: 0,
    bytesOut: 0,
    linesIn: 0,
    linesOut: 0
  };
  readonly #splitter: LineSplitter;
  readonly #outbound: Outbound;
  readonly #pacer: Pacer;
  readonly #events = new EventOutlet();
  readonly #gate: InputGate;
  /** Our side is ending: input is read and dropped, so the peer's FIN is seen. */
  #ending = false;

  constructor(socket: Duplex, options: TcpConnectionOptions) {
    const { limits, counters } = options;
    const timers = options.timers ?? systemTimers;
    this.remote = options.remote;
    this.transport = options.transport ?? 'tcp';
    this.#socket = socket;
    this.#limits = limits;
    this.#counters = counters;
    this.#splitter = new LineSplitter(limits.maxLineBytes);
    const signals = new SocketSignals(
      socket,
      this.#events,
      counters,
      this.#traffic
    );
    this.#gate = new InputGate(limits.idleTimeoutMs, timers, signals);
    signals.gate = this.#gate;
    this.#pacer = new Pacer(
      limits.floodRate,
      limits.floodBurst,
      this.#events,
      this.#gate,
      counters
    );
    this.#outbound = new Outbound(socket, limits, signals, timers);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#events.emit({ type: 'tcp.error', code: err.code ?? 'EUNKNOWN' })
    );
    socket.on('close', () => this.#onClose());
  }

  attach(sink: (event: TransportEvent) => void): () => void {
    return this.#events.attach(sink);
  }

  relay(sink: (text: string) => void): () => void {
    return this.#events.relay(sink);
  }

  /** Bytes owed to the peer and not yet flushed to the kernel. */
  get queuedBytes(): number {
    return this.#outbound.queuedBytes;
  }

  /** What this connection has carried so far (live, not a copy). */
  get traffic(): Readonly<Traffic> {
    return this.#traffic;
  }

  write(data: Buffer | string, lines = 1): void {
    this.#counters.linesOut += lines;
    this.#traffic.linesOut += lines;
    this.#outbound.write(data);
  }

  end(farewell?: string): void {
    if (farewell !== undefined) {
      this.#counters.linesOut += 1;
      this.#traffic.linesOut += 1;
    }
    this.#outbound.end(farewell === undefined ? undefined : `${farewell}\n`);
    // Nobody reads our input any more. A socket left paused would not see
    // the peer close, and would not even keep the event loop alive.
    this.#ending = true;
    this.#pacer.clear();
    this.#gate.end();
  }

  destroy(): void {
    // Whoever destroys the port is done with it: no event may follow.
    this.#events.detach();
    this.#socket.destroy();
  }

  pauseInput(): void {
    this.#gate.hold(HOLD.actor);
  }

  resumeInput(): void {
    this.#gate.release(HOLD.actor);
  }

  #receive(chunk: Buffer): void {
    this.#gate.input();
    this.#counters.bytesIn += chunk.length;
    this.#traffic.bytesIn += chunk.length;
    if (this.#ending) return;
    for (const frame of this.#splitter.push(chunk)) {
      const event = this.#toEvent(frame);
      if (event !== null) this.#pacer.push(event);
    }
  }

  #toEvent(frame: Frame): Inbound | null {
    if (frame.kind === 'oversize')
      return { type: 'tcp.oversize', limit: this.#limits.maxLineBytes };
    // Invalid UTF-8 decodes to U+FFFD. [CHAT-IN-1]
    const text = sanitizeText(frame.bytes.toString('utf8'));
    if (isBlank(text)) return null; // [CHAT-IN-3]
    this.#counters.linesIn += 1;
    this.#traffic.linesIn += 1;
    return { type: 'tcp.line', text };
  }

  #onEnd(): void {
    // FIN after lines still being paced: they were sent first, so they go first.
    if (this.#pacer.waiting) this.#pacer.push({ type: 'tcp.end' });
    else this.#events.emit({ type: 'tcp.end' });
  }

  #onClose(): void {
    this.#outbound.dispose();
    this.#pacer.clear();
    this.#gate.dispose();
    this.#events.emit({ type: 'tcp.close' });
  }
}
