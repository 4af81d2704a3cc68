import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import {
  bytesOf,
  linesOf,
  type Batch,
  type Broadcast
} from '../../../src/actors/broadcast.js';
import { createInspection } from '../../../src/actors/inspection.js';
import {
  MAX_NOTICE_DELAY_MS,
  NOTICE_DELAY_MS,
  noticeDelayFor,
  createRoom,
  type FlushScheduler,
  type Room
} from '../../../src/actors/room-actor.js';
import type { LogLevel } from '../../../src/app/logger.js';
import type { LeaveReason } from '../../../src/machines/types.js';
import type { ConnectionRef } from '../../../src/machines/types.js';
import { captureLog } from '../../support/log-capture.js';
import { manualTurns } from '../../support/manual-turns.js';

const started: AnyActorRef[] = [];
const subscriptions: Subscription[] = [];
let room: Room | undefined;
afterEach(() => {
  room?.stop();
  room = undefined;
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  for (const actor of started.splice(0)) actor.stop();
});

function fakeConnection(): ConnectionRef {
  const actor = createActor(fromCallback(() => undefined));
  started.push(actor);
  return actor.start();
}

function lfCount(bytes: Buffer): number {
  let n = 0;
  for (const byte of bytes) if (byte === 0x0a) n += 1;
  return n;
}

/** `batch 3`, or `farewell a 3` (the seq of the batch it is a view of). */
function describeItem(item: Broadcast): string {
  if (item.kind === 'direct') return `direct ${[...item.to].join(',')}`;
  return item.kind === 'batch'
    ? `batch ${item.seq}`
    : `farewell ${item.connId} ${item.batch.seq}`;
}

/** A room on `level` (default info) whose turns end when the test says. */
function startRoom(level: LogLevel = 'info') {
  const log = captureLog(level);
  const turns = manualTurns();
  room = createRoom({
    name: 'lobby',
    logger: log.logger,
    onFault: vi.fn(),
    scheduler: turns.scheduler
  });
  const r = room;
  const seen: Broadcast[] = [];
  const subscription = r.messages$.subscribe((b) => seen.push(b));
  subscriptions.push(subscription);
  /** Per member, each write its feed makes, as a connection's feed would. */
  const written = new Map<string, string[]>();
  /** Writes whose line count is not the number of lines written. */
  const miscounted: string[] = [];
  /** Subscribes `connId`'s feed, then joins, as its connection does. */
  const join = (connId: string) => {
    const writes: string[] = [];
    written.set(connId, writes);
    subscriptions.push(
      r.feed(connId).subscribe((item) => {
        const bytes = bytesOf(item, connId);
        if (bytes === null) return;
        writes.push(bytes.toString());
        if (linesOf(item, connId) !== lfCount(bytes))
          miscounted.push(`${connId}: ${describeItem(item)}`);
      })
    );
    r.ref.send({
      type: 'room.join',
      connId,
      remote: `${connId}:1`,
      ref: fakeConnection()
    });
  };
  const leave = (connId: string, reason: LeaveReason = 'client quit') =>
    r.ref.send({ type: 'room.leave', connId, remote: `${connId}:1`, reason });
  /** What `connId`'s feed wrote so far, one entry per write. */
  const writes = (connId: string) => written.get(connId) ?? [];
  const items = () => seen.map(describeItem);
  return {
    room: r,
    log,
    turns,
    seen,
    subscription,
    join,
    leave,
    writes,
    items,
    miscounted
  };
}

function lastBatch(seen: readonly Broadcast[]): Batch {
  const batch = seen.findLast((b) => b.kind === 'batch');
  if (batch?.kind !== 'batch') throw new Error('no batch published');
  return batch;
}

