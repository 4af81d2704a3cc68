import type { Timers } from './timers.js';

/** Why input is held; reading resumes only when no reason is left. */
export const HOLD = Object.freeze({
  /** The actor asked (not yet a member). */
  actor: 1,
  /** The peer is not reading what we send (`SendLimits`). */
  backpressure: 2,
  /** The peer sends faster than the flood rate. */
  pacing: 4
});

/** One reason to hold input (a value of `HOLD`). */
export type HoldReason = (typeof HOLD)[keyof typeof HOLD];

/** What the input gate tells the transport that moves the bytes. */
export interface InputGateHooks {
  /** The first reason to hold came: stop reading. */
  pause(): void;
  /** The last reason went: read again (called after the idle accounting). */
  resume(): void;
  /** Nothing came in for `idleMs`, not counting held time; called once. */
  idle(idleMs: number): void;
}

/**
 * The input policy of one connection, written once for every transport
 * (`TcpConnection` and the replay's `MemoryConnection`): input is held while
 * any reason to hold it stands, and a peer that sends nothing for the idle
 * timeout is reported idle, once.
 *
 * ```
 *  hold(actor) ─┐                      ┌─ release(actor)
 *  hold(back…) ─┼─► holds ≠ 0: pause ──┼─ release(back…) ─► holds = 0: resume
 *  hold(pace…) ─┘                      └─ release(pace…)
 * ```
 * Time input was held by us is not the peer's idleness: on release the
 * last-input time moves forward by the time held. [CHAT-IDLE-1] Once the
 * connection ends (`end`) or closes (`dispose`), nothing is held again and
 * no idle check runs.
 */
export class InputGate {
  readonly #idleMs: number;
  readonly #timers: Timers;
  readonly #hooks: InputGateHooks;
  #holds = 0;
  /** When input was last held, while it is. */
  #heldAt = 0;
  #lastInput: number;
  #idleTimer: unknown = null;
  #idleReported = false;
  #ending = false;
  readonly #onIdleTimer = (): void => this.#checkIdle();

  /**
   * @param idleTimeoutMs nothing received for this long: `hooks.idle`; 0 = off.
   */
  constructor(idleTimeoutMs: number, timers: Timers, hooks: InputGateHooks) {
    this.#idleMs = idleTimeoutMs;
    this.#timers = timers;
    this.#hooks = hooks;
    this.#lastInput = timers.now();
    if (idleTimeoutMs > 0) this.#armIdle(idleTimeoutMs);
  }

  /** True while some reason holds input. */
  get held(): boolean {
    return this.#holds !== 0;
  }

  /** The peer sent something (held or not): it is not idle. */
  input(): void {
    this.#lastInput = this.#timers.now();
  }

  /** Holds input for `reason`; ignored once the connection ends. */
  hold(reason: HoldReason): void {
    if (this.#ending) return;
    if (this.#holds === 0) {
      this.#heldAt = this.#timers.now();
      this.#hooks.pause();
    }
    this.#holds |= reason;
  }

  /** Drops `reason`; the last one to go resumes input. */
  release(reason: HoldReason): void {
    if ((this.#holds & reason) === 0) return;
    this.#holds &= ~reason;
    if (this.#holds !== 0) return;
    // Time we held input ourselves is not the peer's idleness. [CHAT-IDLE-1]
    const now = this.#timers.now();
    this.#lastInput = Math.min(now, this.#lastInput + (now - this.#heldAt));
    const idleMs = this.#idleMs;
    if (idleMs > 0 && this.#idleTimer === null && !this.#idleReported)
      this.#armIdle(idleMs - (now - this.#lastInput));
    this.#hooks.resume();
  }

  /**
   * Our side is ending: nobody reads input any more, so every hold is
   * lifted (resuming, so the peer's FIN is seen) and idleness is not watched.
   */
  end(): void {
    this.#ending = true;
    this.#clearIdle();
    if (this.#holds === 0) return;
    this.#holds = 0;
    this.#hooks.resume();
  }

  /** The connection closed: clears the idle timer; nothing is held again. */
  dispose(): void {
    this.#ending = true;
    this.#holds = 0;
    this.#clearIdle();
  }

  #armIdle(ms: number): void {
    this.#idleTimer = this.#timers.setTimeout(this.#onIdleTimer, ms);
  }

  #clearIdle(): void {
    if (this.#idleTimer !== null) this.#timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #checkIdle(): void {
    this.#idleTimer = null;
    // Held input does not count as idle; releasing it re-arms the check.
    if (this.#holds !== 0 || this.#ending) return;
    const quiet = this.#timers.now() - this.#lastInput;
    if (quiet < this.#idleMs) {
      this.#armIdle(this.#idleMs - quiet);
      return;
    }
    if (this.#idleReported) return;
    this.#idleReported = true;
    this.#hooks.idle(this.#idleMs);
  }
}
