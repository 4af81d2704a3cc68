import type { TransportEvent } from '../machines/connection-events.js';

/**
 * Where a connection's transport events go. Events raised before a sink is
 * attached are kept and delivered, in order, on `attach`, so nothing between
 * accept and actor start is lost; after `detach` they go nowhere.
 */
export class EventOutlet {
  #sink: ((event: TransportEvent) => void) | null = null;
  #early: TransportEvent[] = [];

  /** Delivers what was kept, then every later event; returns `detach`. */
  attach(sink: (event: TransportEvent) => void): () => void {
    this.#sink = sink;
    const early = this.#early;
    this.#early = [];
    for (const event of early) sink(event);
    return () => this.detach();
  }

  /** The actor is done: later events have no reader. */
  detach(): void {
    this.#sink = ignore;
  }

  emit(event: TransportEvent): void {
    if (this.#sink !== null) this.#sink(event);
    else this.#early.push(event);
  }
}

function ignore(): void {}
