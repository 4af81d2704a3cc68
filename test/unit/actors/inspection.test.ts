import { afterEach, describe, expect, it } from 'vitest';
import {
  createActor,
  emit,
  sendTo,
  setup,
  type AnyActorRef,
  type InspectionEvent
} from 'xstate';
import {
  composeInspectors,
  createInspection
} from '../../../src/actors/inspection.js';
import type { LogLevel } from '../../../src/app/logger.js';
import { captureLog } from '../../support/log-capture.js';

const started: AnyActorRef[] = [];
afterEach(() => {
  for (const actor of started.splice(0)) actor.stop();
});

/** Logs `pinged` when pinged: an effect in another actor. */
const listenerMachine = setup({
  types: { events: {} as { type: 'ping' } },
  actions: { logPing: () => undefined }
}).createMachine({
  id: 'listener',
  initial: 'waiting',
  states: { waiting: { on: { ping: { actions: 'logPing' } } } }
});

/**
 * Emits `hello` as it starts, pings the listener as it gets busy, and runs
 * its own `note` action within the step to `done`.
 */
const workerMachine = setup({
  types: {
    events: {} as { type: 'go' } | { type: 'finish' },
    input: {} as { listener: AnyActorRef },
    context: {} as { listener: AnyActorRef },
    emitted: {} as { type: 'hello' }
  },
  actions: {
    greet: emit({ type: 'hello' as const }),
    ping: sendTo(({ context }) => context.listener, { type: 'ping' }),
    note: () => undefined
  }
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({ listener: input.listener }),
  initial: 'idle',
  states: {
    idle: { entry: 'greet', on: { go: 'busy' } },
    busy: { entry: 'ping', on: { finish: 'done' } },
    done: { entry: 'note' }
  }
});

/** The worker and its listener, logging their effects to `logger`. */
function startPair(level: LogLevel) {
  const { logger, lines } = captureLog(level);
  const { inspect } = createInspection(logger);
  const listener = createActor(
    listenerMachine.provide({
      actions: { logPing: () => logger.info('pinged') }
    }),
    { id: 'listener', inspect }
  );
  started.push(listener.start());
  const worker = createActor(
    workerMachine.provide({
      actions: { note: () => logger.info('noted') }
    }),
    { id: 'worker', input: { listener }, inspect }
  );
  worker.on('hello', () => logger.info('said hello'));
  started.push(worker.start());
  return { worker, lines };
}

describe('createInspection', () => {
  it('attaches no observer unless debug logging is on or a watcher is given', () => {
    expect(createInspection(captureLog('chat').logger).inspect).toBeUndefined();
    const watcher = (): void => undefined;
    expect(createInspection(captureLog('chat').logger, watcher).inspect).toBe(
      watcher
    );
  });

  // Issue 15, item 10: effects were logged before their causes.
  it('logs a transition before the effects it has on other actors', () => {
    const { worker, lines } = startPair('debug');
    worker.send({ type: 'go' });
    expect(lines).toEqual([
      'debug: transition connId="listener" event="xstate.init" from=null to="waiting"',
      'debug: transition connId="worker" event="xstate.init" from=null to="idle"',
      'info: said hello',
      'debug: transition connId="worker" event="go" from="idle" to="busy"',
      'info: pinged'
    ]);
  });

  it("logs an actor's own action, run within the step, just before the step", () => {
    const { worker, lines } = startPair('debug');
    worker.send({ type: 'go' });
    lines.length = 0;
    worker.send({ type: 'finish' });
    expect(lines).toEqual([
      'info: noted',
      'debug: transition connId="worker" event="finish" from="busy" to="done"'
    ]);
  });

  it('logs nothing for an event that leaves the state as it was', () => {
    const { worker, lines } = startPair('debug');
    lines.length = 0;
    worker.send({ type: 'finish' });
    expect(lines).toEqual([]);
  });
});

describe('composeInspectors', () => {
  it('calls each given observer in order, and is undefined with none', () => {
    expect(composeInspectors(undefined, undefined)).toBeUndefined();
    const seen: string[] = [];
    const inspect = composeInspectors(
      () => seen.push('a'),
      undefined,
      () => seen.push('b')
    );
    inspect?.({} as InspectionEvent);
    expect(seen).toEqual(['a', 'b']);
  });
});
