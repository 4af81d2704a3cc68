import type { InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';

/** The one inspection observer every actor of a daemon is created with. */
export interface Inspection {
  /**
   * Pass to `createActor(…, { inspect })`. `undefined` while nobody watches:
   * even a no-op inspector halves an actor's event throughput
   * (../shared/FACTS.md), so it is attached only when something consumes it.
   */
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
}

/**
 * Creates the daemon's inspection observer. For now its one consumer is the
 * debug log: every state change of a root actor (connection or room) is
 * logged once, with the event that caused it.
 */
export function createInspection(logger: Logger): Inspection {
  if (!logger.isDebugEnabled()) return { inspect: undefined };
  const log = logger.child({ component: 'inspect' });
  const last = new WeakMap<object, { key: string; value: unknown }>();
  return {
    inspect: (event) => {
      if (event.type !== '@xstate.snapshot') return;
      const actor = event.actorRef;
      if (actor.sessionId !== event.rootId) return;
      const value = (event.snapshot as { value?: unknown }).value;
      if (value === undefined) return;
      const key = JSON.stringify(value);
      const from = last.get(actor);
      if (from?.key === key) return;
      last.set(actor, { key, value });
      log.debug('transition', {
        connId: 'id' in actor ? actor.id : actor.sessionId,
        event: event.event.type,
        from: from?.value ?? null,
        to: value
      });
    }
  };
}
