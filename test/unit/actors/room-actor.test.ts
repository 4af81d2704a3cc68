import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import { bytesOf, type Broadcast } from '../../../src/actors/broadcast.js';
import { createInspection } from '../../../src/actors/inspection.js';
import {
  createRoom,
  type FlushScheduler,
  type Room
} from '../../../src/actors/room-actor.js';
import { createLogger, type LogLevel } from '../../../src/app/logger.js';
import type { LeaveReason } from '../../../src/machines/types.js';
import type { ConnectionRef } from '../../../src/machines/types.js';
import { manualTurns } from '../../support/manual-turns.js';

function capture(level: LogLevel) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream
    .setEncoding('utf8')
    .on('data', (d: string) => lines.push(...d.trim().split('\n')));
  return { logger: createLogger({ console: stream, level }), lines };
}

const started: AnyActorRef[] = [];
let room: Room | undefined;
afterEach(() => {
  room?.stop();
  room = undefined;
  for (const actor of started.splice(0)) actor.stop();
});

function fakeConnection(): ConnectionRef {
  const actor = createActor(fromCallback(() => undefined));
  started.push(actor);
  return actor.start();
}

/** A room on `level` (default info) whose turns end when the test says. */
function startRoom(level: LogLevel = 'info') {
  const log = capture(level);
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
  const join = (connId: string) =>
    r.ref.send({
      type: 'room.join',
      connId,
      remote: `${connId}:1`,
      ref: fakeConnection()
    });
  const leave = (connId: string, reason: LeaveReason = 'client quit') =>
    r.ref.send({ type: 'room.leave', connId, remote: `${connId}:1`, reason });
  /** What `connId` is sent of each item so far, as `[seq, kind, text]`. */
  const view = (connId: string) =>
    seen.map((b) => [b.seq, b.kind, bytesOf(b, connId)?.toString() ?? null]);
  return { room: r, log, turns, seen, subscription, join, leave, view };
}

