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

/** A transport port with no socket: records writes, can be made to throw. */
class FakePort implements ConnectionPort {
  readonly written: string[] = [];
  readonly queuedBytes = 0;
  ended = 0;
  farewells: (string | undefined)[] = [];
  destroyed = 0;
  #sink: ((event: TransportEvent) => void) | undefined;

  constructor(
    readonly remote: string,
    private readonly failsOn: (text: string) => boolean = () => false
  ) {}

  write(data: Buffer | string): void {
    const text = data.toString();
    if (this.failsOn(text)) throw new Error(`write failed: ${text.trim()}`);
    this.written.push(text);
  }
  end(farewell?: string): void {
    this.ended += 1;
    this.farewells.push(farewell);
  }
  destroy(): void {
    this.destroyed += 1;
    this.#sink = undefined;
  }
  pauseInput(): void {}
  resumeInput(): void {}
  attach(sink: (event: TransportEvent) => void): () => void {
    this.#sink = sink;
    return () => (this.#sink = undefined);
  }
  /** Plays the transport: delivers an event as the socket bridge would. */
  deliver(event: TransportEvent): void {
    this.#sink?.(event);
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
  const room = createRoom({ name: 'test', logger, onFault });
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

    b.deliver({ type: 'tcp.line', text: 'trigger' });
    b.deliver({ type: 'tcp.line', text: 'after' });

    expect(actorA.getSnapshot().status).toBe('done');
    const { reason, fault } = actorA.getSnapshot().context;
    expect(reason).toBe('internal error');
    expect(fault).toContain('write failed: [10.0.0.2:2] trigger');
    expect(a.ended).toBe(1);
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
    a.deliver({ type: 'tcp.line', text: 'ignored, the actor is gone' });
    const writtenByA = a.written.length;

    expect(actorA.getSnapshot().status).toBe('error');
    expect(a.destroyed).toBe(1);
    expect(t.done).toEqual(['a']);
    expect(t.room.memberCount()).toBe(1);
    expect(b.lines()).toEqual([
      'Connected to the chat server (2 users online)',
      'The user 10.0.0.1:1 left (1 user online)'
    ]);
    b.deliver({ type: 'tcp.line', text: 'still here' });
    expect(b.lines().at(-1)).toBe('[You] still here');
    // XState leaves a failed actor's invoked children running; the feed must
    // still have ended (at the member's own leave) and the bridge detached.
    expect(a.written).toHaveLength(writtenByA);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
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
    expect(b.lines().at(-1)).toBe('The user 10.0.0.1:1 left (1 user online)');
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
