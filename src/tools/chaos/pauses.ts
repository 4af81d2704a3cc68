/**
 * Waits that a group of chatting clients can cut short all at once: the
 * observers pace their lines and poll their markers through one, so that
 * stopping or closing the group wakes every loop now instead of a pace (or
 * a poll) later.
 */
export interface Pauses {
  // Properties, not methods: the observers take them apart.
  /** Resolves after `ms`, or at the next `wakeAll`, whichever comes first. */
  readonly pause: (ms: number) => Promise<void>;
  /** Ends every pause pending now; later pauses wait as usual. */
  readonly wakeAll: () => void;
}

/**
 * A new, empty set of pauses.
 *
 * @example
 * const pauses = createPauses();
 * while (chatting) await pauses.pause(interval); // elsewhere: pauses.wakeAll()
 */
export function createPauses(): Pauses {
  const wakers = new Set<() => void>();
  return {
    pause: (ms) =>
      new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        wakers.add(done);
      }),
    wakeAll: () => {
      for (const wake of [...wakers]) wake();
    }
  };
}
