/**
 * A list of things to undo after a test, run last-in first-out, for
 * `afterEach(() => cleanups.run())`. A failing step does not stop the others;
 * the first failure is rethrown once all have run.
 *
 * @example
 * const cleanups = createCleanups();
 * afterEach(() => cleanups.run());
 * cleanups.add(() => daemon.close());
 */
export interface Cleanups {
  add(step: () => unknown): void;
  run(): Promise<void>;
}

export function createCleanups(): Cleanups {
  let steps: (() => unknown)[] = [];
  return {
    add(step) {
      steps.push(step);
    },
    async run() {
      const pending = steps.reverse();
      steps = [];
      let failure: Error | null = null;
      for (const step of pending) {
        try {
          await step();
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error(String(err));
        }
      }
      if (failure !== null) throw failure;
    }
  };
}
