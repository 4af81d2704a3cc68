import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { createActor, type InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';
import type {
  MembershipEmitted,
  RoomEmitted
} from '../machines/room-events.js';
import { roomMachine } from '../machines/room-machine.js';
import type { RoomRef } from '../machines/types.js';
import {
  SHUTDOWN_NOTICE,
  formatGreeting,
  formatJoinNotice,
  formatLeaveNotice
} from '../protocol/format.js';
import { BatchBuilder, line, type Broadcast } from './broadcast.js';

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
  /** Publishes the batch so far (everything ordered and not yet sent), now. */
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

/**
 * Runs the publishing of a batch later: `delayMs` 0 means at the end of this
 * turn of the event loop (the default uses `setImmediate`), more means after
 * that many milliseconds (`setTimeout`).
 */
export interface FlushScheduler {
  set(flush: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

/** What a room needs from the daemon. */
export interface RoomOptions {
  name: string;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /** Called once if the room actor itself fails: a daemon fault. */
  onFault: (err: unknown) => void;
  /** When a turn's batch goes out; replay passes its virtual clock. */
  scheduler?: FlushScheduler;
}

/** Past this many bytes, a batch goes out without waiting for the turn to end. */
export const MAX_BATCH_BYTES = 64 * 1024;

/**
 * How long a batch holding only membership notices may wait for more.
 * Node accepts one connection per turn of the event loop, so without this
 * a burst of N joins costs N writes to every member (N² in all); with it,
 * the joins of a millisecond share one. Chat lines never wait for it.
 */
export const NOTICE_DELAY_MS = 1;

type RealHandle = { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };

export const IMMEDIATE: FlushScheduler = {
  set: (flush, delayMs): RealHandle =>
    delayMs === 0
      ? { immediate: setImmediate(flush) }
      : { timeout: setTimeout(flush, delayMs) },
  clear: (handle) => {
    const real = handle as RealHandle;
    if ('immediate' in real) clearImmediate(real.immediate);
    else clearTimeout(real.timeout);
  }
};

/**
 * Starts a room: its machine decides membership, and this is the one place
 * that orders and fans out. [CHAT-ORDER-1]
 *
 * ```
 *  say(connId, text) ──────────────────────┐
 *  room machine: member.joined/left, ──────┤─► BatchBuilder (this turn, in order)
 *                room.closing              │        │ end of turn (1 ms for notices only), or 64 KiB:
 *                                          │        │ room.flush ─► room machine ─► room.flushed
 *  member.left: farewell (its view so far) ┘        ▼
 *                  publish ─► messages$ ─► each member's feed ─► one write per member
 * ```
 * Everything the room orders in one turn of the event loop (lines, joins,
 * leaves, the closing notice) goes into one batch, each line encoded once
 * (`[ADDR] text` for everyone, `[You] text` for its author, a notice as it
 * reads); at the end of the turn the batch goes out as one buffer per
 * member, the same buffer for every member it is not about. A batch of
 * notices only waits up to `NOTICE_DELAY_MS` for more, so a burst of joins
 * (one per turn: Node accepts one connection per turn) shares writes too. A line from a
 * member is data, not lifecycle: it never passes through an XState
 * transition. A newcomer's view of the batch starts at its greeting, so
 * what was ordered before its join never reaches it. A leaver is sent its
 * view of the batch so far the moment the machine decides the leave (its
 * farewell), so it has everything ordered before its leave before its
 * connection closes; the others get the leave notice with the batch.
 *
 * Everything is published inside the room machine's processing (a batch
 * when the machine answers `room.flush` with `room.flushed`, a farewell
 * when it emits `member.left`), so a leave or shutdown decided while an
 * item is being fanned out (a member's write ended that member) waits in
 * the machine's mailbox until everyone has the item. Publishing never nests
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
  const count = new BehaviorSubject(0);
  const actor = createActor(roomMachine, {
    id: `room:${name}`,
    input: { name },
    inspect: options.inspect
  });

  const broadcast = createBroadcaster();
  let said = 0;
  let seq = 0;
  let open = true;
  let running = true;
  /** Each member's address and its `[ADDR] `, encoded once; mirrors the machine's roster. */
  const speakers = new Map<string, { remote: string; prefix: Buffer }>();
  const batch = new BatchBuilder();
  let flushHandle: unknown = null;
  /** The delay `flushHandle` was set with. */
  let flushDelay = 0;
  const { publish } = broadcast;
  /** Publishes the batch so far; only inside the room machine's processing. */
  const publishBatch = (): void => {
    if (flushHandle !== null) scheduler.clear(flushHandle);
    flushHandle = null;
    const taken = batch.take(seq + 1);
    if (taken === null) return;
    seq += 1;
    publish(taken);
  };
  /** Asks the room machine to put the batch so far into the order now. */
  const flush = (): void => {
    if (!batch.isEmpty && running) actor.send({ type: 'room.flush' });
  };
  /** Publishes the batch within `delayMs`, or now if it is full. */
  const flushSoon = (delayMs: number): void => {
    if (batch.bytes >= MAX_BATCH_BYTES) {
      flush();
      return;
    }
    if (flushHandle !== null) {
      if (flushDelay <= delayMs) return;
      scheduler.clear(flushHandle);
    }
    flushDelay = delayMs;
    flushHandle = scheduler.set(flushLater, delayMs);
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
    batch.say(connId, speaker.prefix, text);
    flushSoon(0);
    return true;
  };

  actor.on('*', (emitted: RoomEmitted) => {
    if (emitted.type === 'room.flushed') {
      publishBatch();
      return;
    }
    logEmitted(logger, emitted);
    switch (emitted.type) {
      case 'member.joined': {
        const { connId, remote, count: n } = emitted;
        speakers.set(connId, { remote, prefix: Buffer.from(`[${remote}] `) });
        batch.join(
          connId,
          line(formatGreeting(n)),
          line(formatJoinNotice(remote, n))
        );
        break;
      }
      case 'member.left': {
        const { connId, remote, count: n } = emitted;
        speakers.delete(connId);
        batch.leave(
          connId,
          emitted.announced ? line(formatLeaveNotice(remote, n)) : null
        );
        // The leaver gets everything ordered before its leave now, before
        // its connection closes; the others get the leave with the batch.
        publish({
          kind: 'farewell',
          connId,
          batch: batch.peek(seq + 1, connId)
        });
        break;
      }
      case 'room.closing':
        open = false;
        batch.notice(line(SHUTDOWN_NOTICE));
        break;
    }
    flushSoon(NOTICE_DELAY_MS);
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
    messages$: broadcast.messages$,
    count$: count.asObservable(),
    say,
    flush,
    memberCount: () => actor.getSnapshot().context.roster.size,
    feedCount: broadcast.feedCount,
    messageCount: () => said,
    isRunning: () => actor.getSnapshot().status === 'active',
    stop: () => {
      flush();
      running = false;
      actor.stop();
      broadcast.complete();
      count.complete();
    }
  };
}

/**
 * The room's broadcast: publishing never nests (an item published during
 * another's fan-out waits for it), and live subscriptions are counted so
 * tests and the inspector can see every member's feed end with it.
 */
export function createBroadcaster() {
  const messages = new Subject<Broadcast>();
  const waiting: Broadcast[] = [];
  let publishing = false;
  let feeds = 0;
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
  return {
    messages$,
    publish,
    feedCount: () => feeds,
    complete: () => messages.complete()
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
