/**
 * Runs the publishing of a batch later: `delayMs` 0 means at the end of this
 * turn of the event loop (the default uses `setImmediate`), more means after
 * that many milliseconds (`setTimeout`).
 */
export interface FlushScheduler {
  set(flush: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

type RealHandle = { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };

/** The event loop's scheduler: `setImmediate` for 0, `setTimeout` for more. */
export const EVENT_LOOP_SCHEDULER: FlushScheduler = {
  set: (flush, delayMs): RealHandle =>
    delayMs === 0
      ? { immediate: setImmediate(flush) }
      : { timeout: setTimeout(flush, delayMs) },
  clear: (handle) => {
    const real = handle as RealHandle;
    if ('immediate' in real) clearImmediate(real.immediate);
    else clearTimeout(real.timeout);
  }
};

/** One pending flush of a room's batch, asked for as soon as anyone needs it. */
export interface TurnFlush {
  /** Flushes within `delayMs`; a sooner flush already asked for stands. */
  soon(delayMs: number): void;
  /** Forgets the pending flush (the batch went out another way). */
  cancel(): void;
}

/** A `TurnFlush` that calls `flush` when due. */
export function createTurnFlush(
  scheduler: FlushScheduler,
  flush: () => void
): TurnFlush {
  let handle: unknown = null;
  /** The delay `handle` was set with. */
  let delay = 0;
  const due = (): void => {
    handle = null;
    flush();
  };
  return {
    soon: (delayMs) => {
      if (handle !== null) {
        if (delay <= delayMs) return;
        scheduler.clear(handle);
      }
      delay = delayMs;
      handle = scheduler.set(due, delayMs);
    },
    cancel: () => {
      if (handle !== null) scheduler.clear(handle);
      handle = null;
    }
  };
}
