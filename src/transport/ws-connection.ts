import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import type { TransportEvent } from '../machines/connection-events.js';
import type { ConnectionPort } from '../machines/types.js';
import { LINGER_MS } from '../protocol/constants.js';
import { isBlank, sanitizeText } from '../protocol/sanitize.js';
import { EventOutlet, type Inbound } from './event-outlet.js';
import { HOLD, InputGate, type InputGateHooks } from './input-gate.js';
import { LineSplitter, type Frame } from './line-splitter.js';
import type {
  ConnectionLimits,
  Traffic,
  TransportCounters
} from './tcp-connection.js';
import { systemTimers, type Timers } from './timers.js';
import {
  WS_CLOSE,
  closeFrameFor,
  wsProtocolError,
  type CloseFrame,
  type EndCause,
  type WsProtocolError
} from './ws-close.js';
import { WsOutbound, type WsOutboundHooks } from './ws-outbound.js';
import type { SlowReason } from './outbound.js';
import { Pacer } from './pacer.js';

/** Default time between pings; a peer that has not answered the last one by the next is dead. */
export const DEFAULT_WS_PING_INTERVAL_MS = 30_000;

/**
 * A text message may carry at most this many times the max line bytes;
 * `ws` refuses a longer one before buffering it and closes with 1009.
 * Up to it, a line over the limit is reported as on TCP. [CHAT-WS-3]
 */
export const WS_MESSAGE_LINES_FACTOR = 4;

/** The `maxPayload` a WebSocket server gives `ws` for `maxLineBytes`. */
export function maxPayloadFor(maxLineBytes: number): number {
  return (maxLineBytes + 2) * WS_MESSAGE_LINES_FACTOR;
}

/** Transport settings of one WebSocket connection. */
export interface WsConnectionOptions {
  /** The peer as the protocol shows it. */
  remote: string;
  limits: ConnectionLimits;
  counters: TransportCounters;
  /** Ping every this many ms; no pong by the next ping ends it; 0 = off. */
  pingIntervalMs?: number;
  /** The idle check's, stall watchdog's, ping's and linger's; the system's by default. */
  timers?: Timers;
  /** Called once, when the close frame is flushed to the kernel or the socket closed. */
  onFinish?: () => void;
  /** Called for each protocol error of the peer (counted by the listener). */
  onProtocolError?: (reason: WsProtocolError) => void;
}

const LF_BUFFER = Buffer.from('\n');

/**
 * What the input gate and the outbound path tell one WebSocket connection,
 * as methods on one object, with the cause of the ending they decide: as
 * closures they cost every connection eight functions and two hook
 * objects (docs/performance.md, "Where the bytes go"; TCP's is
 * `SocketSignals`).
 */
class WsSignals implements InputGateHooks, WsOutboundHooks {
  readonly #ws: WebSocket;
  readonly #events: EventOutlet;
  readonly #counters: TransportCounters;
  readonly #traffic: Traffic;
  readonly #drained: () => void;
  /** Set once the gate exists: the gate needs these hooks first. */
  gate: InputGate | null = null;
  /** Why the connection is ending, for its close code; the first cause wins. */
  cause: EndCause = null;

