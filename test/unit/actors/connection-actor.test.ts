import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import {
  createConnectionLogic,
  startConnection
} from '../../../src/actors/connection-actor.js';
import { createRoom, type Room } from '../../../src/actors/room-actor.js';
import { createLogger } from '../../../src/app/logger.js';
import type { TransportEvent } from '../../../src/machines/connection-events.js';
import type { ConnectionPort } from '../../../src/machines/types.js';
import {
  EventOutlet,
  type Inbound
} from '../../../src/transport/event-outlet.js';
import { manualTurns } from '../../support/manual-turns.js';

/**
 * A transport port with no socket: records writes (and the line count each
 * claims), can be made to throw. What it reads goes through the transport's
 * own `EventOutlet`: events to the actor, lines to the relay.
 */
class FakePort implements ConnectionPort {
  readonly transport = 'tcp';
  readonly written: string[] = [];
  /** The `lines` each write was counted as. */
  readonly counted: number[] = [];
  readonly queuedBytes = 0;
  ended = 0;
  farewells: (string | undefined)[] = [];
  /** Writes and the end of the transport, in the order they happened. */
  readonly calls: string[] = [];
  destroyed = 0;
  readonly #outlet = new EventOutlet();

  constructor(
    readonly remote: string,
    private readonly failsOn: (text: string) => boolean = () => false
  ) {}

  write(data: Buffer | string, lines = 1): void {
    const text = data.toString();
    if (this.failsOn(text)) throw new Error(`write failed: ${text.trim()}`);
    this.written.push(text);
    this.counted.push(lines);
    this.calls.push(`write ${text}`);
  }
  end(farewell?: string): void {
    this.ended += 1;
    this.farewells.push(farewell);
    this.calls.push(`end ${farewell ?? ''}`.trimEnd());
  }
  destroy(): void {
    this.destroyed += 1;
    this.#outlet.detach();
  }
  pauseInput(): void {}
  resumeInput(): void {}
  attach(sink: (event: TransportEvent) => void): () => void {
    return this.#outlet.attach(sink);
  }
  relay(sink: (text: string) => void): () => void {
    return this.#outlet.relay(sink);
  }
  /** Plays the transport: an event to the actor, a line to the relay. */
  deliver(item: Inbound): void {
    this.#outlet.push(item);
  }
  /** Plays the peer sending a line. */
  say(text: string): void {
    this.deliver({ type: 'tcp.line', text });
  }
  lines(): string[] {
    return this.written.join('').split('\n').slice(0, -1);
  }
}

function setup() {
  const stream = new PassThrough();
  const log: string[] = [];
  stream
    .setEncoding('utf8')
    .on('data', (d: string) => log.push(...d.trim().split('\n')));
  const logger = createLogger({ console: stream, level: 'info' });
  // The structured records too: the console shows a leave as the original
  // line, without its reason.
  const records: Record<string, unknown>[] = [];
  const json = new PassThrough({ objectMode: true });
  json.on('data', (info: Record<string, unknown>) => records.push(info));
  logger.add(new winston.transports.Stream({ stream: json }));
  /** The records of `connId`'s ending: who logged it, at what level, why. */
  const endingsOf = (connId: string) =>
    records
      .filter(
        (r) =>
          r['connId'] === connId &&
          (r['message'] === 'member left' ||
            r['message'] === 'connection closed')
      )
      .map(({ level, message, reason }) => ({ level, message, reason }));
  const onFault = vi.fn();
  // The test ends each turn of the event loop, and with it the turn's batch.
  const turns = manualTurns();
  const room = createRoom({
    name: 'test',
    logger,
    onFault,
    scheduler: turns.scheduler
  });
  const logic = createConnectionLogic(room);
  const done: string[] = [];
  const reasons: string[] = [];
  const connect = (connId: string, port: FakePort) =>
    startConnection({
      logic,
      room,
      connId,
      port,
      logger,
      onDone: (id, reason) => {
        done.push(id);
        reasons.push(reason);
      }
    });
  return {
    room,
    turns,
    logic,
    log,
    records,
    endingsOf,
    done,
    reasons,
    onFault,
    connect
  };
}

let room: Room | undefined;
afterEach(() => room?.stop());

