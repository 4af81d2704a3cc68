import type { TransportEvent } from '../machines/connection-events.js';

/** What a transport reads, in order: a chat line or a transport event. */
export type Inbound = TransportEvent | { type: 'tcp.line'; text: string };

/**
 * Where a connection's transport events and chat lines go: events to the
 * actor (`attach`), lines to the relay the actor runs while it is a member
 * (`relay`). What arrives before its sink is attached is kept and delivered,
 * in order, on attach, so nothing between accept and actor start is lost;
 * after a detach it goes nowhere.
 */
export class EventOutlet {
  #sink: ((event: TransportEvent) => void) | null = null;
  #lineSink: ((text: string) => void) | null = null;
  // Allocated only when something arrives early: most connections never need them.
  #early: TransportEvent[] | null = null;
  #earlyLines: string[] | null = null;

  /** Delivers what was kept, then every later event; returns `detach`. */
  attach(sink: (event: TransportEvent) => void): () => void {
    this.#sink = sink;
    const early = this.#early;
    this.#early = null;
    for (const event of early ?? []) sink(event);
    return () => this.detach();
  }

  /** Delivers the lines kept, then every later line; returns the line detach. */
  relay(sink: (text: string) => void): () => void {
    this.#lineSink = sink;
    const early = this.#earlyLines;
    this.#earlyLines = null;
    for (const text of early ?? []) sink(text);
    return () => {
      this.#lineSink = ignore;
    };
  }

  /** The actor is done: later events and lines have no reader. */
  detach(): void {
    this.#sink = ignore;
    this.#lineSink = ignore;
  }

  emit(event: TransportEvent): void {
    if (this.#sink !== null) this.#sink(event);
    else (this.#early ??= []).push(event);
  }

  /** A line to the relay, anything else to the actor. */
  push(item: Inbound): void {
    if (item.type === 'tcp.line') this.line(item.text);
    else this.emit(item);
  }

  line(text: string): void {
    if (this.#lineSink !== null) this.#lineSink(text);
    else (this.#earlyLines ??= []).push(text);
  }
}

function ignore(): void {}
