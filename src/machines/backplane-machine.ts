import { fromPromise, setup, type ActorRefFrom } from 'xstate';

/** Context of a cluster node's link to Redis. */
export interface BackplaneContext {
  /** How long members are kept while Redis is out of reach. */
  readonly graceMs: number;
  /** How long to wait between attempts to register again. */
  readonly retryMs: number;
}

/** Input of the backplane actor. */
export type BackplaneInput = BackplaneContext;

/**
 * What the Redis connections tell the backplane: both are ready, one
 * closed, a script said the node must register again, the node is closing.
 */
export type BackplaneEvent =
  | { type: 'link.up' }
  | { type: 'link.lost' }
  | { type: 'link.stale' }
  | { type: 'link.close' };

/**
 * A cluster node's link to Redis (src/cluster/redis-order.ts owns the
 * connections and provides the effects). [CLUSTER-1]
 *
 * - `starting`: registers the node and its members (the SYNC script); the
 *   daemon starts listening only once it is `live`.
 * - `live`: lines, joins and leaves go to the room's log and come back
 *   from it in one global order.
 * - `resyncing`: a script answered that the node must register again (it
 *   was declared dead while stalled, or Redis lost its data). What members
 *   send waits and goes out once it has registered again; nobody is told.
 * - `recovering`: Redis is out of reach. Members are told the chat is
 *   temporarily unavailable and each line they send is answered with an
 *   error; the node retries, registers again and catches up from the last
 *   entry it read. Past the grace period it disconnects its members.
 * - `expired`: members were disconnected; new connections are refused until
 *   Redis answers again.
 * - `closed`: the node has retired from the room.
 */
export const backplaneMachine = setup({
  types: {
    context: {} as BackplaneContext,
    events: {} as BackplaneEvent,
    input: {} as BackplaneInput
  },
  actors: {
    /** Registers the node and its members; rejects when Redis fails it. */
    register: fromPromise<void>(() => Promise.resolve())
  },
  actions: {
    /** Starts reading the log from the last entry read, and sends what waited. */
    resume: () => undefined,
    /** Stops reading the log and sending to it. */
    pause: () => undefined,
    /** Tells every member the chat is temporarily unavailable; fails what was in flight. */
    announceUnavailable: () => undefined,
    /** Tells every member the chat is available again. */
    announceAvailable: () => undefined,
    /** Disconnects every member with the reason. */
    disconnectMembers: () => undefined,
    /** Logs why registering failed. */
    reportSyncFailure: () => undefined
  },
  delays: {
    grace: ({ context }) => context.graceMs,
    retry: ({ context }) => context.retryMs
  }
}).createMachine({
  id: 'backplane',
  context: ({ input }) => ({ ...input }),
  initial: 'starting',
  on: { 'link.close': '.closed' },
  states: {
    starting: {
      invoke: {
        id: 'register',
        src: 'register',
        onDone: 'live',
        onError: { target: 'expired', actions: 'reportSyncFailure' }
      }
    },
    live: {
      entry: 'resume',
      exit: 'pause',
      on: {
        'link.lost': 'recovering',
        'link.stale': 'resyncing'
      }
    },
    resyncing: {
      on: { 'link.lost': 'recovering' },
      invoke: {
        id: 'register',
        src: 'register',
        onDone: 'live',
        onError: { target: 'recovering', actions: 'reportSyncFailure' }
      }
    },
    recovering: {
      after: { grace: 'expired' },
      entry: 'announceUnavailable',
      initial: 'down',
      on: { 'link.lost': '.down' },
      states: {
        down: {
          on: { 'link.up': 'syncing' },
          after: { retry: 'syncing' }
        },
        syncing: {
          invoke: {
            id: 'register',
            src: 'register',
            onDone: { target: '#backplane.live', actions: 'announceAvailable' },
            onError: { target: 'down', actions: 'reportSyncFailure' }
          }
        }
      }
    },
    expired: {
      entry: 'disconnectMembers',
      initial: 'down',
      on: { 'link.lost': '.down' },
      states: {
        down: {
          on: { 'link.up': 'syncing' },
          after: { retry: 'syncing' }
        },
        syncing: {
          invoke: {
            id: 'register',
            src: 'register',
            onDone: { target: '#backplane.live' },
            onError: { target: 'down', actions: 'reportSyncFailure' }
          }
        }
      }
    },
    closed: { type: 'final' }
  }
});

/** A running backplane actor. */
export type BackplaneActor = ActorRefFrom<typeof backplaneMachine>;

/**
 * Resolves once the backplane has left `starting`: true when it is `live`
 * (registered), false when registering failed.
 */
export function whenStarted(backplane: BackplaneActor): Promise<boolean> {
  return new Promise((resolve) => {
    const watch = backplane.subscribe((snapshot) => {
      if (snapshot.matches('starting')) return;
      watch.unsubscribe();
      resolve(snapshot.matches('live'));
    });
  });
}