describe('createRoom', () => {
  it("publishes one batch per turn: the turn's joins, lines and leave notices, in order, one write per member", () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    expect(t.room.say('a', 'hi')).toBe(true);
    t.join('c');
    t.room.say('b', 'yo');
    t.leave('b');
    t.room.say('c', 'hey');
    t.room.say('a', 'bye');
    // Only the leaver's farewell went out at once.
    expect(t.items()).toEqual(['farewell b 1']);
    expect(t.turns.pending()).toBe(1);

    t.turns.endTurn();
    expect(t.items()).toEqual(['farewell b 1', 'batch 1']);
    expect(lastBatch(t.seen)).toMatchObject({ lines: 8 });
    expect(lastBatch(t.seen).others.toString()).toBe(
      'New user a:1 entered (1 user online)\n' +
        'New user b:1 entered (2 users online)\n' +
        '[a:1] hi\n' +
        'New user c:1 entered (3 users online)\n' +
        '[b:1] yo\n' +
        'The user b:1 left (2 users online)\n' +
        '[c:1] hey\n' +
        '[a:1] bye\n'
    );
    expect(t.writes('a')).toEqual([
      'Connected to the chat server (1 user online)\n' +
        'New user b:1 entered (2 users online)\n' +
        '[You] hi\n' +
        'New user c:1 entered (3 users online)\n' +
        '[b:1] yo\n' +
        'The user b:1 left (2 users online)\n' +
        '[c:1] hey\n' +
        '[You] bye\n'
    ]);
    expect(t.writes('b')).toEqual([
      'Connected to the chat server (2 users online)\n' +
        '[a:1] hi\n' +
        'New user c:1 entered (3 users online)\n' +
        '[You] yo\n'
    ]);
    expect(t.writes('c')).toEqual([
      'Connected to the chat server (3 users online)\n' +
        '[b:1] yo\n' +
        'The user b:1 left (2 users online)\n' +
        '[You] hey\n' +
        '[a:1] bye\n'
    ]);
    expect(t.miscounted).toEqual([]);
  });

  it('publishes nothing at once for a join, but counts it at once', () => {
    const t = startRoom();
    const counts: number[] = [];
    subscriptions.push(t.room.count$.subscribe((n) => counts.push(n)));
    t.join('a');
    expect(t.seen).toEqual([]);
    expect(t.writes('a')).toEqual([]);
    expect(counts).toEqual([0, 1]);
    expect(t.room.memberCount()).toBe(1);
    expect(t.turns.pending()).toBe(1);

    t.turns.endTurn();
    expect(t.items()).toEqual(['batch 1']);
    expect(t.writes('a')).toEqual([
      'Connected to the chat server (1 user online)\n'
    ]);
  });

  it('delivers the lines said in one turn as one batch at its end, scheduled once', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.turns.endTurn();
    t.room.say('a', 'one');
    t.room.say('b', 'two');
    t.room.say('a', 'three');
    expect(t.items()).toEqual(['batch 1']);
    expect(t.turns.scheduled()).toBe(2);
    expect(t.turns.pending()).toBe(1);

    t.turns.endTurn();
    expect(t.items()).toEqual(['batch 1', 'batch 2']);
    expect(lastBatch(t.seen)).toMatchObject({
      kind: 'batch',
      seq: 2,
      lines: 3
    });
    expect(t.writes('b').at(-1)).toBe('[a:1] one\n[You] two\n[a:1] three\n');

    // The next turn is the next batch, the next position in the order.
    t.room.say('b', 'four');
    expect(t.turns.scheduled()).toBe(3);
    t.turns.endTurn();
    expect(t.writes('a').slice(2)).toEqual(['[b:1] four\n']);
    // A turn in which nothing happened publishes nothing.
    t.turns.endTurn();
    expect(t.seen).toHaveLength(3);
    expect(t.room.messageCount()).toBe(4);
  });

  it('ends a turn on setImmediate when no scheduler is given', async () => {
    const { logger } = captureLog('info');
    room = createRoom({ name: 'lobby', logger, onFault: vi.fn() });
    const seen: Broadcast[] = [];
    subscriptions.push(room.messages$.subscribe((b) => seen.push(b)));
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: 'a:1',
      ref: fakeConnection()
    });
    room.say('a', 'x');
    room.say('a', 'y');
    expect(seen).toEqual([]);
    // Queued after the room's own setImmediate, so it runs after it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      seen.map((b) => [describeItem(b), bytesOf(b, 'a')?.toString()])
    ).toEqual([
      [
        'batch 1',
        'Connected to the chat server (1 user online)\n[You] x\n[You] y\n'
      ]
    ]);
  });

  it('gives a newcomer its greeting first and nothing said before its join [CHAT-ORDER-2]', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', 'before b');
    t.join('b');
    t.room.say('a', 'after b');
    expect(t.seen).toEqual([]);
    expect(t.turns.pending()).toBe(1);
    t.turns.endTurn();
    expect(t.writes('b')).toEqual([
      'Connected to the chat server (2 users online)\n[a:1] after b\n'
    ]);
    expect(t.writes('a')).toEqual([
      'Connected to the chat server (1 user online)\n' +
        '[You] before b\n' +
        'New user b:1 entered (2 users online)\n' +
        '[You] after b\n'
    ]);
  });

  it('publishes a farewell at once on a leave, holding exactly what was ordered before it [CHAT-ORDER-1]', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.turns.endTurn();
    t.room.say('b', 'see you');
    t.room.say('a', 'bye');
    t.leave('a');
    expect(t.items()).toEqual(['batch 1', 'farewell a 2']);
    const farewell = t.seen[1] as Broadcast;
    expect(bytesOf(farewell, 'a')?.toString()).toBe(
      '[b:1] see you\n[You] bye\n'
    );
    expect(linesOf(farewell, 'a')).toBe(2);
    expect(bytesOf(farewell, 'b')).toBeNull();
    expect(t.writes('a').slice(1)).toEqual(['[b:1] see you\n[You] bye\n']);
    // The others get the leave notice with the batch, at the end of the turn.
    expect(t.writes('b')).toHaveLength(1);
    expect(t.room.say('b', 'after')).toBe(true);

    t.turns.endTurn();
    expect(t.items()).toEqual(['batch 1', 'farewell a 2', 'batch 2']);
    expect(t.writes('b').slice(1)).toEqual([
      '[You] see you\n[a:1] bye\nThe user a:1 left (1 user online)\n[You] after\n'
    ]);
    // The leaver's feed ended at its farewell: the batch never reached it.
    expect(t.writes('a')).toHaveLength(2);
    expect(t.miscounted).toEqual([]);
  });

  it('publishes an empty farewell when nothing was ordered before the leave in its turn', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.turns.endTurn();
    t.leave('a');
    expect(t.items()).toEqual(['batch 1', 'farewell a 2']);
    expect(bytesOf(t.seen[1] as Broadcast, 'a')).toBeNull();
    t.turns.endTurn();
    expect(t.writes('a')).toHaveLength(1);
    expect(t.writes('b').slice(1)).toEqual([
      'The user a:1 left (1 user online)\n'
    ]);
  });

  it('gives a member that joins and leaves in one turn its greeting and what followed, in its farewell', () => {
    const t = startRoom();
    t.join('a');
    t.turns.endTurn();
    t.room.say('a', 'before');
    t.join('b');
    t.room.say('a', 'hi b');
    t.room.say('b', 'bye');
    t.leave('b');
    expect(t.writes('b')).toEqual([
      'Connected to the chat server (2 users online)\n[a:1] hi b\n[You] bye\n'
    ]);
    t.turns.endTurn();
    expect(t.writes('b')).toHaveLength(1);
    expect(t.writes('a').slice(1)).toEqual([
      '[You] before\n' +
        'New user b:1 entered (2 users online)\n' +
        '[You] hi b\n' +
        '[b:1] bye\n' +
        'The user b:1 left (1 user online)\n'
    ]);
  });

  it('gives a member leaving during shutdown the closing notice last, and nobody its silent leave [CHAT-SHUT-1] [CHAT-SHUT-2]', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.turns.endTurn();
    t.room.say('a', 'last');
    t.room.ref.send({ type: 'room.shutdown' });
    expect(t.items()).toEqual(['batch 1']);
    expect(t.room.say('a', 'too late')).toBe(false);
    t.leave('a', 'server shutdown');
    expect(t.items()).toEqual(['batch 1', 'farewell a 2']);
    expect(t.writes('a').slice(1)).toEqual([
      '[You] last\nServer shutting down\n'
    ]);

    t.turns.endTurn();
    expect(t.writes('b').slice(1)).toEqual([
      '[a:1] last\nServer shutting down\n'
    ]);
    expect(lastBatch(t.seen)).toMatchObject({ seq: 2, lines: 2 });
    expect(t.turns.scheduled()).toBe(2);
    expect(t.room.messageCount()).toBe(1);
  });

  it('refuses a line from a non-member, or from a member that left', () => {
    const t = startRoom('chat');
    t.join('a');
    t.join('b');
    t.turns.endTurn();
    expect(t.room.say('zz', 'who am I')).toBe(false);
    t.leave('a');
    expect(t.room.say('a', 'ghost')).toBe(false);
    t.turns.endTurn();
    expect(t.writes('b').slice(1)).toEqual([
      'The user a:1 left (1 user online)\n'
    ]);
    expect(t.room.messageCount()).toBe(0);
    expect(t.log.lines.join('\n')).not.toMatch(/who am I|ghost/);
  });

  it('refuses every line once stopped', () => {
    const t = startRoom();
    t.join('a');
    t.room.stop();
    expect(t.room.say('a', 'after stop')).toBe(false);
    expect(t.room.messageCount()).toBe(0);
    expect(t.writes('a')).toEqual([
      'Connected to the chat server (1 user online)\n'
    ]);
  });

  it("sends a batch without waiting for the turn once 64 KiB are collected, the turn's joins counted in", () => {
    const t = startRoom();
    t.join('a');
    const notice = Buffer.byteLength('New user a:1 entered (1 user online)\n');
    const text = 'x'.repeat(1000);
    const perLine = Buffer.byteLength(`[a:1] ${text}\n`);
    const full = Math.ceil((64 * 1024 - notice) / perLine);
    for (let i = 1; i < full; i++) t.room.say('a', text);
    expect(t.seen).toEqual([]);
    t.room.say('a', text);
    expect(t.items()).toEqual(['batch 1']);
    const batch = lastBatch(t.seen);
    expect(batch.lines).toBe(full + 1);
    expect(batch.others.length).toBe(notice + full * perLine);
    expect(bytesOf(batch, 'b')?.length).toBe(notice + full * perLine);
    expect(t.turns.pending()).toBe(0);

    t.room.say('a', 'next');
    t.turns.endTurn();
    expect(t.items()).toEqual(['batch 1', 'batch 2']);
    expect(t.writes('a').at(-1)).toBe('[You] next\n');
  });

  it('sends a batch at once when a join fills it past 64 KiB', () => {
    const t = startRoom();
    t.join('a');
    t.turns.endTurn();
    const perLine = (text: string) => Buffer.byteLength(`[a:1] ${text}\n`);
    const target = 64 * 1024 - 8;
    let bytes = 0;
    const text = 'y'.repeat(1000);
    while (bytes + perLine(text) <= target) {
      t.room.say('a', text);
      bytes += perLine(text);
    }
    const rest = 'z'.repeat(target - bytes - perLine(''));
    t.room.say('a', rest);
    bytes += perLine(rest);
    expect(bytes).toBe(target);
    expect(t.items()).toEqual(['batch 1']);

    t.join('b');
    expect(t.items()).toEqual(['batch 1', 'batch 2']);
    expect(lastBatch(t.seen).others.subarray(target).toString()).toBe(
      'New user b:1 entered (2 users online)\n'
    );
    expect(t.writes('b')).toEqual([
      'Connected to the chat server (2 users online)\n'
    ]);
    expect(t.turns.pending()).toBe(0);
  });

  it('never nests publishing: what a fan-out causes goes out after it reached everyone', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.join('c');
    t.turns.endTurn();
    // Two more subscribers, in this order: the first ends member c in the
    // middle of the fan-out of a batch, as a slow consumer's write does.
    let depth = 0;
    let deepest = 0;
    const logs: string[][] = [[], []];
    for (const [i, log] of logs.entries())
      subscriptions.push(
        t.room.messages$.subscribe((b) => {
          depth += 1;
          deepest = Math.max(deepest, depth);
          log.push(describeItem(b));
          if (i === 0 && b.kind === 'batch' && b.seq === 2)
            t.leave('c', 'slow consumer');
          depth -= 1;
        })
      );
    t.room.say('a', 'trigger');
    t.turns.endTurn();
    expect(deepest).toBe(1);
    expect(logs[0]).toEqual(['batch 2', 'farewell c 3']);
    expect(logs[1]).toEqual(logs[0]);
    expect(t.items().slice(1)).toEqual(logs[0]);
    // c got the batch whole, then its (empty) farewell; the others get its
    // leave at the end of the next turn.
    expect(t.writes('c').slice(1)).toEqual(['[a:1] trigger\n']);
    t.turns.endTurn();
    expect(t.writes('b').slice(1)).toEqual([
      '[a:1] trigger\n',
      'The user c:1 left (2 users online)\n'
    ]);
  });

  it('numbers each published batch once, by one; farewells carry the number of the batch they are a view of', () => {
    const t = startRoom();
    t.join('a');
    t.turns.endTurn();
    t.room.say('a', '1');
    t.join('b');
    t.turns.endTurn();
    t.turns.endTurn();
    t.room.say('b', '2');
    t.leave('b');
    t.room.say('a', '3');
    t.turns.endTurn();
    t.room.ref.send({ type: 'room.shutdown' });
    t.leave('a', 'server shutdown');
    t.turns.endTurn();
    expect(t.items()).toEqual([
      'batch 1',
      'batch 2',
      'farewell b 3',
      'batch 3',
      'farewell a 4',
      'batch 4'
    ]);
    // The machine's own seq counts membership only: 2 joins, closing, 2 leaves.
    expect(t.room.ref.getSnapshot()).toMatchObject({ context: { seq: 5 } });
  });

  it('publishes the membership size after every join and leave on count$, at once', () => {
    const t = startRoom();
    const counts: number[] = [];
    subscriptions.push(t.room.count$.subscribe((n) => counts.push(n)));
    t.join('a');
    t.join('b');
    t.room.say('a', 'no count change');
    t.leave('a');
    expect(counts).toEqual([0, 1, 2, 1]);
    expect(t.room.memberCount()).toBe(1);
    expect(t.items()).toEqual(['farewell a 1']);
  });

  it('writes the console log in the room order and skips message lines below chat level', () => {
    const quiet = startRoom('info');
    quiet.join('a');
    quiet.room.say('a', 'secret');
    quiet.leave('a', 'socket error');
    expect(quiet.log.lines).toEqual([
      'New user a:1 entered (1 user online)',
      'The user a:1 left (0 users online)'
    ]);
    quiet.room.stop();

    const chatty = startRoom('chat');
    chatty.join('a');
    chatty.room.say('a', 'hello');
    chatty.join('b');
    chatty.room.say('b', 'hi');
    chatty.leave('a');
    expect(chatty.log.lines).toEqual([
      'New user a:1 entered (1 user online)',
      '[a:1] hello',
      'New user b:1 entered (2 users online)',
      '[b:1] hi',
      'The user a:1 left (1 user online)'
    ]);
  });

  it('delivers the pending batch at once on flush()', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', 'now');
    t.room.flush();
    expect(t.items()).toEqual(['batch 1']);
    expect(t.writes('a')).toEqual([
      'Connected to the chat server (1 user online)\n[You] now\n'
    ]);
    expect(t.turns.pending()).toBe(0);
    // Nothing pending: a flush publishes nothing.
    t.room.flush();
    expect(t.seen).toHaveLength(1);
  });

  it('delivers what was collected, then completes its streams, when stopped', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', 'unsent');
    const complete = vi.fn();
    subscriptions.push(t.room.messages$.subscribe({ complete }));
    t.room.stop();
    expect(t.items()).toEqual(['batch 1']);
    expect(t.writes('a')).toEqual([
      'Connected to the chat server (1 user online)\n[You] unsent\n'
    ]);
    expect(complete).toHaveBeenCalledOnce();
    expect(t.turns.pending()).toBe(0);
  });

  it('counts its live subscriptions to messages$', () => {
    const t = startRoom();
    expect(t.room.feedCount()).toBe(1);
    const other = t.room.messages$.subscribe(() => undefined);
    expect(t.room.feedCount()).toBe(2);
    other.unsubscribe();
    t.subscription.unsubscribe();
    expect(t.room.feedCount()).toBe(0);
  });
});

