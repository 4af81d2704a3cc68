/**
 * The node's members whose leave went to Redis and has not come back from
 * the log yet. A room that closes on this node waits for them, so each
 * leaver gets everything ordered before its leave before the node stops
 * reading the room's log.
 */
export class LeavesOut {
  readonly #out = new Set<string>();
  #settle: (() => void) | null = null;

  /** `conn`'s leave went to Redis. */
  out(conn: string): void {
    this.#out.add(conn);
  }

  /** `conn`'s leave came back. */
  back(conn: string): void {
    this.#out.delete(conn);
    if (this.#out.size === 0) this.#settle?.();
  }

  /** Redis is out of reach: the leavers went with what they had. */
  clear(): void {
    this.#out.clear();
    this.#settle?.();
  }

  /** Resolves true once every leave is back, or false after `ms`. */
  allBack(ms: number): Promise<boolean> {
    if (this.#out.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#settle = null;
        resolve(false);
      }, ms);
      this.#settle = () => {
        clearTimeout(timer);
        this.#settle = null;
        resolve(true);
      };
    });
  }
}
