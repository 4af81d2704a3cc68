import type { ActorRef, Snapshot } from 'xstate';
import type { ConnectionEvent } from './connection-events.js';

/** A running connection actor, as the room addresses it. */
export type ConnectionRef = ActorRef<Snapshot<unknown>, ConnectionEvent>;