describe('noticeDelayFor', () => {
  it('waits 1 ms in a small room, 5 µs a member in a big one, 50 ms at most', () => {
    expect(noticeDelayFor(0)).toBe(NOTICE_DELAY_MS);
    expect(noticeDelayFor(100)).toBe(NOTICE_DELAY_MS);
    expect(noticeDelayFor(1000)).toBe(5);
    expect(noticeDelayFor(10_000)).toBe(MAX_NOTICE_DELAY_MS);
    expect(noticeDelayFor(100_000)).toBe(MAX_NOTICE_DELAY_MS);
  });
});

describe('createRoom with a scheduler', () => {
  it('lets notices wait NOTICE_DELAY_MS, lines only to the end of the turn, and asks again only for sooner', () => {
    const set = vi.fn<FlushScheduler['set']>(() => 'handle');
    const clear = vi.fn<FlushScheduler['clear']>();
    const { logger } = captureLog('info');
    room = createRoom({
      name: 'lobby',
      logger,
      onFault: vi.fn(),
      scheduler: { set, clear }
    });
    const join = (connId: string) =>
      room?.ref.send({
        type: 'room.join',
        connId,
        remote: `${connId}:1`,
        ref: fakeConnection()
      });
    join('a');
    expect(set).toHaveBeenCalledExactlyOnceWith(
      expect.any(Function),
      NOTICE_DELAY_MS
    );
    // A line cannot wait: the notice-only flush is replaced by one at the
    // end of the turn.
    room.say('a', 'x');
    expect(clear).toHaveBeenCalledExactlyOnceWith('handle');
    expect(set).toHaveBeenCalledTimes(2);
    expect(set).toHaveBeenLastCalledWith(expect.any(Function), 0);
    // Nothing later asks for a later flush.
    join('b');
    room.ref.send({
      type: 'room.leave',
      connId: 'b',
      remote: 'b:1',
      reason: 'client quit'
    });
    room.ref.send({ type: 'room.shutdown' });
    room.say('a', 'y');
    expect(set).toHaveBeenCalledTimes(2);
    expect(clear).toHaveBeenCalledTimes(1);

    // Going out early clears what was scheduled.
    room.flush();
    expect(clear).toHaveBeenCalledTimes(2);
    room.ref.send({
      type: 'room.leave',
      connId: 'a',
      remote: 'a:1',
      reason: 'server shutdown'
    });
    expect(set).toHaveBeenCalledTimes(3);
    expect(set).toHaveBeenLastCalledWith(expect.any(Function), NOTICE_DELAY_MS);
  });
});

describe('createInspection', () => {
  it('attaches no observer unless debug logging is on', () => {
    expect(createInspection(captureLog('chat').logger).inspect).toBeUndefined();
  });

  it('logs each state change of a root actor once at debug', () => {
    const { logger, lines } = captureLog('debug');
    const { inspect } = createInspection(logger);
    room = createRoom({ name: 'lobby', logger, inspect, onFault: vi.fn() });
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: 'a:1',
      ref: fakeConnection()
    });
    room.say('a', 'not a transition');
    room.ref.send({ type: 'room.shutdown' });
    const transitions = lines.filter((l) => l.startsWith('debug: transition'));
    expect(transitions).toEqual([
      'debug: transition connId="room:lobby" event="xstate.init" from=null to="open"',
      'debug: transition connId="room:lobby" event="room.shutdown" from="open" to="closing"'
    ]);
  });
});
