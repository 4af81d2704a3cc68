import type { FlushScheduler } from '../../src/actors/room-actor.js';

/** A room's `FlushScheduler` whose turns of the event loop end when the test says. */
export interface ManualTurns {
  readonly scheduler: FlushScheduler;
  /** Flushes scheduled and not yet run or cleared. */
  pending(): number;
  /** Times a flush was scheduled, in all. */
  scheduled(): number;
  /** Ends the turn: runs the flushes scheduled so far, in order, whatever their delay. */
  endTurn(): void;
}

/**
 * Stands in for `setImmediate` in a room, so a test decides where one turn
 * of the event loop ends and the batch of that turn goes out.
 *
 * @example
 * const turns = manualTurns();
 * const room = createRoom({ name, logger, onFault, scheduler: turns.scheduler });
 * room.say('a', 'hi'); // collected
 * turns.endTurn(); // published as one batch
 */
export function manualTurns(): ManualTurns {
  const due = new Map<number, () => void>();
  let next = 0;
  return {
    scheduler: {
      set: (flush) => {
        next += 1;
        due.set(next, flush);
        return next;
      },
      clear: (handle) => {
        due.delete(handle as number);
      }
    },
    pending: () => due.size,
    scheduled: () => next,
    endTurn: () => {
      const flushes = [...due.values()];
      due.clear();
      for (const flush of flushes) flush();
    }
  };
}
