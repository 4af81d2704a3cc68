/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Starts
 * full. Time comes from `now()` (milliseconds), so tests can drive it.
 *
 * @example
 * const bucket = new TokenBucket(10, 20, Date.now);
 * if (!bucket.take()) setTimeout(retry, bucket.msUntilToken());
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(rate: number, burst: number, now: () => number) {
    this.#ratePerMs = rate / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token (0 if one is there now). */
  msUntilToken(): number {
    this.#refill();
    return this.#tokens >= 1
      ? 0
      : Math.ceil((1 - this.#tokens) / this.#ratePerMs);
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + (now - this.#last) * this.#ratePerMs
    );
    this.#last = now;
  }
}