describe('connection actor fault containment', () => {
  it('removes only the member whose write throws during a broadcast', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1', (text) => text.includes('trigger'));
    const b = new FakePort('10.0.0.2:2');
    const c = new FakePort('10.0.0.3:3');
    const actorA = t.connect('a', a);
    t.connect('b', b);
    t.connect('c', c);
    t.turns.endTurn();

    // One turn each: a's write of the second batch throws.
    b.say('trigger');
    t.turns.endTurn();
    b.say('after');
    t.turns.endTurn();

    expect(actorA.getSnapshot().status).toBe('done');
    const { reason, fault } = actorA.getSnapshot().context;
    expect(reason).toBe('internal error');
    expect(fault).toContain('write failed: [10.0.0.2:2] trigger');
    expect(a.ended).toBe(1);
    expect(a.lines()).toEqual([
      'Connected to the chat server (1 user online)',
      'New user 10.0.0.2:2 entered (2 users online)',
      'New user 10.0.0.3:3 entered (3 users online)'
    ]);
    expect(t.done).toEqual(['a']);
    expect(t.room.memberCount()).toBe(2);
    expect(c.lines()).toEqual([
      'Connected to the chat server (3 users online)',
      '[10.0.0.2:2] trigger',
      'The user 10.0.0.1:1 left (2 users online)',
      '[10.0.0.2:2] after'
    ]);
    expect(b.lines().slice(-3)).toEqual([
      '[You] trigger',
      'The user 10.0.0.1:1 left (2 users online)',
      '[You] after'
    ]);
    expect(t.onFault).not.toHaveBeenCalled();
    expect(t.log).toContainEqual(
      expect.stringMatching(
        /^error: connection failed .*reason="internal error"/
      )
    );
    expect(t.endingsOf('a')).toEqual([
      { level: 'info', message: 'member left', reason: 'internal error' }
    ]);
  });

  it('removes only the member whose own action throws, and reports it done once', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1', (text) => text.startsWith('Error:'));
    const b = new FakePort('10.0.0.2:2');
    const actorA = t.connect('a', a);
    t.connect('b', b);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    a.deliver({ type: 'tcp.oversize', limit: 10 });
    a.say('ignored, the actor is gone');
    t.turns.endTurn();
    const writtenByA = a.written.length;

    expect(actorA.getSnapshot().status).toBe('error');
    expect(a.destroyed).toBe(1);
    expect(t.done).toEqual(['a']);
    expect(t.room.memberCount()).toBe(1);
    expect(b.lines()).toEqual([
      'Connected to the chat server (2 users online)',
      'The user 10.0.0.1:1 left (1 user online)'
    ]);
    b.say('still here');
    t.turns.endTurn();
    expect(b.lines().at(-1)).toBe('[You] still here');
    // The failed actor's link is released: its feed ended (at the member's
    // own leave), its relay and its transport events detached, so a's late
    // line never reached the room.
    expect(a.written).toHaveLength(writtenByA);
    expect(t.room.messageCount()).toBe(1);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(t.onFault).not.toHaveBeenCalled();
  });

  it('ends only the member whose line the room fails to take, and relays nothing more from it', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    const actorA = t.connect('a', a);
    t.connect('b', b);
    const say = vi.spyOn(t.room, 'say').mockImplementationOnce(() => {
      throw new Error('say exploded');
    });

    a.say('boom');
    a.say('never relayed');
    t.turns.endTurn();

    expect(say).toHaveBeenCalledOnce();
    expect(actorA.getSnapshot().status).toBe('done');
    expect(actorA.getSnapshot().context).toMatchObject({
      reason: 'internal error',
      fault: expect.stringContaining('say exploded') as string
    });
    expect(t.done).toEqual(['a']);
    expect(b.lines()).toEqual([
      'Connected to the chat server (2 users online)',
      'The user 10.0.0.1:1 left (1 user online)'
    ]);
    b.say('carry on');
    t.turns.endTurn();
    expect(b.lines().at(-1)).toBe('[You] carry on');
    expect(t.onFault).not.toHaveBeenCalled();
  });

  it('ends a newcomer whose greeting write throws as a member that leaves, and the others see it come and go', () => {
    const t = setup();
    room = t.room;
    const b = new FakePort('10.0.0.2:2');
    t.connect('b', b);
    t.turns.endTurn();
    const a = new FakePort('10.0.0.1:1', (text) =>
      text.startsWith('Connected to the chat server')
    );
    const actorA = t.connect('a', a);
    expect(actorA.getSnapshot().value).toBe('online');

    t.turns.endTurn();

    expect(actorA.getSnapshot().status).toBe('done');
    const { reason, fault } = actorA.getSnapshot().context;
    expect(reason).toBe('internal error');
    expect(fault).toContain(
      'write failed: Connected to the chat server (2 users online)'
    );
    expect(a.written).toEqual([]);
    expect(a.ended).toBe(1);
    expect(t.done).toEqual(['a']);
    expect(t.room.memberCount()).toBe(1);
    expect(b.lines()).toEqual([
      'Connected to the chat server (1 user online)',
      'New user 10.0.0.1:1 entered (2 users online)'
    ]);
    t.turns.endTurn();
    expect(b.lines().slice(2)).toEqual([
      'The user 10.0.0.1:1 left (1 user online)'
    ]);
    expect(t.endingsOf('a')).toEqual([
      { level: 'info', message: 'member left', reason: 'internal error' }
    ]);
    expect(t.onFault).not.toHaveBeenCalled();
  });

  it('announces nothing for a connection the closing room rejects', () => {
    const t = setup();
    room = t.room;
    const b = new FakePort('10.0.0.2:2');
    t.connect('b', b);
    t.room.ref.send({ type: 'room.shutdown' });
    const late = new FakePort('10.0.0.9:9');
    const actor = t.connect('late', late);

    expect(actor.getSnapshot().status).toBe('done');
    expect(late.lines()).toEqual(['Server shutting down']);
    expect(late.ended).toBe(1);
    // b's greeting and the closing notice go out at the end of the turn.
    expect(b.written).toEqual([]);
    t.turns.endTurn();
    expect(b.written).toHaveLength(1);
    expect(b.lines()).toEqual([
      'Connected to the chat server (1 user online)',
      'Server shutting down'
    ]);
    expect(t.room.memberCount()).toBe(1);
    // It never joined, so the room logs nothing: the actor logs its ending.
    expect(t.endingsOf('late')).toEqual([
      { level: 'info', message: 'connection closed', reason: 'server shutdown' }
    ]);
    expect(t.records.find((r) => r['connId'] === 'late')).toMatchObject({
      component: 'connection',
      remote: '10.0.0.9:9'
    });
  });
});

