/**
 * Runs one connection's line: a promise while a command of it waits for
 * its answer, `'moved'` when this relay is done with the connection (it
 * left the room: the line is for the next room's relay).
 */
export type LineHandler = (text: string) => void | Promise<void> | 'moved';

interface Lane {
  queue: string[];
  /** The relay of the room the connection is in now; null between rooms. */
  handler: LineHandler | null;
  /** A command is waiting for its answer. */
  busy: boolean;
}

/**
 * Keeps each connection's lines in the order it sent them while a command
 * of it waits for an answer (on a cluster, Redis answers `/nick`, `/msg`,
 * `/who` and `/rooms`) and while it moves between rooms: later lines wait
 * behind it and go, in order, through the relay of the room it is in by
 * then. A connection with nothing waiting has no lane and costs nothing.
 * One per daemon. [CHAT-CMD-1]
 */
export class CommandLanes {
  readonly #lanes = new Map<string, Lane>();

  /** `text` goes through `handler` now, or after the lines waiting before it. */
  take(connId: string, handler: LineHandler, text: string): void {
    const lane = this.#lanes.get(connId);
    if (lane !== undefined) {
      lane.queue.push(text);
      if (!lane.busy && lane.handler !== null) this.#drain(connId, lane);
      return;
    }
    const done = handler(text);
    if (done === undefined) return;
    const fresh: Lane = { queue: [], handler, busy: false };
    this.#lanes.set(connId, fresh);
    this.#settle(connId, fresh, text, done);
  }

  /** The relay of the connection's new room: what waits goes through it. */
  attach(connId: string, handler: LineHandler): void {
    const lane = this.#lanes.get(connId);
    if (lane === undefined) return;
    lane.handler = handler;
    if (!lane.busy) this.#drain(connId, lane);
  }

  /** `handler`'s relay stopped: nothing more goes through it. */
  detach(connId: string, handler: LineHandler): void {
    const lane = this.#lanes.get(connId);
    if (lane?.handler === handler) lane.handler = null;
  }

  /** The connection is done: what waits is dropped with it. */
  forget(connId: string): void {
    this.#lanes.delete(connId);
  }

  /** Connections with lines waiting, for the leak tests. */
  get size(): number {
    return this.#lanes.size;
  }

  #settle(
    connId: string,
    lane: Lane,
    text: string,
    done: Promise<void> | 'moved'
  ): void {
    if (done === 'moved') {
      lane.queue.unshift(text);
      lane.handler = null;
      return;
    }
    lane.busy = true;
    void done.finally(() => {
      lane.busy = false;
      if (this.#lanes.get(connId) === lane) this.#drain(connId, lane);
    });
  }

  #drain(connId: string, lane: Lane): void {
    while (lane.handler !== null && !lane.busy) {
      const text = lane.queue.shift();
      if (text === undefined) {
        this.#lanes.delete(connId);
        return;
      }
      const done = lane.handler(text);
      if (done !== undefined) this.#settle(connId, lane, text, done);
    }
  }
}
