import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { createActor, type InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';
import type {
  MembershipEmitted,
  RoomEmitted
} from '../machines/room-events.js';
import { roomMachine } from '../machines/room-machine.js';
import type { RoomRef } from '../machines/types.js';
import { BatchBuilder, toBroadcast, type Broadcast } from './broadcast.js';

/** A running room: its actor, its broadcast and its count. */
export interface Room {
  readonly name: string;
  readonly ref: RoomRef;
  /** Every item of the room's one order, lines already encoded. */
  readonly messages$: Observable<Broadcast>;
  /** Membership size after each join and leave. */
  readonly count$: Observable<number>;
  /**
   * Relays one line of a member: it joins the room's order now and reaches
   * everyone at the end of this turn of the event loop, batched with the
   * other lines of the turn. False, and nothing relayed, when `connId` is
   * not a member or the room is closing.
   */
  say(connId: string, text: string): boolean;
  /** Delivers what was said and not yet delivered, now. */
  flush(): void;
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

/** Runs the delivery of a turn's messages later; the default is `setImmediate`. */
export interface FlushScheduler {
  set(flush: () => void): unknown;
  clear(handle: unknown): void;
}

/** What a room needs from the daemon. */
export interface RoomOptions {
  name: string;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /** Called once if the room actor itself fails: a daemon fault. */
  onFault: (err: unknown) => void;
  /** When a turn's messages go out; replay passes its virtual clock. */
  scheduler?: FlushScheduler;
}

/** Past this many bytes of messages, a batch goes out without waiting for the turn to end. */
const MAX_BATCH_BYTES = 64 * 1024;

const IMMEDIATE: FlushScheduler = {
  set: (flush) => setImmediate(flush),
  clear: (handle) => clearImmediate(handle as NodeJS.Immediate)
};

/**
 * Starts a room: its actor decides membership, and this is the one place
 * that orders and fans out. [CHAT-ORDER-1]
 *
 * ```
 *  say(connId, text) ─► BatchBuilder            (once per turn, or at 64 KiB)
 *                           │ room.flush ─► room machine ─ room.flushed ───────┐
 *                           └──────────────  member.joined/left, room.closing ─┤
 *                                                                              ▼
 *                      publish ─► messages$ ─► each member's feed ─► its socket
 * ```
 * A line from a member is data, not lifecycle: it never passes through an
 * XState transition. It is encoded once (`[ADDR] text` for everyone, `[You]
 * text` for its author) and collected with the other lines of the same turn;
 * at the end of the turn the batch goes out as one buffer per member, so a
 * socket gets one write per turn, not one per message. Every membership
 * event first flushes what was said before it, so the one order holds:
 * lines said before a join never reach the newcomer, lines said before a
 * leave reach the leaver.
 *
 * Everything is published inside the room machine's processing (a batch
 * when the machine answers `room.flush` with `room.flushed`), so a leave or
 * shutdown decided while an item is being fanned out (a member's write
 * ended that member) waits in the machine's mailbox until everyone has the
 * item, as it did when every line was an event. Publishing never nests
 * either: an item published during another's fan-out waits for it.
 *
 * The console log is written here, in the same step as the order, so it
 * shows events in the room's order.
 */
export function createRoom(options: RoomOptions): Room {
  const { name, onFault } = options;
  const scheduler = options.scheduler ?? IMMEDIATE;
  const logger = options.logger.child({ component: 'room', room: name });
  // The level is fixed for the daemon's life: asking winston per message
  // costs more than the check (../shared/FACTS.md).
  const chatLogged = logger.isLevelEnabled('chat');
  const messages = new Subject<Broadcast>();
  const count = new BehaviorSubject(0);
  const actor = createActor(roomMachine, {
    id: `room:${name}`,
    input: { name },
    inspect: options.inspect
  });

  let feeds = 0;
  let said = 0;
  let seq = 0;
  let open = true;
  let running = true;
  /** Each member's address and its `[ADDR] `, encoded once; mirrors the machine's roster. */
  const speakers = new Map<string, { remote: string; prefix: Buffer }>();
  let batch = new BatchBuilder();
  let flushHandle: unknown = null;
  const waiting: Broadcast[] = [];
  let publishing = false;

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

  const publish = (item: Broadcast): void => {
    waiting.push(item);
    if (publishing) return;
    publishing = true;
    try {
      for (let next = waiting.shift(); next; next = waiting.shift())
        messages.next(next);
    } finally {
      publishing = false;
    }
  };

  /** Publishes what was said so far; only inside the room's own processing. */
  const publishLines = (): void => {
    if (flushHandle !== null) scheduler.clear(flushHandle);
    flushHandle = null;
    const taken = batch.take(seq + 1);
    if (taken === null) return;
    seq += 1;
    batch = new BatchBuilder();
    publish(taken);
  };
  /** Asks the room machine to put what was said so far into the order now. */
  const flush = (): void => {
    if (batch.size > 0 && running) actor.send({ type: 'room.flush' });
  };
  const flushLater = (): void => {
    flushHandle = null;
    flush();
  };

  const say = (connId: string, text: string): boolean => {
    const speaker = speakers.get(connId);
    if (speaker === undefined || !open || !running) return false;
    said += 1;
    if (chatLogged) {
      logger.log('chat', 'member said', {
        event: 'message',
        connId,
        remote: speaker.remote,
        text
      });
    }
    batch.add(connId, speaker.prefix, text);
    if (batch.bytes >= MAX_BATCH_BYTES) flush();
    else flushHandle ??= scheduler.set(flushLater);
    return true;
  };

  actor.on('*', (emitted: RoomEmitted) => {
    if (emitted.type === 'room.flushed') {
      publishLines();
      return;
    }
    // What was said before this event is ordered before it.
    publishLines();
    logEmitted(logger, emitted);
    if (emitted.type === 'member.joined') {
      const { connId, remote } = emitted;
      speakers.set(connId, { remote, prefix: Buffer.from(`[${remote}] `) });
    } else if (emitted.type === 'member.left') {
      speakers.delete(emitted.connId);
    } else {
      open = false;
    }
    seq += 1;
    publish(toBroadcast(emitted, seq));
    // Joins, leaves and closing carry the count at their point in the order.
    count.next(emitted.count);
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
    say,
    flush,
    memberCount: () => actor.getSnapshot().context.roster.size,
    feedCount: () => feeds,
    messageCount: () => said,
    isRunning: () => actor.getSnapshot().status === 'active',
    stop: () => {
      flush();
      running = false;
      actor.stop();
      messages.complete();
      count.complete();
    }
  };
}

function logEmitted(logger: Logger, emitted: MembershipEmitted): void {
  switch (emitted.type) {
    case 'member.joined':
      logger.info('member joined', {
        event: 'join',
        connId: emitted.connId,
        remote: emitted.remote,
        count: emitted.count
      });
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