describe('connection actor line relay', () => {
  it("writes a newcomer's greeting at the end of its turn, in one write with the turn's notices and lines [CHAT-JOIN-1] [CHAT-JOIN-2]", () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    const actorA = t.connect('a', a);
    t.connect('b', b);
    // Members already, and nothing written yet.
    expect(actorA.getSnapshot().value).toBe('online');
    expect(t.room.memberCount()).toBe(2);
    expect([a.written, b.written]).toEqual([[], []]);

    a.say('hi');
    t.turns.endTurn();

    expect(a.written).toEqual([
      'Connected to the chat server (1 user online)\n' +
        'New user 10.0.0.2:2 entered (2 users online)\n' +
        '[You] hi\n'
    ]);
    expect(a.counted).toEqual([3]);
    expect(b.written).toEqual([
      'Connected to the chat server (2 users online)\n[10.0.0.1:1] hi\n'
    ]);
    expect(b.counted).toEqual([2]);
  });

  it("relays a member's lines to the room, each turn as one write per member, counted as its lines", () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    t.connect('a', a);
    t.connect('b', b);
    t.turns.endTurn();
    const before = { a: a.written.length, b: b.written.length };

    a.say('one');
    b.say('two');
    a.say('three');
    expect(a.written).toHaveLength(before.a);
    t.turns.endTurn();

    expect(a.written.slice(before.a)).toEqual([
      '[You] one\n[10.0.0.2:2] two\n[You] three\n'
    ]);
    expect(b.written.slice(before.b)).toEqual([
      '[10.0.0.1:1] one\n[You] two\n[10.0.0.1:1] three\n'
    ]);
    expect(a.counted.slice(before.a)).toEqual([3]);
    expect(b.counted.slice(before.b)).toEqual([3]);
    // The first turn: a's greeting and b's join notice, in one write.
    expect(a.counted.slice(0, before.a)).toEqual([2]);
    expect(b.counted.slice(0, before.b)).toEqual([1]);
    expect(t.room.messageCount()).toBe(3);
  });

  it('removes the member whose write of a batch throws after that batch, which the others get whole', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1', (text) => text.includes('trigger'));
    const c = new FakePort('10.0.0.3:3');
    t.connect('a', a);
    const b = new FakePort('10.0.0.2:2');
    t.connect('b', b);
    t.connect('c', c);
    t.turns.endTurn();

    b.say('trigger');
    b.say('same turn');
    t.turns.endTurn();

    expect(c.lines()).toEqual([
      'Connected to the chat server (3 users online)',
      '[10.0.0.2:2] trigger',
      '[10.0.0.2:2] same turn'
    ]);
    expect(a.lines().join('\n')).not.toContain('same turn');
    expect(t.done).toEqual(['a']);
    // Its leave is ordered after the batch, so the others get it with the
    // next turn's batch.
    t.turns.endTurn();
    expect(c.lines().slice(3)).toEqual([
      'The user 10.0.0.1:1 left (2 users online)'
    ]);
  });

  it('relays a line read before it joined once it is online, after its join [CHAT-ORDER-2]', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    t.connect('a', a);
    const early = new FakePort('10.0.0.2:2');
    early.say('read early');
    t.connect('early', early);
    t.turns.endTurn();

    expect(a.lines()).toEqual([
      'Connected to the chat server (1 user online)',
      'New user 10.0.0.2:2 entered (2 users online)',
      '[10.0.0.2:2] read early'
    ]);
    expect(early.lines()).toEqual([
      'Connected to the chat server (2 users online)',
      '[You] read early'
    ]);
  });

  it('relays no line read once it is leaving [CHAT-ORDER-3]', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    t.connect('a', a);
    t.connect('b', b);

    a.say('before FIN');
    a.deliver({ type: 'tcp.end' });
    a.say('after FIN');
    t.turns.endTurn();

    expect(b.lines()).toEqual([
      'Connected to the chat server (2 users online)',
      '[10.0.0.1:1] before FIN',
      'The user 10.0.0.1:1 left (1 user online)'
    ]);
    expect(t.room.messageCount()).toBe(1);
  });

  it('writes the too-long error after the lines said before it in the same turn [CHAT-IN-4]', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    t.connect('a', a);

    a.say('first');
    a.deliver({ type: 'tcp.oversize', limit: 10 });
    a.say('second');
    t.turns.endTurn();

    expect(a.lines()).toEqual([
      'Connected to the chat server (1 user online)',
      '[You] first',
      'Error: line too long (limit 10 bytes); it was not relayed',
      '[You] second'
    ]);
  });

  it('stops its feed, its relay and its transport events once its actor is stopped', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    const actorA = t.connect('a', a);
    t.connect('b', b);
    t.turns.endTurn();
    const writtenByA = a.written.length;

    actorA.stop();
    a.say('after stop');
    a.deliver({ type: 'tcp.oversize', limit: 10 });
    b.say('to whoever is left');
    t.turns.endTurn();

    expect(t.done).toEqual(['a']);
    expect(a.written).toHaveLength(writtenByA);
    expect(t.room.messageCount()).toBe(1);
    expect(b.lines().at(-1)).toBe('[You] to whoever is left');
  });
});

