import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { createActor, type InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';
import type { RoomEmitted } from '../machines/room-events.js';
import { roomMachine } from '../machines/room-machine.js';
import type { RoomRef } from '../machines/types.js';
import { toBroadcast, type Broadcast } from './broadcast.js';

/** A running room: its actor, its broadcast and its count. */
export interface Room {
  readonly name: string;
  readonly ref: RoomRef;
  /** Every event in the room's total order, lines already encoded. */
  readonly messages$: Observable<Broadcast>;
  /** Membership size after each join and leave. */
  readonly count$: Observable<number>;
  /** Membership size right now. */
  memberCount(): number;
  /** Live subscriptions to `messages$` right now. */
  feedCount(): number;
  /** Messages relayed since the room started. */
  messageCount(): number;
  /** True until `stop()`. */
  isRunning(): boolean;
  /** Stops the actor and completes both streams. */
  stop(): void;
}

/** What a room needs from the daemon. */
export interface RoomOptions {
  name: string;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /** Called once if the room actor itself fails: a daemon fault. */
  onFault: (err: unknown) => void;
}

/**
 * Starts a room actor and hangs its RxJS broadcast on what it emits. The
 * console log is written here, in the same step as the broadcast, so the log
 * shows events in the room's order.
 */
export function createRoom(options: RoomOptions): Room {
  const { name, onFault } = options;
  const logger = options.logger.child({ component: 'room', room: name });
  const messages = new Subject<Broadcast>();
  const count = new BehaviorSubject(0);
  const actor = createActor(roomMachine, {
    id: `room:${name}`,
    input: { name },
    inspect: options.inspect
  });

  let feeds = 0;
  let said = 0;
  // Counted so tests (and later the inspector) can see that every member's
  // subscription ends with it.
  const messages$ = new Observable<Broadcast>((subscriber) => {
    feeds += 1;
    const subscription = messages.subscribe(subscriber);
    return () => {
      feeds -= 1;
      subscription.unsubscribe();
    };
  });

  actor.on('*', (emitted: RoomEmitted) => {
    logEmitted(logger, emitted);
    if (emitted.type === 'member.said') said += 1;
    messages.next(toBroadcast(emitted));
    // Joins, leaves and closing carry the count at their point in the order.
    if ('count' in emitted) count.next(emitted.count);
  });
  actor.subscribe({
    error: (err) => {
      logger.error('room failed', { err });
      onFault(err);
    }
  });
  actor.start();

  return {
    name,
    ref: actor,
    messages$,
    count$: count.asObservable(),
    memberCount: () => actor.getSnapshot().context.roster.size,
    feedCount: () => feeds,
    messageCount: () => said,
    isRunning: () => actor.getSnapshot().status === 'active',
    stop: () => {
      actor.stop();
      messages.complete();
      count.complete();
    }
  };
}

function logEmitted(logger: Logger, emitted: RoomEmitted): void {
  switch (emitted.type) {
    case 'member.joined':
      logger.info('member joined', {
        event: 'join',
        connId: emitted.connId,
        remote: emitted.remote,
        count: emitted.count
      });
      return;
    case 'member.said':
      // Per-message: guarded, so it costs nothing when the level is off.
      if (logger.isLevelEnabled('chat')) {
        logger.log('chat', 'member said', {
          event: 'message',
          connId: emitted.connId,
          remote: emitted.remote,
          text: emitted.text
        });
      }
      return;
    case 'member.left':
      // The one record of a member's ending, whatever ended it, with what
      // the connection knew about it (`why`, `queuedBytes`, `idleMs`, `code`).
      logger.info('member left', {
        event: 'leave',
        connId: emitted.connId,
        remote: emitted.remote,
        count: emitted.count,
        reason: emitted.reason,
        ...emitted.detail
      });
      return;
    case 'room.closing':
      logger.info('room closing', { event: 'closing', count: emitted.count });
      return;
  }
}
