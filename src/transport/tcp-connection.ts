import type { Duplex } from 'node:stream';
import type { TransportEvent } from '../machines/connection-events.js';
import type { ConnectionPort } from '../machines/types.js';
import { LineSplitter } from './line-splitter.js';
import { isBlank, sanitizeText } from './sanitize.js';

/** Transport settings of one connection. */
export interface TcpConnectionOptions {
  /** The peer as the protocol shows it. */
  remote: string;
  maxLineBytes: number;
}

/**
 * The transport side of one accepted socket: frames, decodes and sanitises
 * what the peer sends into `tcp.*` events, and writes what actors ask, with
 * all writes of one event-loop turn batched into one syscall (cork/uncork).
 *
 * Events that happen before a sink is attached are kept and delivered on
 * `attach`, so nothing between accept and actor start is lost.
 */
export class TcpConnection implements ConnectionPort {
  readonly remote: string;
  readonly #socket: Duplex;
  readonly #maxLineBytes: number;
  readonly #splitter: LineSplitter;
  #sink: ((event: TransportEvent) => void) | null = null;
  #early: TransportEvent[] = [];
  #corked = false;

  constructor(socket: Duplex, options: TcpConnectionOptions) {
    this.remote = options.remote;
    this.#socket = socket;
    this.#maxLineBytes = options.maxLineBytes;
    this.#splitter = new LineSplitter(options.maxLineBytes);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.#emit({ type: 'tcp.end' }));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#emit({ type: 'tcp.error', code: err.code ?? 'EUNKNOWN' })
    );
    socket.on('close', () => this.#emit({ type: 'tcp.close' }));
  }

  attach(sink: (event: TransportEvent) => void): () => void {
    this.#sink = sink;
    const early = this.#early;
    this.#early = [];
    for (const event of early) sink(event);
    return () => {
      // Once detached, the actor is done: later socket events have no reader.
      this.#sink = ignore;
    };
  }

  write(data: Buffer | string): void {
    const socket = this.#socket;
    if (!socket.writable) return;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => this.#uncork());
    }
    socket.write(data);
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    // Whoever destroys the port is done with it; XState does not stop the
    // invoked bridge of an actor that failed, so detach here too.
    this.#sink = ignore;
    this.#socket.destroy();
  }

  pauseInput(): void {
    this.#socket.pause();
  }

  resumeInput(): void {
    this.#socket.resume();
  }

  #uncork(): void {
    this.#corked = false;
    this.#socket.uncork();
  }

  #receive(chunk: Buffer): void {
    for (const frame of this.#splitter.push(chunk)) {
      if (frame.kind === 'oversize') {
        this.#emit({ type: 'tcp.oversize', limit: this.#maxLineBytes });
        continue;
      }
      // Invalid UTF-8 decodes to U+FFFD. [CHAT-IN-1]
      const text = sanitizeText(frame.bytes.toString('utf8'));
      if (isBlank(text)) continue; // [CHAT-IN-3]
      this.#emit({ type: 'tcp.line', text });
    }
  }

  #emit(event: TransportEvent): void {
    if (this.#sink !== null) this.#sink(event);
    else this.#early.push(event);
  }
}

function ignore(): void {}