  constructor(
    ws: WebSocket,
    events: EventOutlet,
    counters: TransportCounters,
    traffic: Traffic,
    drained: () => void
  ) {
    this.#ws = ws;
    this.#events = events;
    this.#counters = counters;
    this.#traffic = traffic;
    this.#drained = drained;
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  idle(idleMs: number): void {
    this.cause ??= 'idle timeout';
    this.#events.emit({ type: 'tcp.idle', idleMs });
  }

  backpressure(on: boolean): void {
    if (on) this.gate?.hold(HOLD.backpressure);
    else this.gate?.release(HOLD.backpressure);
  }

  slow(why: SlowReason, queuedBytes: number): void {
    this.cause ??= 'slow consumer';
    this.#events.emit({ type: 'tcp.slow', why, queuedBytes });
  }

  abort(): void {
    this.#ws.terminate();
  }

  sent(bytes: number): void {
    this.#counters.bytesOut += bytes;
    this.#traffic.bytesOut += bytes;
  }

  drained(): void {
    this.#drained();
  }
}

/**
 * `ConnectionPort` over a `ws` WebSocket: each text message is split into
 * lines as a TCP stream would be (its end ends the last one) [CHAT-WS-1];
 * the lines are sanitised, blank ones skipped, and paced exactly as on TCP
 * (same `LineSplitter`, `InputGate`, flood rule); every line written goes
 * out as one text message (`WsOutbound`, same `SendLimits`) [CHAT-WS-2].
 * Holding input pauses the socket under `ws` (`ws.pause()`), so TCP pushes
 * back on the peer.
 *
 * Endings carry their reason as a close code (`ws-close.ts`): the close
 * frame goes after the last line. A peer that has not answered a ping by
 * the next one is reported as `tcp.error` `WS_PONG_TIMEOUT` and cut off.
 * [CHAT-WS-5] A peer's close frame is its FIN: `tcp.end`, after the lines
 * it sent before it, then `tcp.close`.
 */
export class WsConnection implements ConnectionPort {
  readonly remote: string;
  /** Which listener kind carried it, for the inspector and metrics. */
  readonly transport = 'ws' as const;
  readonly #ws: WebSocket;
  readonly #socket: Socket;
  readonly #limits: ConnectionLimits;
  readonly #counters: TransportCounters;
  readonly #timers: Timers;
  readonly #traffic: Traffic = {
    bytesIn: 0,
    bytesOut: 0,
    linesIn: 0,
    linesOut: 0
  };
  readonly #splitter: LineSplitter;
  readonly #events = new EventOutlet();
  readonly #gate: InputGate;
  readonly #pacer: Pacer;
  readonly #outbound: WsOutbound;
  readonly #onFinish: (() => void) | undefined;
  readonly #onProtocolError: ((reason: WsProtocolError) => void) | undefined;
  readonly #signals: WsSignals;
  /** What the close frame will say; decided when the end is asked. */
  #closeFrame: CloseFrame = { code: WS_CLOSE.normal, reason: '' };
  #ending = false;
  #closed = false;
  #finished = false;
  #pongDue = false;
  #pinger: unknown = null;
  #linger: unknown = null;

  /** @param socket the raw socket under `ws`, for corking and the finish check. */
  constructor(ws: WebSocket, socket: Socket, options: WsConnectionOptions) {
    const { limits, counters } = options;
    const timers = options.timers ?? systemTimers;
    this.remote = options.remote;
    this.#ws = ws;
    this.#socket = socket;
    this.#limits = limits;
    this.#counters = counters;
    this.#timers = timers;
    this.#onFinish = options.onFinish;
    this.#onProtocolError = options.onProtocolError;
    this.#splitter = new LineSplitter(limits.maxLineBytes);
    const signals = new WsSignals(
      ws,
      this.#events,
      counters,
      this.#traffic,
      () => this.#sendClose()
    );
    this.#signals = signals;
    this.#gate = new InputGate(limits.idleTimeoutMs, timers, signals);
    signals.gate = this.#gate;
    this.#pacer = new Pacer(
      limits.floodRate,
      limits.floodBurst,
      this.#events,
      this.#gate,
      counters
    );
    this.#outbound = new WsOutbound(ws, socket, limits, signals, timers);
    ws.on('message', (data, isBinary) => this.#receive(data, isBinary));
    ws.on('pong', () => {
      this.#pongDue = false;
    });
    ws.on('error', (err: Error & { code?: string }) =>
      this.#failed(err.code ?? 'EUNKNOWN')
    );
    // `ws` swallows the raw socket's errors; the code is worth reporting.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#events.emit({ type: 'tcp.error', code: err.code ?? 'EUNKNOWN' })
    );
    ws.on('close', (code) => this.#onClose(code));
    const interval = options.pingIntervalMs ?? DEFAULT_WS_PING_INTERVAL_MS;
    if (interval > 0) this.#armPing(interval);
  }

  attach(sink: (event: TransportEvent) => void): () => void {
    return this.#events.attach(sink);
  }

  relay(sink: (text: string) => void): () => void {
    return this.#events.relay(sink);
  }

  /** Bytes owed to the peer: `ws.bufferedAmount` plus our queue. */
  get queuedBytes(): number {
    return this.#outbound.queuedBytes;
  }

  /** What this connection has carried so far (live, not a copy). */
  get traffic(): Readonly<Traffic> {
    return this.#traffic;
  }

  /** True once the close frame is flushed to the kernel, or the socket closed. */
  get finished(): boolean {
    return this.#finished;
  }