describe('createRoom', () => {
  it('puts joins, messages and leaves into one order, each once with its lines encoded', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    expect(t.room.say('a', 'hi')).toBe(true);
    t.turns.endTurn();
    t.leave('a');
    expect(t.view('a')).toEqual([
      [1, 'join', 'Connected to the chat server (1 user online)\n'],
      [2, 'join', 'New user b:1 entered (2 users online)\n'],
      [3, 'messages', '[You] hi\n'],
      [4, 'leave', null]
    ]);
    expect(t.view('b')).toEqual([
      [1, 'join', 'New user a:1 entered (1 user online)\n'],
      [2, 'join', 'Connected to the chat server (2 users online)\n'],
      [3, 'messages', '[a:1] hi\n'],
      [4, 'leave', 'The user a:1 left (1 user online)\n']
    ]);
  });

  it('delivers the lines said in one turn as one batch at its end, scheduled once', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.room.say('a', 'one');
    t.room.say('b', 'two');
    t.room.say('a', 'three');
    expect(t.seen.map((b) => b.kind)).toEqual(['join', 'join']);
    expect(t.turns.scheduled()).toBe(1);
    expect(t.turns.pending()).toBe(1);

    t.turns.endTurn();
    expect(t.seen).toHaveLength(3);
    expect(t.seen[2]).toMatchObject({ seq: 3, kind: 'messages', lines: 3 });
    expect(t.view('b').at(-1)).toEqual([
      3,
      'messages',
      '[a:1] one\n[You] two\n[a:1] three\n'
    ]);

    // The next turn is the next batch, the next position in the order.
    t.room.say('b', 'four');
    expect(t.turns.scheduled()).toBe(2);
    t.turns.endTurn();
    expect(t.view('a').slice(3)).toEqual([[4, 'messages', '[b:1] four\n']]);
    // A turn in which nothing was said publishes nothing.
    t.turns.endTurn();
    expect(t.seen).toHaveLength(4);
    expect(t.room.messageCount()).toBe(4);
  });

  it('ends a turn on setImmediate when no scheduler is given', async () => {
    const { logger } = capture('info');
    room = createRoom({ name: 'lobby', logger, onFault: vi.fn() });
    const seen: Broadcast[] = [];
    const subscription = room.messages$.subscribe((b) => seen.push(b));
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: 'a:1',
      ref: fakeConnection()
    });
    room.say('a', 'x');
    room.say('a', 'y');
    expect(seen.map((b) => b.kind)).toEqual(['join']);
    // Queued after the room's own setImmediate, so it runs after it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((b) => [b.kind, bytesOf(b, 'a')?.toString()])).toEqual([
      ['join', 'Connected to the chat server (1 user online)\n'],
      ['messages', '[You] x\n[You] y\n']
    ]);
    subscription.unsubscribe();
  });

  it('publishes what was said before a join first, so the newcomer never gets it [CHAT-ORDER-2]', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', 'before b');
    t.join('b');
    t.room.say('a', 'after b');
    expect(t.view('b')).toEqual([
      [1, 'join', 'New user a:1 entered (1 user online)\n'],
      [2, 'messages', '[a:1] before b\n'],
      [3, 'join', 'Connected to the chat server (2 users online)\n']
    ]);
    // The flush the first line scheduled was cleared; the second line's is due.
    expect(t.turns.scheduled()).toBe(2);
    expect(t.turns.pending()).toBe(1);
    t.turns.endTurn();
    expect(t.view('b').at(-1)).toEqual([4, 'messages', '[a:1] after b\n']);
  });

  it('publishes what was said before a leave first, so the leaver gets it [CHAT-ORDER-1]', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.room.say('b', 'see you');
    t.room.say('a', 'bye');
    t.leave('a');
    expect(t.view('a').slice(2)).toEqual([
      [3, 'messages', '[b:1] see you\n[You] bye\n'],
      [4, 'leave', null]
    ]);
    expect(t.view('b').slice(2)).toEqual([
      [3, 'messages', '[You] see you\n[a:1] bye\n'],
      [4, 'leave', 'The user a:1 left (1 user online)\n']
    ]);
    expect(t.turns.pending()).toBe(0);
  });

  it('publishes what was said before closing first, then refuses every line [CHAT-SHUT-1]', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', 'last');
    t.room.ref.send({ type: 'room.shutdown' });
    expect(t.view('a').slice(1)).toEqual([
      [2, 'messages', '[You] last\n'],
      [3, 'closing', 'Server shutting down\n']
    ]);
    expect(t.room.say('a', 'too late')).toBe(false);
    t.turns.endTurn();
    expect(t.seen).toHaveLength(3);
    expect(t.turns.scheduled()).toBe(1);
    expect(t.room.messageCount()).toBe(1);
  });

  it('refuses a line from a non-member, or from a member that left', () => {
    const t = startRoom('chat');
    t.join('a');
    expect(t.room.say('zz', 'who am I')).toBe(false);
    t.leave('a');
    expect(t.room.say('a', 'ghost')).toBe(false);
    t.turns.endTurn();
    expect(t.turns.scheduled()).toBe(0);
    expect(t.seen.map((b) => b.kind)).toEqual(['join', 'leave']);
    expect(t.room.messageCount()).toBe(0);
    expect(t.log.lines.join('\n')).not.toMatch(/who am I|ghost/);
  });

  it('sends a batch without waiting for the turn once 64 KiB are collected', () => {
    const t = startRoom();
    t.join('a');
    const text = 'x'.repeat(1000);
    const perLine = Buffer.byteLength(`[a:1] ${text}\n`);
    const full = Math.ceil((64 * 1024) / perLine);
    for (let i = 1; i < full; i++) t.room.say('a', text);
    expect(t.seen).toHaveLength(1);
    t.room.say('a', text);
    expect(t.seen).toHaveLength(2);
    expect(t.seen[1]).toMatchObject({ seq: 2, kind: 'messages', lines: full });
    expect(bytesOf(t.seen[1] as Broadcast, 'b')?.length).toBe(full * perLine);
    expect(t.turns.pending()).toBe(0);

    t.room.say('a', 'next');
    t.turns.endTurn();
    expect(t.view('b').at(-1)).toEqual([3, 'messages', '[a:1] next\n']);
  });

  it('never nests publishing: what a fan-out causes goes out after it reached everyone', () => {
    const t = startRoom();
    t.join('a');
    t.join('b');
    t.join('c');
    // Two more subscribers, in this order: the first ends member c in the
    // middle of the fan-out of a batch, as a slow consumer's write does.
    let depth = 0;
    let deepest = 0;
    const logs: string[][] = [[], []];
    const subscriptions = logs.map((log, i) =>
      t.room.messages$.subscribe((b) => {
        depth += 1;
        deepest = Math.max(deepest, depth);
        log.push(`${b.seq} ${b.kind}`);
        if (i === 0 && b.kind === 'messages') t.leave('c', 'slow consumer');
        depth -= 1;
      })
    );
    t.room.say('a', 'trigger');
    t.turns.endTurn();
    expect(deepest).toBe(1);
    expect(logs[0]).toEqual(['4 messages', '5 leave']);
    expect(logs[1]).toEqual(logs[0]);
    expect(t.seen.map((b) => `${b.seq} ${b.kind}`).slice(3)).toEqual(logs[0]);
    for (const s of subscriptions) s.unsubscribe();
  });

  it('numbers every item of its order once, by one; its machine counts only membership', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', '1');
    t.join('b');
    t.room.say('b', '2');
    t.turns.endTurn();
    t.turns.endTurn();
    t.room.say('a', '3');
    t.leave('b');
    t.room.ref.send({ type: 'room.shutdown' });
    t.leave('a', 'server shutdown');
    expect(t.seen.map((b) => [b.seq, b.kind])).toEqual([
      [1, 'join'],
      [2, 'messages'],
      [3, 'join'],
      [4, 'messages'],
      [5, 'messages'],
      [6, 'leave'],
      [7, 'closing'],
      [8, 'leave']
    ]);
    expect(t.room.ref.getSnapshot()).toMatchObject({ context: { seq: 5 } });
  });

  it('publishes the membership size after every join and leave on count$', () => {
    const t = startRoom();
    const counts: number[] = [];
    const subscription = t.room.count$.subscribe((n) => counts.push(n));
    t.join('a');
    t.join('b');
    t.room.say('a', 'no count change');
    t.turns.endTurn();
    t.leave('a');
    subscription.unsubscribe();
    expect(counts).toEqual([0, 1, 2, 1]);
    expect(t.room.memberCount()).toBe(1);
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

  it('delivers what was said, then completes its streams, when stopped', () => {
    const t = startRoom();
    t.join('a');
    t.room.say('a', 'unsent');
    const complete = vi.fn();
    const subscription = t.room.messages$.subscribe({ complete });
    t.room.stop();
    expect(t.view('a').at(-1)).toEqual([2, 'messages', '[You] unsent\n']);
    expect(complete).toHaveBeenCalledOnce();
    expect(t.turns.pending()).toBe(0);
    subscription.unsubscribe();
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

describe('createRoom with a scheduler', () => {
  it('asks the scheduler for the end of the turn and cancels what a membership event made early', () => {
    const set = vi.fn<FlushScheduler['set']>(() => 'handle');
    const clear = vi.fn<FlushScheduler['clear']>();
    const { logger } = capture('info');
    room = createRoom({
      name: 'lobby',
      logger,
      onFault: vi.fn(),
      scheduler: { set, clear }
    });
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: 'a:1',
      ref: fakeConnection()
    });
    room.say('a', 'x');
    room.say('a', 'y');
    expect(set).toHaveBeenCalledTimes(1);
    expect(clear).not.toHaveBeenCalled();
    room.ref.send({
      type: 'room.leave',
      connId: 'a',
      remote: 'a:1',
      reason: 'client quit'
    });
    expect(clear).toHaveBeenCalledExactlyOnceWith('handle');
  });
});

describe('createInspection', () => {
  it('attaches no observer unless debug logging is on', () => {
    expect(createInspection(capture('chat').logger).inspect).toBeUndefined();
  });

  it('logs each state change of a root actor once at debug', () => {
    const { logger, lines } = capture('debug');
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
