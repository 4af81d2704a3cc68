/**
 * The clock and timers a connection's policy runs on (`InputGate`,
 * `SendLimits`): the system's in the daemon, a virtual clock in replay, so
 * both run the same policy code.
 */
export interface Timers {
  /** Milliseconds, on the same scale as the timers. */
  now(): number;
  /** Calls `fn` once after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The system clock and timers. Its timers never keep the process alive
 * (`unref`): a connection's socket does that. Every call looks the globals
 * up anew, so fake timers installed by a test apply.
 */
export const systemTimers: Timers = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle: unknown): void => {
    clearTimeout(handle as NodeJS.Timeout);
  }
});
