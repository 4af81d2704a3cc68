import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import type { Broadcast } from '../../../src/actors/broadcast.js';
import { createInspection } from '../../../src/actors/inspection.js';
import { createRoom, type Room } from '../../../src/actors/room-actor.js';
import { createLogger, type LogLevel } from '../../../src/app/logger.js';
import type { ConnectionRef } from '../../../src/machines/types.js';

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
  for (const actor of started.splice(0)) actor.stop();
});

function fakeConnection(): ConnectionRef {
  const actor = createActor(fromCallback(() => undefined));
  started.push(actor);
  return actor.start();
}

describe('createRoom', () => {
  it('broadcasts each event once with its lines encoded, in seq order', () => {
    const { logger } = capture('info');
    room = createRoom({ name: 'lobby', logger, onFault: vi.fn() });
    const seen: Broadcast[] = [];
    const subscription = room.messages$.subscribe((b) => seen.push(b));
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: '1.1.1.1:1',
      ref: fakeConnection()
    });
    room.ref.send({ type: 'room.say', connId: 'a', text: 'hi' });
    room.ref.send({
      type: 'room.leave',
      connId: 'a',
      remote: '1.1.1.1:1',
      reason: 'client quit'
    });
    subscription.unsubscribe();

    expect(
      seen.map((b) => [b.seq, b.kind, b.own?.toString(), b.others?.toString()])
    ).toEqual([
      [
        1,
        'join',
        'Connected to the chat server (1 user online)\n',
        'New user 1.1.1.1:1 entered (1 user online)\n'
      ],
      [2, 'message', '[You] hi\n', '[1.1.1.1:1] hi\n'],
      [3, 'leave', undefined, 'The user 1.1.1.1:1 left (0 users online)\n']
    ]);
  });

  it('publishes the membership size after every join and leave on count$', () => {
    const { logger } = capture('info');
    room = createRoom({ name: 'lobby', logger, onFault: vi.fn() });
    const counts: number[] = [];
    const subscription = room.count$.subscribe((n) => counts.push(n));
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: 'a:1',
      ref: fakeConnection()
    });
    room.ref.send({
      type: 'room.join',
      connId: 'b',
      remote: 'b:1',
      ref: fakeConnection()
    });
    room.ref.send({ type: 'room.say', connId: 'a', text: 'no count change' });
    room.ref.send({
      type: 'room.leave',
      connId: 'a',
      remote: 'a:1',
      reason: 'client quit'
    });
    subscription.unsubscribe();
    expect(counts).toEqual([0, 1, 2, 1]);
    expect(room.memberCount()).toBe(1);
  });

  it('writes the console log in the room order and skips message lines below chat level', () => {
    const quiet = capture('info');
    room = createRoom({
      name: 'lobby',
      logger: quiet.logger,
      onFault: vi.fn()
    });
    room.ref.send({
      type: 'room.join',
      connId: 'a',
      remote: 'a:1',
      ref: fakeConnection()
    });
    room.ref.send({ type: 'room.say', connId: 'a', text: 'secret' });
    room.ref.send({
      type: 'room.leave',
      connId: 'a',
      remote: 'a:1',
      reason: 'socket error'
    });
    expect(quiet.lines).toEqual([
      'New user a:1 entered (1 user online)',
      'The user a:1 left (0 users online)'
    ]);
  });

  it('completes its streams when stopped', () => {
    const { logger } = capture('info');
    room = createRoom({ name: 'lobby', logger, onFault: vi.fn() });
    const complete = vi.fn();
    const subscription = room.messages$.subscribe({ complete });
    room.stop();
    expect(complete).toHaveBeenCalledOnce();
    subscription.unsubscribe();
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
    room.ref.send({ type: 'room.shutdown' });
    const transitions = lines.filter((l) => l.startsWith('debug: transition'));
    expect(transitions).toEqual([
      'debug: transition connId="room:lobby" event="xstate.init" from=null to="open"',
      'debug: transition connId="room:lobby" event="room.shutdown" from="open" to="closing"'
    ]);
  });
});