describe('connection actor farewells', () => {
  it('ends a slow consumer with its Error line, logs why once, and the others see it leave [CHAT-SLOW-1]', () => {
    const t = setup();
    room = t.room;
    const slow = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    t.connect('slow', slow);
    t.connect('b', b);

    slow.deliver({ type: 'tcp.slow', why: 'overflow', queuedBytes: 1_048_700 });

    expect(slow.farewells).toEqual([
      'Error: disconnected: you are not reading fast enough'
    ]);
    // Its farewell (what was ordered before its leave), then the Error line.
    expect(slow.calls).toEqual([
      'write Connected to the chat server (1 user online)\n' +
        'New user 10.0.0.2:2 entered (2 users online)\n',
      'end Error: disconnected: you are not reading fast enough'
    ]);
    expect(b.written).toEqual([]);
    t.turns.endTurn();
    expect(b.lines()).toEqual([
      'Connected to the chat server (2 users online)',
      'The user 10.0.0.1:1 left (1 user online)'
    ]);
    expect(t.reasons).toEqual(['slow consumer']);
    expect(t.endingsOf('slow')).toEqual([
      { level: 'info', message: 'member left', reason: 'slow consumer' }
    ]);
    expect(t.records.find((r) => r['message'] === 'member left')).toMatchObject(
      {
        connId: 'slow',
        remote: '10.0.0.1:1',
        why: 'overflow',
        queuedBytes: 1_048_700
      }
    );
  });

  it('writes a leaving member what was ordered before its leave, in one write, before closing its transport [CHAT-LEAVE-1]', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    t.connect('a', a);
    t.connect('b', b);
    t.turns.endTurn();

    b.say('last words for a');
    a.say('bye');
    a.deliver({ type: 'tcp.end' });
    a.say('after FIN');

    expect(a.calls.slice(1)).toEqual([
      'write [10.0.0.2:2] last words for a\n[You] bye\n',
      'end'
    ]);
    expect(a.counted.at(-1)).toBe(2);
    expect(t.done).toEqual(['a']);
    // The others get it, and the leave, at the end of the turn.
    expect(b.written).toHaveLength(1);
    t.turns.endTurn();
    expect(b.written.slice(1)).toEqual([
      '[You] last words for a\n' +
        '[10.0.0.1:1] bye\n' +
        'The user 10.0.0.1:1 left (1 user online)\n'
    ]);
    expect(b.counted.at(-1)).toBe(3);
    expect(a.calls).toHaveLength(3);
  });

  it('writes each member its last lines and the closing notice before closing it on shutdown, and nobody the silent leaves [CHAT-SHUT-1] [CHAT-SHUT-2]', () => {
    const t = setup();
    room = t.room;
    const a = new FakePort('10.0.0.1:1');
    const b = new FakePort('10.0.0.2:2');
    const actors = [t.connect('a', a), t.connect('b', b)];
    t.turns.endTurn();

    a.say('one');
    t.room.ref.send({ type: 'room.shutdown' });
    for (const actor of actors) actor.send({ type: 'server.shutdown' });

    expect(a.calls.slice(1)).toEqual([
      'write [You] one\nServer shutting down\n',
      'end'
    ]);
    expect(b.calls.slice(1)).toEqual([
      'write [10.0.0.1:1] one\nServer shutting down\n',
      'end'
    ]);
    expect(t.reasons).toEqual(['server shutdown', 'server shutdown']);
    t.turns.endTurn();
    expect([a.calls.length, b.calls.length]).toEqual([3, 3]);
    expect(t.room.memberCount()).toBe(0);
  });

  it('ends an idle member with its Error line [CHAT-IDLE-1]', () => {
    const t = setup();
    room = t.room;
    const idle = new FakePort('10.0.0.1:1');
    t.connect('idle', idle);
    idle.deliver({ type: 'tcp.idle', idleMs: 90_000 });
    expect(idle.farewells).toEqual(['Error: disconnected: idle for 90 s']);
    expect(t.reasons).toEqual(['idle timeout']);
    expect(t.endingsOf('idle')).toEqual([
      { level: 'info', message: 'member left', reason: 'idle timeout' }
    ]);
    expect(t.records.find((r) => r['message'] === 'member left')).toMatchObject(
      { idleMs: 90_000 }
    );
  });

  it('ends a member that quit with no farewell line', () => {
    const t = setup();
    room = t.room;
    const quitter = new FakePort('10.0.0.1:1');
    t.connect('q', quitter);
    quitter.deliver({ type: 'tcp.end' });
    expect(quitter.farewells).toEqual([undefined]);
    expect(t.reasons).toEqual(['client quit']);
    expect(t.endingsOf('q')).toEqual([
      { level: 'info', message: 'member left', reason: 'client quit' }
    ]);
  });

  it('logs a socket error once, with its code', () => {
    const t = setup();
    room = t.room;
    const reset = new FakePort('10.0.0.1:1');
    t.connect('r', reset);
    reset.deliver({ type: 'tcp.error', code: 'ECONNRESET' });
    expect(t.endingsOf('r')).toEqual([
      { level: 'info', message: 'member left', reason: 'socket error' }
    ]);
    expect(t.records.find((r) => r['message'] === 'member left')).toMatchObject(
      { code: 'ECONNRESET' }
    );
  });
});
