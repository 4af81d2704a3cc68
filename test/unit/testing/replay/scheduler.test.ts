import { createActor, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  Scheduler,
  VirtualClock
} from '../../../../src/testing/replay/scheduler.js';

describe('VirtualClock', () => {
  it('fires each timer at its own instant, in order, including ones armed while advancing', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`c@${clock.now()}`), 5);
    }, 10);
    const cleared = clock.setTimeout(() => fired.push('never'), 12);
    clock.clearTimeout(cleared);
    clock.advance(100);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(100);
    expect(clock.pendingTimers).toBe(0);
  });

  it("drives XState's after timers as the actor's clock", () => {
    const clock = new VirtualClock();
    const machine = createMachine({
      initial: 'waiting',
      states: {
        waiting: { after: { 5000: 'done' } },
        done: { type: 'final' }
      }
    });
    const actor = createActor(machine, { clock }).start();
    clock.advance(4999);
    expect(actor.getSnapshot().value).toBe('waiting');
    clock.advance(1);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('stops a timer that re-arms itself forever with an error', () => {
    const clock = new VirtualClock();
    const again = (): void => {
      clock.setTimeout(again, 0);
    };
    again();
    expect(() => clock.advance(1)).toThrow(/re-arms itself/);
  });
});

describe('Scheduler', () => {
  it('runs queued steps in order, fires due timers after each, and stops when asked', () => {
    const scheduler = new Scheduler<string>(7);
    const seen: string[] = [];
    scheduler.clock.setTimeout(() => seen.push('tick'), 0);
    scheduler.enqueue('a', 'stop', 'b');
    scheduler.runQueued((step) => {
      seen.push(step);
      return step !== 'stop';
    });
    expect(seen).toEqual(['a', 'tick', 'stop']);
    expect(scheduler.pending).toBe(1);
  });

  it('draws the same numbers from the same seed', () => {
    const draw = (seed: number) => {
      const { rng } = new Scheduler<never>(seed);
      return Array.from({ length: 5 }, () => rng.int(1, 7));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});
