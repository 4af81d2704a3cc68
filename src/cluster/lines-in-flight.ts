/** Lines per author. */
export type LineCounts = Map<string, number>;

/**
 * Lines this node sent to Redis and has not read back yet, per author. When
 * Redis goes out of reach (or loses its data) what was in flight becomes
 * uncertain: it may or may not be in the log. Once the node has caught up
 * after the outage, each uncertain line still not read back is answered to
 * its author (`MAYBE_LOST_NOTICE`): nothing is pretended.
 */
export class LinesInFlight {
  #inFlight: LineCounts = new Map();
  #uncertain: LineCounts = new Map();

  /** The current in-flight counts: what a write adds to and settles. */
  get current(): LineCounts {
    return this.#inFlight;
  }

  /** One more line of `conn` goes to Redis. */
  sent(conn: string): void {
    this.#inFlight.set(conn, (this.#inFlight.get(conn) ?? 0) + 1);
  }

  /**
   * A line of `conn` came back from the log: `old` when it was written
   * before the outage the node is catching up from.
   */
  readBack(conn: string, old: boolean): void {
    forget(old ? this.#uncertain : this.#inFlight, conn);
  }

  /** What was in flight may or may not be in the log now. */
  becomeUncertain(): void {
    for (const [conn, n] of this.#inFlight)
      this.#uncertain.set(conn, (this.#uncertain.get(conn) ?? 0) + n);
    this.#inFlight = new Map();
  }

  /** The uncertain lines never read back, per author; forgets them. */
  takeUncertain(): LineCounts {
    const lost = this.#uncertain;
    this.#uncertain = new Map();
    return lost;
  }
}

/** One line of `conn` is no longer counted in `from`. */
export function forget(from: LineCounts, conn: string): void {
  const left = (from.get(conn) ?? 0) - 1;
  if (left > 0) from.set(conn, left);
  else from.delete(conn);
}