  write(data: Buffer | string, lines = 1): void {
    this.#counters.linesOut += lines;
    this.#traffic.linesOut += lines;
    this.#outbound.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  end(farewell?: string): void {
    if (this.#ending) return;
    if (farewell !== undefined) {
      this.#counters.linesOut += 1;
      this.#traffic.linesOut += 1;
    }
    this.#ending = true;
    this.#closeFrame = closeFrameFor(this.#signals.cause, farewell);
    this.#pacer.clear();
    // Nobody reads our input any more; reading on lets ws see the peer's close.
    this.#gate.end();
    this.#outbound.end(farewell);
  }

  destroy(): void {
    this.#events.detach();
    this.#ws.terminate();
  }

  pauseInput(): void {
    this.#gate.hold(HOLD.actor);
  }

  resumeInput(): void {
    this.#gate.release(HOLD.actor);
  }

  /**
   * The server is shutting down: an end from now on closes with 1001
   * rather than what the farewell alone would say.
   */
  goingAway(): void {
    this.#signals.cause ??= 'server shutdown';
  }

  /**
   * Closes with `code` and `reason` at once, after what is already handed
   * to `ws`, for a fault the transport found itself (a binary message).
   */
  closeNow(code: number, reason: string): void {
    if (this.#closed) return;
    this.#ending = true;
    this.#pacer.clear();
    this.#gate.end();
    this.#closeFrame = { code, reason };
    this.#sendClose();
  }

  #receive(data: RawData, isBinary: boolean): void {
    this.#pongDue = false; // anything from the peer shows it is there
    this.#gate.input();
    const bytes = toBuffer(data);
    this.#counters.bytesIn += bytes.length;
    this.#traffic.bytesIn += bytes.length;
    if (this.#ending) return;
    if (isBinary) {
      // [CHAT-WS-4]
      // Close first: the actor ends the connection as soon as it hears.
      this.closeNow(WS_CLOSE.unsupported, 'text messages only');
      this.#failed('WS_BINARY_MESSAGE');
      return;
    }
    // The message's end ends its last line. [CHAT-WS-1]
    const frames = [
      ...this.#splitter.push(bytes),
      ...this.#splitter.push(LF_BUFFER)
    ];
    for (const frame of frames) {
      const event = this.#toEvent(frame);
      if (event !== null) this.#pacer.push(event);
    }
  }

  /** The connection failed with `code`: counted when the peer broke the protocol, then the actor hears. */
  #failed(code: string): void {
    const reason = wsProtocolError(code);
    if (reason !== null) this.#onProtocolError?.(reason);
    this.#events.emit({ type: 'tcp.error', code });
  }

  #toEvent(frame: Frame): Inbound | null {
    if (frame.kind === 'oversize')
      return { type: 'tcp.oversize', limit: this.#limits.maxLineBytes };
    // `ws` has already closed on invalid UTF-8 (1007). [CHAT-WS-4]
    const text = sanitizeText(frame.bytes.toString('utf8'));
    if (isBlank(text)) return null; // [CHAT-IN-3]
    this.#counters.linesIn += 1;
    this.#traffic.linesIn += 1;
    return { type: 'tcp.line', text };
  }

  #sendClose(): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const { code, reason } = this.#closeFrame;
    this.#ws.close(code, reason);
    // Once the close frame reaches the kernel, our side is finished (the
    // peer's answer is not waited for, as a TCP FIN's is not).
    this.#socket.write(Buffer.alloc(0), () => this.#finish());
    // A peer that never answers our close frame is cut off. [CHAT-WS-5]
    this.#linger = this.#timers.setTimeout(
      () => this.#ws.terminate(),
      LINGER_MS
    );
  }

  #armPing(interval: number): void {
    this.#pinger = this.#timers.setTimeout(() => {
      this.#pinger = null;
      if (this.#closed || this.#ending) return;
      // Held input is not read, pongs included: no verdict while we hold it.
      if (this.#pongDue && !this.#gate.held) {
        this.#ws.terminate();
        this.#failed('WS_PONG_TIMEOUT');
        return;
      }
      this.#pongDue = true;
      this.#ws.ping();
      this.#armPing(interval);
    }, interval);
  }

  #onClose(code: number): void {
    this.#closed = true;
    this.#outbound.dispose();
    if (this.#pinger !== null) this.#timers.clearTimeout(this.#pinger);
    if (this.#linger !== null) this.#timers.clearTimeout(this.#linger);
    this.#pinger = null;
    this.#linger = null;
    this.#finish();
    // 1006: no close frame came, the connection just dropped.
    const peerClosed = code !== 1006 && !this.#ending;
    if (this.#pacer.waiting) {
      // The peer's lines came before its close: they go first. [CHAT-IN-5]
      if (peerClosed) this.#pacer.push({ type: 'tcp.end' });
      this.#pacer.push({ type: 'tcp.close' });
    } else {
      if (peerClosed) this.#events.emit({ type: 'tcp.end' });
      this.#events.emit({ type: 'tcp.close' });
    }
    this.#gate.dispose();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onFinish?.();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
