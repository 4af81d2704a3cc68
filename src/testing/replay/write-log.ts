import type { ConnectionPort } from '../../machines/types.js';
import { forwardPort } from '../forward-port.js';

/**
 * When each line was written to each connection, in ticks: a tick is one
 * (step, virtual instant) of a replay, numbered in order, so every line one
 * room event sends its members carries the same tick, and a later event a
 * later or equal one. The properties use ticks only to tell apart lines
 * that read the same (`New user X entered (2 users online)` when X comes
 * back) and to place a claim or a leave in time; what a connection saw,
 * and in which order, is always its transcript.
 */
export class WriteLog {
  readonly #tickNow: () => number;
  readonly #written = new Map<string, { line: string; tick: number }[]>();

  /** @param tickNow the tick of the step and instant running now. */
  constructor(tickNow: () => number) {
    this.#tickNow = tickNow;
  }

  /** `port`, recording every line written to it (the farewell too). */
  wrap(port: ConnectionPort, connId: string): ConnectionPort {
    const written: { line: string; tick: number }[] = [];
    this.#written.set(connId, written);
    const record = (data: Buffer | string): void => {
      const tick = this.#tickNow();
      const lines = data.toString().split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) written.push({ line, tick });
    };
    return forwardPort(port, {
      write: (data, lines) => {
        record(data);
        port.write(data, lines);
      },
      end: (farewell) => {
        if (farewell !== undefined) record(farewell);
        port.end(farewell);
      }
    });
  }

  /**
   * The tick of each line of `transcript`, what `connId` received: the
   * lines written to it, in order, less those dropped on the way (a slow
   * consumer's queue), so each is matched to the first written line after
   * the previous match that reads the same (-1 for a line never written).
   * `missedFrom` is the tick of the first line written to it that it did
   * not receive (dropped, or still unread), Infinity if none.
   */
  read(
    connId: string,
    transcript: readonly string[]
  ): { ticks: number[]; missedFrom: number } {
    const written = this.#written.get(connId) ?? [];
    let at = 0;
    let missedFrom = Infinity;
    const ticks = transcript.map((line) => {
      while (at < written.length && written[at]?.line !== line) {
        missedFrom = Math.min(missedFrom, written[at]?.tick ?? Infinity);
        at += 1;
      }
      const tick = written[at]?.tick ?? -1;
      if (at < written.length) at += 1;
      return tick;
    });
    const unread = written[at]?.tick ?? Infinity;
    return { ticks, missedFrom: Math.min(missedFrom, unread) };
  }
}
