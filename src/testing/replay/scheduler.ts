import { SimulatedClock } from 'xstate';
import { createRng, type Rng } from '../../tools/peers/rng.js';
import type { ConnectionTimers } from '../../transport/memory-connection.js';

/** Timer firings one `advance` may run before it calls it a runaway loop. */
const MAX_FIRINGS_PER_ADVANCE = 100_000;

/**
 * Virtual time for a replay: XState's `SimulatedClock` underneath (pass it
 * as `createActor(logic, { clock })`), with the due time of each timer kept
 * so `advance` fires every timer at its own instant, in order, rather than
 * all of them at the end of the jump as `SimulatedClock.increment` does.
 * The transport's timers (idle, stall, linger) run on it too.
 */
export class VirtualClock implements ConnectionTimers {
  readonly #simulated = new SimulatedClock();
  readonly #due = new Map<number, number>();

  /** Virtual milliseconds since the replay began. */
  now(): number {
    return this.#simulated.now();
  }

  setTimeout(fn: () => void, ms: number): number {
    const delay = Math.max(0, ms);
    const id = this.#simulated.setTimeout(() => {
      this.#due.delete(id);
      fn();
    }, delay);
    this.#due.set(id, this.now() + delay);
    return id;
  }

  clearTimeout(id: unknown): void {
    if (typeof id !== 'number') return;
    this.#due.delete(id);
    this.#simulated.clearTimeout(id);
  }

  /** Timers armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#due.size;
  }

  /** Moves time forward by `ms`, firing each timer due by then at its instant. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(${ms}): not a duration`);
    const target = this.now() + ms;
    for (let fired = 0; ; fired++) {
      if (fired >= MAX_FIRINGS_PER_ADVANCE)
        throw new Error(
          `advance(${ms}): more than ${MAX_FIRINGS_PER_ADVANCE} timers fired; a timer re-arms itself without end`
        );
      let next = Infinity;
      for (const due of this.#due.values()) next = Math.min(next, due);
      if (next > target) break;
      this.#simulated.set(Math.max(next, this.now()));
    }
    this.#simulated.set(target);
  }
}

/**
 * A seeded, deterministic scheduler for a replay: one virtual clock, one
 * seeded random source, and a FIFO queue of steps run one at a time. After
 * every step it fires the timers already due (a zero-length `advance`, the
 * replay's version of "the next tick"), so nothing ever waits on real time.
 */
export class Scheduler<Step> {
  readonly seed: number;
  readonly clock = new VirtualClock();
  /** The only randomness a replay may use, so one seed gives one run. */
  readonly rng: Rng;
  readonly #queue: Step[] = [];
  #head = 0;

  constructor(seed: number) {
    this.seed = seed;
    this.rng = createRng(seed);
  }

  /** Queues steps behind those already queued. */
  enqueue(...steps: readonly Step[]): void {
    this.#queue.push(...steps);
  }

  /** Steps queued and not yet run. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Runs queued steps in order until the queue is empty or `run` returns
   * false (it stops the replay; the steps left stay queued). Bounded by the
   * queue: a step may enqueue more, up to `maxSteps` in all.
   */
  runQueued(run: (step: Step) => boolean, maxSteps = 10_000): void {
    for (let ran = 0; this.#head < this.#queue.length; ran++) {
      if (ran >= maxSteps)
        throw new Error(`scheduler: more than ${maxSteps} steps; stopping`);
      const step = this.#queue[this.#head] as Step;
      this.#head += 1;
      const more = run(step);
      this.clock.advance(0);
      if (!more) return;
    }
  }
}
