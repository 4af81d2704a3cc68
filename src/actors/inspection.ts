import type { InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';

/** The event XState starts every actor with. */
const INIT = 'xstate.init';

/** The one inspection observer every actor of a daemon is created with. */
export interface Inspection {
  /**
   * Pass to `createActor(…, { inspect })`. `undefined` while nobody watches:
   * even a no-op inspector halves an actor's event throughput
   * (docs/facts.md), so it is attached only when something consumes it.
   */
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
}

/**
 * Creates the daemon's inspection observer: the debug log (every state change
 * of a root actor, connection or room, logged once with the event that
 * caused it) when debug is on, and `watcher` when given (a caller's own
 * observer, e.g. a test recording every transition), both fed every event.
 * `inspect` stays `undefined` when neither is there.
 */
export function createInspection(
  logger: Logger,
  watcher?: (event: InspectionEvent) => void
): Inspection {
  return { inspect: composeInspectors(debugLogInspector(logger), watcher) };
}

/**
 * Logs each state change of a root actor once, before what it causes.
 *
 * XState runs a transition's effects on other actors (`sendTo`, `emit`,
 * starting invoked actors) only once the whole step is taken, and then
 * reports the new snapshot (`@xstate.snapshot`): logging there put a room's
 * `member left` before the `tcp.end online→leaving` that caused it (issue
 * 15). So each change is logged from `@xstate.microstep`, which XState sends
 * as soon as the step is taken, before those effects run; and the initial
 * state from the `xstate.init` event, which it sends before the initial
 * state's entry actions run.
 *
 * ```
 *   event ─► microstep: exit, transition and entry actions of this actor
 *              ─► @xstate.microstep  ◄── logged here
 *            deferred effects: sendTo, emit, invoked actors start
 *              ─► @xstate.snapshot   ◄── logged here before issue 15
 * ```
 */
function debugLogInspector(
  logger: Logger
): ((event: InspectionEvent) => void) | undefined {
  if (!logger.isDebugEnabled()) return undefined;
  const log = logger.child({ component: 'inspect' });
  const last = new WeakMap<object, { key: string; value: unknown }>();
  const changed = (
    actor: InspectionEvent['actorRef'],
    cause: string,
    snapshot: unknown
  ): void => {
    const value = (snapshot as { value?: unknown } | undefined)?.value;
    if (value === undefined) return;
    const key = JSON.stringify(value);
    const from = last.get(actor);
    if (from?.key === key) return;
    last.set(actor, { key, value });
    log.debug('transition', {
      connId: 'id' in actor ? actor.id : actor.sessionId,
      event: cause,
      from: from?.value ?? null,
      to: value
    });
  };
  return (event) => {
    const actor = event.actorRef;
    if (actor.sessionId !== event.rootId) return;
    if (event.type === '@xstate.microstep')
      changed(actor, event.event.type, event.snapshot);
    else if (event.type === '@xstate.event' && event.event.type === INIT)
      changed(actor, INIT, actor.getSnapshot());
  };
}

/**
 * One observer calling each of `observers` that is given, in order;
 * `undefined` when none is, so actors are created without inspection.
 */
export function composeInspectors(
  ...observers: Array<((event: InspectionEvent) => void) | undefined>
): ((event: InspectionEvent) => void) | undefined {
  const given = observers.filter(
    (observer): observer is (event: InspectionEvent) => void =>
      observer !== undefined
  );
  if (given.length <= 1) return given[0];
  return (event) => {
    for (const observer of given) observer(event);
  };
}
