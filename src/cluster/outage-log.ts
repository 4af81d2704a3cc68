import type { Logger } from '../app/logger.js';

/** How often a Redis outage that goes on is logged again: once a minute. */
export const OUTAGE_REMINDER_MS = 60_000;

/** How an outage log counts time. */
export interface OutageLogOptions {
  /** Between two reminders of one outage; default `OUTAGE_REMINDER_MS`. */
  reminderMs?: number;
  /** The clock, in ms; default `Date.now`. */
  now?: () => number;
}

/**
 * Logs a cluster node's outage of Redis without repeating itself: once as it
 * starts, again at most once per reminder interval with how long it has
 * lasted, and once as it ends with how long it lasted. The node tries to
 * register again twice a second meanwhile; each failed attempt is logged
 * at debug only (issue 15: 50 warnings in 40 s before).
 *
 * ```
 *  begin ── failed ─ failed ─ … ─ failed ──────── … ── end
 *  warn     debug    debug        warn (60 s on,       info, downMs
 *  unreachable                    downMs)              reachable again
 * ```
 *
 * @example
 * const outage = new OutageLog(logger);
 * outage.begin('connection refused', 3); // warn, once
 * outage.failed('redis connections not ready'); // debug, or a reminder
 * outage.end(); // info, with downMs
 */
export class OutageLog {
  readonly #logger: Logger;
  readonly #reminderMs: number;
  readonly #now: () => number;
  /** When the outage began; null while Redis answers. */
  #since: number | null = null;
  #remindedAt = 0;
  #attempts = 0;

  constructor(logger: Logger, options: OutageLogOptions = {}) {
    this.#logger = logger;
    this.#reminderMs = options.reminderMs ?? OUTAGE_REMINDER_MS;
    this.#now = options.now ?? Date.now;
  }

  /** True between `begin()` and `end()`. */
  get down(): boolean {
    return this.#since !== null;
  }

  /**
   * Redis went out of reach and the node's members were told: logged once
   * per outage; within one, the same as `failed`.
   */
  begin(err: string, members: number): void {
    if (this.#since !== null) {
      this.failed(err);
      return;
    }
    const now = this.#now();
    this.#since = now;
    this.#remindedAt = now;
    this.#attempts = 0;
    this.#logger.warn('redis unreachable; members told', {
      event: 'unavailable',
      err,
      members
    });
  }

  /**
   * An attempt to register with Redis failed: at debug, or as the outage's
   * reminder once the interval since the last one has passed. Outside an
   * outage (the failure that starts one, or fails the start) at debug: the
   * caller reports it.
   */
  failed(err: string): void {
    const since = this.#since;
    if (since === null) {
      this.#logger.debug('registering with redis failed', { err });
      return;
    }
    this.#attempts += 1;
    const now = this.#now();
    if (now - this.#remindedAt < this.#reminderMs) {
      this.#logger.debug('registering with redis failed', { err });
      return;
    }
    this.#remindedAt = now;
    this.#logger.warn('redis still unreachable', {
      event: 'still-unavailable',
      err,
      downMs: now - since,
      attempts: this.#attempts
    });
  }

  /** Redis answers again: logged once, with how long the outage lasted. */
  end(): void {
    const since = this.#since;
    if (since === null) return;
    this.#since = null;
    this.#logger.info('redis reachable again', {
      event: 'available',
      downMs: this.#now() - since,
      attempts: this.#attempts
    });
  }
}
