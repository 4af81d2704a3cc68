// Over the ~250-line aim on purpose: createRoom is one closure over the
// room's batch, sequence number and speakers, and each of its handlers
// (join, line, leave, rename, act, tell, flush) must see them in the same
// turn; splitting it would pass that state between files. Its parts with no
// share in that state already live apart (broadcast, broadcaster,
// turn-flush, room-log, speaker, room-order).
import { BehaviorSubject, type Observable } from 'rxjs';
import { assertEvent, createActor, type InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';
import type { RoomEmitted } from '../machines/room-events.js';
import { roomMachine } from '../machines/room-machine.js';
import type { ConnectionRef, RoomRef } from '../machines/types.js';
import {
  SHUTDOWN_NOTICE,
  formatGreeting,
  formatJoinNotice,
  formatLeaveNotice,
  formatLostEntries,
  formatRelayed
} from '../protocol/format.js';
import {
  formatAction,
  formatNowIn,
  formatQuitNotice,
  formatRename,
  memberLabel,
  speakerName
} from '../protocol/command-format.js';
import { BatchBuilder, line, type Broadcast } from './broadcast.js';
import { createBroadcaster } from './broadcaster.js';
import { RoomLog } from './room-log.js';
import { Speaker } from './speaker.js';
import {
  localOrder,
  type OrderSink,
  type OrderedEntry,
  type RoomOrder
} from './room-order.js';
import {
  EVENT_LOOP_SCHEDULER,
  createTurnFlush,
  type FlushScheduler
} from './turn-flush.js';

export { EVENT_LOOP_SCHEDULER, type FlushScheduler } from './turn-flush.js';

/** A running room: its actor, its broadcast and its count. */
export interface Room {
  readonly name: string;
  /** The name members see: `#` and `name`. */
  readonly label: string;
  readonly ref: RoomRef;
  /** Every item of the room's one order, lines already encoded: for observers. */
  readonly messages$: Observable<Broadcast>;
  /**
   * What one member is sent, from its join to its farewell (`feedFor`):
   * subscribe before joining. Its farewell reaches it alone.
   */
  feed(connId: string): Observable<Broadcast>;
  /** Membership size after each join and leave (the cluster's, in a cluster). */
  readonly count$: Observable<number>;
  /**
   * Relays one line of a member: it joins the room's order now and reaches
   * everyone at the end of this turn of the event loop, batched with the
   * other lines of the turn. False, and nothing relayed, when `connId` is
   * not a member, the room is closing, or the order refused the line.
   */
  say(connId: string, text: string): boolean;
  /** Publishes the batch so far (everything ordered and not yet sent), now. */
  flush(): void;
  /**
   * Sends `lines` to one member, after everything ordered so far (the
   * batch goes out first): command answers, errors and private lines.
   * [CHAT-CMD-MSG] False when the room is stopped.
   */
  tell(connId: string, lines: readonly string[]): boolean;
  /**
   * A member takes `name`: the room sees `OLD is now known as NAME` in its
   * order, and its later lines read `[NAME] text`. [CHAT-CMD-NICK] False
   * when `connId` is not a member here.
   */
  rename(connId: string, name: string): boolean;
  /** `/me text`: `* NAME text` to the whole room, in its order. [CHAT-CMD-ME] */
  act(connId: string, text: string): boolean;
  /**
   * The members' names (or addresses): in join order here, or, when the
   * order is a cluster's, on every node, once Redis answers. [CHAT-CMD-WHO]
   */
  who(): string[] | Promise<string[]>;
  /** True while `connId` is a member that is not leaving. */
  hasMember(connId: string): boolean;
  /** Membership size right now. */
  memberCount(): number;
  /** Live subscriptions to `messages$` and the feeds right now. */
  feedCount(): number;
  /** Messages relayed since the room started. */
  messageCount(): number;
  /** False while the order cannot take new members (Redis out of reach). */
  accepting(): boolean;
  /** True until `stop()`. */
  isRunning(): boolean;
  /** Sends what waits, leaves the order (a cluster node retires), then stops. */
  close(): Promise<void>;
  /** Stops the actor and the order and completes both streams. */
  stop(): void;
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
  /** Who orders the room's items; default this process alone (`localOrder`). */
  order?: RoomOrder;
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

/** The longest a notices-only batch waits, however big the room. */
export const MAX_NOTICE_DELAY_MS = 50;

/**
 * How long a notices-only batch waits in a room of `members`: longer in a
 * bigger room, as each flush costs one write per member. Node accepts one
 * connection per turn of the event loop, so in a join storm a batch holds
 * the joins of the turns that fit in its wait; with a fixed 1 ms, a room of
 * 1,000 spent a turn's flush (1,000 writes, several ms) on one or two
 * joins, and the storm cost N² writes (docs/performance.md, "Join
 * storms"). 5 µs a member, from 1 ms up to 50 ms at 10,000: chat lines
 * never wait for it, and a join or leave notice is seen at most that late.
 */
export function noticeDelayFor(members: number): number {
  return Math.min(
    MAX_NOTICE_DELAY_MS,
    Math.max(NOTICE_DELAY_MS, members * 0.005)
  );
}

/**
 * Starts a room: its machine decides membership, its order (`RoomOrder`)
 * puts every join, line and leave in the one order, and this is the one
 * place that fans out what comes back. [CHAT-ORDER-1]
 *
 * ```
 *  say(connId, text) ──────────────┐
 *  room machine: member.joined/left ┴─► order.append ─► … ─► deliver (in order)
 *                                                               │
 *  room machine: room.closing ─────────────────────────► BatchBuilder (this turn)
 *  own leave back: farewell (its view so far), then room.left   │ end of turn (1 ms for
 *                                                               │ notices only), or 64 KiB:
 *                             room.flush ─► room machine ─► room.flushed
 *                  publish ─► each member's feed ─► one write per member
 *                             (a farewell to its leaver's feed alone)
 * ```
 * Everything that comes back from the order in one turn of the event loop
 * goes into one batch, each line encoded once (`[ADDR] text` for everyone,
 * `[You] text` for its author, a notice as it reads); at the end of the
 * turn the batch goes out as one buffer per member, the same buffer for
 * every member it is not about. A batch of notices only waits for more
 * (`noticeDelayFor`: 1 ms, longer in a big room), so a burst of joins
 * (one per turn: Node accepts one connection per turn) shares writes too. A line from a member
 * is data, not lifecycle: it never passes through an XState transition. A
 * newcomer's view starts at its greeting, where its own join comes back, so
 * what was ordered before it never reaches it. When a leaver's leave comes
 * back it is sent its view of the batch so far (its farewell), so it has
 * everything ordered before its leave, and only then is its leave
 * confirmed (`room.left`); the others get the leave notice with the batch.
 * With the local order all of this happens the moment the machine decides;
 * with a cluster's, once the entry is back from Redis.
 *
 * Batches are published inside the room machine's processing (when it
 * answers `room.flush` with `room.flushed`), so a leave or shutdown decided
 * while a batch is being fanned out (a member's write ended that member)
 * waits in the machine's mailbox until everyone has it. Publishing never
 * nests either: an item published during another's fan-out waits for it.
 */
export function createRoom(options: RoomOptions): Room {
  const { name, onFault } = options;
  const order = options.order ?? localOrder();
  const logger = options.logger.child({
    component: 'room',
    room: name,
    ...(order.node !== undefined && { node: order.node })
  });
  const log = new RoomLog(logger);
  const count = new BehaviorSubject(0);
  /** The last count published: the closing notice repeats it. */
  let counted = 0;
  const countIs = (n: number): void => {
    counted = n;
    count.next(n);
  };
  const broadcast = createBroadcaster();
  const { publish } = broadcast;
  const batch = new BatchBuilder();
  /**
   * Each member's address and its `[ADDR] `, encoded once: the machine's
   * roster, and the leavers whose leave is not back yet (their own lines
   * still come back as theirs).
   */
  const speakers = new Map<string, Speaker>();
  const label = `#${name}`;
  /** A speaker here, not leaving: one whose line or act may go out. */
  const present = (connId: string): Speaker | undefined => {
    const speaker = speakers.get(connId);
    if (speaker === undefined || leaving.has(connId)) return undefined;
    return open && running ? speaker : undefined;
  };
  /** A member's line or `/me` into the order, named as of its last rename. */
  const speak = (
    type: 'line' | 'act',
    connId: string,
    text: string
  ): boolean => {
    const speaker = present(connId);
    if (speaker === undefined) return false;
    const nick = speaker.claimed;
    return order.append({
      type,
      conn: connId,
      remote: speaker.remote,
      ...(nick !== undefined && { name: nick }),
      text
    });
  };
  /** Leaves in the order and not back yet, and whom to confirm each to. */
  const leaving = new Map<string, ConnectionRef | null>();
  /** Lines for some members only, out after the batch. */
  const directs: Array<{ to: ReadonlySet<string>; text: string }> = [];
  let said = 0;
  let seq = 0;
  let open = true;
  let running = true;

  const actor = createActor(
    roomMachine.provide({
      actions: {
        // A member's leave is confirmed once it is back from the order,
        // after its farewell; anyone else's at once.
        confirmLeave: ({ event }) => {
          assertEvent(event, 'room.leave');
          const { connId, ref } = event;
          if (ref === undefined) return;
          if (speakers.has(connId)) leaving.set(connId, ref);
          else confirm(ref);
        }
      }
    }),
    { id: `room:${name}`, input: { name }, inspect: options.inspect }
  );

  const pending = (): boolean => !batch.isEmpty || directs.length > 0;
  const noticeDelay = (): number =>
    noticeDelayFor(actor.getSnapshot().context.roster.size);
  /** Asks the room machine to put the batch so far into the order now. */
  const flush = (): void => {
    if (pending() && running) actor.send({ type: 'room.flush' });
  };
  const turn = createTurnFlush(
    options.scheduler ?? EVENT_LOOP_SCHEDULER,
    flush
  );
  /** Publishes the batch within `delayMs`, or now if it is full. */
  const flushSoon = (delayMs: number): void => {
    if (batch.bytes >= MAX_BATCH_BYTES) flush();
    else if (pending()) turn.soon(delayMs);
  };
  /** Publishes the batch so far; only inside the room machine's processing. */
  const publishBatch = (): void => {
    turn.cancel();
    const taken = batch.take(seq + 1);
    if (taken !== null) {
      seq += 1;
      publish(taken);
    }
    for (const { to, text } of directs.splice(0))
      publish({ kind: 'direct', to, bytes: line(text), lines: 1 });
  };

  /** The leaver gets its view of what is ordered so far; then it may go. */
  const farewell = (connId: string, notice: Buffer | null): void => {
    const ref = leaving.get(connId) ?? null;
    leaving.delete(connId);
    speakers.delete(connId);
    batch.leave(connId, notice);
    publish({ kind: 'farewell', connId, batch: batch.peek(seq + 1, connId) });
    if (ref !== null) confirm(ref);
    flushSoon(noticeDelay());
  };

  const deliver = (entry: OrderedEntry): void => {
    if (entry.type === 'lost') {
      if (open) batch.notice(line(formatLostEntries(entry.entries)));
      flushSoon(0);
      return;
    }
    const speaker =
      entry.elsewhere === true ? undefined : speakers.get(entry.conn);
    const shown = speakerName(entry.remote, entry.name);
    const labelled = speaker?.label ?? memberLabel(entry.remote, entry.name);
    switch (entry.type) {
      case 'line':
        said += 1;
        log.line(entry);
        if (!open) return;
        if (speaker !== undefined)
          batch.say(entry.conn, speaker.prefix, entry.text);
        else batch.notice(line(formatRelayed(shown, entry.text)));
        flushSoon(0);
        return;
      case 'rename': {
        const old =
          speaker?.rename(entry.name) ?? speakerName(entry.remote, entry.old);
        log.rename(entry);
        if (!open) return;
        batch.notice(line(formatRename(old, entry.name)));
        flushSoon(0);
        return;
      }
      case 'act':
        said += 1;
        log.act(entry);
        if (!open) return;
        batch.notice(line(formatAction(shown, entry.text)));
        flushSoon(0);
        return;
      case 'join': {
        log.join(entry);
        if (open) {
          const notice = line(formatJoinNotice(labelled, entry.count));
          const greeting = speaker?.moved
            ? formatNowIn(label, entry.count)
            : formatGreeting(entry.count);
          if (speaker !== undefined)
            batch.join(entry.conn, line(greeting), notice);
          else batch.notice(notice);
          flushSoon(noticeDelay());
        }
        countIs(entry.count);
        return;
      }
      case 'leave': {
        log.leave(entry);
        const quit = entry.detail?.quit;
        const notice = open
          ? line(
              quit === undefined
                ? formatLeaveNotice(labelled, entry.count)
                : formatQuitNotice(labelled, quit, entry.count)
            )
          : null;
        if (entry.elsewhere !== true && leaving.has(entry.conn))
          farewell(entry.conn, notice);
        else if (speaker !== undefined) {
          // Still here, yet gone from the order (its cluster node was taken
          // for dead while it stalled): it joins again when the node
          // registers again, and sees itself neither leave nor join.
        } else if (notice !== null) {
          batch.notice(notice);
          flushSoon(noticeDelay());
        }
        countIs(entry.count);
        return;
      }
    }
  };

  const sink: OrderSink = {
    deliver,
    tell: (to, text) => {
      const set = new Set(to);
      if (set.size === 0) return;
      directs.push({ to: set, text });
      flushSoon(0);
    },
    releaseLeaves: () => {
      for (const connId of [...leaving.keys()]) farewell(connId, null);
    }
  };

  actor.on('*', (emitted: RoomEmitted) => {
    switch (emitted.type) {
      case 'room.flushed':
        publishBatch();
        return;
      case 'member.joined': {
        const { connId, remote, name: nick } = emitted;
        speakers.set(connId, new Speaker(remote, nick, emitted.moved === true));
        order.append({
          type: 'join',
          conn: connId,
          remote,
          ...(nick !== undefined && { name: nick }),
          count: emitted.count
        });
        return;
      }
      case 'member.left': {
        const { connId, remote, count: n, reason, detail } = emitted;
        if (!leaving.has(connId)) leaving.set(connId, null);
        const nick = speakers.get(connId)?.claimed;
        const back = order.append({
          type: 'leave',
          conn: connId,
          remote,
          ...(nick !== undefined && { name: nick }),
          count: n,
          reason,
          ...(detail && { detail })
        });
        // Closing, or the order cannot bring it back now: it goes at once.
        if ((!back || !open) && leaving.has(connId)) farewell(connId, null);
        return;
      }
      case 'room.closing':
        log.closing(counted);
        open = false;
        batch.notice(line(SHUTDOWN_NOTICE));
        flushSoon(noticeDelay());
        count.next(counted);
        return;
    }
  });
  actor.subscribe({
    error: (err) => {
      log.failed(err);
      onFault(err);
    }
  });
  order.start(sink);
  actor.start();

  const stop = (): void => {
    if (!running) return;
    flush();
    running = false;
    turn.cancel();
    actor.stop();
    order.stop();
    broadcast.complete();
    count.complete();
  };
  return {
    name,
    label,
    ref: actor,
    messages$: broadcast.messages$,
    feed: broadcast.feed,
    count$: count.asObservable(),
    say: (connId, text) => speak('line', connId, text),
    flush,
    tell: (connId, lines) => {
      if (!running) return false;
      for (const text of lines) directs.push({ to: new Set([connId]), text });
      flush();
      return true;
    },
    rename: (connId, nick) => {
      const speaker = present(connId);
      if (speaker === undefined) return false;
      const old = speaker.claimed;
      speaker.claim(nick);
      return order.append({
        type: 'rename',
        conn: connId,
        remote: speaker.remote,
        name: nick,
        ...(old !== undefined && { old })
      });
    },
    act: (connId, text) => speak('act', connId, text),
    who: () =>
      order.who?.() ??
      [...speakers.entries()]
        .filter(([connId]) => !leaving.has(connId))
        .map(([, speaker]) => speaker.shown),
    hasMember: (connId) => present(connId) !== undefined,
    memberCount: () => actor.getSnapshot().context.roster.size,
    feedCount: broadcast.feedCount,
    messageCount: () => said,
    accepting: () => running && order.accepting(),
    isRunning: () => actor.getSnapshot().status === 'active',
    close: async () => {
      if (!running) return;
      await order.close();
      stop();
    },
    stop
  };
}

/** `room.left` to a connection still there to take it. */
function confirm(ref: ConnectionRef): void {
  if (ref.getSnapshot().status === 'active') ref.send({ type: 'room.left' });
}
