import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import type { ConnectionEvent } from '../../../src/machines/connection-events.js';
import type { RoomEmitted } from '../../../src/machines/room-events.js';
import { roomMachine } from '../../../src/machines/room-machine.js';
import type { ConnectionRef } from '../../../src/machines/types.js';
import { createCleanups } from '../../support/cleanup.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** One ordered log of what the room emits and what it replies, and to whom. */
type Entry =
  | { kind: 'emit'; event: RoomEmitted }
  | { kind: 'reply'; to: string; event: ConnectionEvent };

function start() {
  const log: Entry[] = [];
  const room = createActor(roomMachine, { input: { name: 'lobby' } });
  const errors: unknown[] = [];
  room.subscribe({ error: (err) => errors.push(err) });
  room.on('*', (event) => log.push({ kind: 'emit', event }));
  room.start();
  cleanups.add(() => {
    room.stop();
    expect(errors).toEqual([]);
  });

  const refs = new Map<string, ConnectionRef>();
  /** A started connection stand-in that logs every event the room sends it. */
  const member = (connId: string): ConnectionRef => {
    const existing = refs.get(connId);
    if (existing !== undefined) return existing;
    const ref = createActor(
      fromCallback<ConnectionEvent>(({ receive }) => {
        receive((event) => log.push({ kind: 'reply', to: connId, event }));
      })
    );
    ref.start();
    cleanups.add(() => ref.stop());
    refs.set(connId, ref);
    return ref;
  };
  const remoteOf = (connId: string) => `10.0.0.${connId.slice(1)}:1000`;
  const join = (connId: string) =>
    room.send({
      type: 'room.join',
      connId,
      remote: remoteOf(connId),
      ref: member(connId)
    });
  const leave = (connId: string, withRef = true) =>
    room.send({
      type: 'room.leave',
      connId,
      remote: remoteOf(connId),
      reason: 'client quit',
      ref: withRef ? member(connId) : undefined
    });
  const emitted = () =>
    log.flatMap((e) => (e.kind === 'emit' ? [e.event] : []));
  const replies = () =>
    log.flatMap((e) =>
      e.kind === 'reply' ? [{ to: e.to, type: e.event.type }] : []
    );
  const roster = () => room.getSnapshot().context.roster;
  return { room, log, member, join, leave, emitted, replies, roster };
}

describe('roomMachine', () => {
  describe('open', () => {
    it('starts open and empty', () => {
      const t = start();
      expect(t.room.getSnapshot().value).toBe('open');
      expect(t.roster().size).toBe(0);
      expect(t.room.getSnapshot().context.seq).toBe(0);
      expect(t.log).toEqual([]);
    });

    it('adds a newcomer, emits member.joined, then replies room.joined [CHAT-JOIN-2]', () => {
      const t = start();
      t.join('c1');
      expect(t.roster().has('c1')).toBe(true);
      expect(t.roster().get('c1')).toEqual({
        connId: 'c1',
        remote: '10.0.0.1:1000'
      });
      // One ordered log: the join is in the broadcast before the newcomer
      // hears it was accepted (emit and sendTo are both deferred, in order).
      expect(t.log).toEqual([
        {
          kind: 'emit',
          event: {
            type: 'member.joined',
            seq: 1,
            connId: 'c1',
            remote: '10.0.0.1:1000',
            count: 1
          }
        },
        { kind: 'reply', to: 'c1', event: { type: 'room.joined' } }
      ]);
    });

    it('counts the newcomer in its own join [CHAT-JOIN-1] [CHAT-COUNT-2]', () => {
      const t = start();
      t.join('c1');
      t.join('c2');
      t.join('c3');
      expect(t.emitted().map((e) => 'count' in e && e.count)).toEqual([
        1, 2, 3
      ]);
    });

    it('rejects a second join of the same connection without emitting', () => {
      const t = start();
      t.join('c1');
      t.log.length = 0;
      t.join('c1');
      expect(t.log).toEqual([
        { kind: 'reply', to: 'c1', event: { type: 'room.rejected' } }
      ]);
      expect(t.roster().size).toBe(1);
      expect(t.room.getSnapshot().context.seq).toBe(1);
    });

    it('takes no chat lines: its events are joins, leaves, the shutdown and the flush point [CHAT-ORDER-1]', () => {
      // Lines are data the room actor collects and batches
      // (test/unit/actors/room-actor.test.ts), never a transition here.
      expect([...roomMachine.events].sort()).toEqual([
        'room.flush',
        'room.join',
        'room.leave',
        'room.shutdown'
      ]);
    });

    it('answers room.flush with room.flushed in its order, in either state, without a seq [CHAT-ORDER-1]', () => {
      const t = start();
      t.join('c1');
      t.room.send({ type: 'room.flush' });
      t.room.send({ type: 'room.shutdown' });
      t.room.send({ type: 'room.flush' });
      expect(t.emitted().map((e) => e.type)).toEqual([
        'member.joined',
        'room.flushed',
        'room.closing',
        'room.flushed'
      ]);
      expect(t.room.getSnapshot().context.seq).toBe(2);
    });

    it('removes a leaving member, emits member.left with the count after removal, and replies room.left [CHAT-LEAVE-1]', () => {
      const t = start();
      t.join('c1');
      t.join('c2');
      t.log.length = 0;
      t.room.send({
        type: 'room.leave',
        connId: 'c1',
        remote: '10.0.0.1:1000',
        reason: 'socket error',
        ref: t.member('c1')
      });
      expect(t.roster().has('c1')).toBe(false);
      expect(t.roster().size).toBe(1);
      expect(t.emitted()).toEqual([
        {
          type: 'member.left',
          seq: 3,
          connId: 'c1',
          remote: '10.0.0.1:1000',
          count: 1,
          reason: 'socket error',
          announced: true
        }
      ]);
      expect(t.replies()).toEqual([{ to: 'c1', type: 'room.left' }]);
    });

    it("passes the leave request's detail on in member.left, and adds none when it has none", () => {
      const t = start();
      t.join('c1');
      t.join('c2');
      t.log.length = 0;
      t.room.send({
        type: 'room.leave',
        connId: 'c1',
        remote: '10.0.0.1:1000',
        reason: 'slow consumer',
        detail: { why: 'stall', queuedBytes: 70_000 },
        ref: t.member('c1')
      });
      t.leave('c2');
      const [slow, quit] = t.emitted();
      expect(slow).toMatchObject({
        type: 'member.left',
        reason: 'slow consumer',
        detail: { why: 'stall', queuedBytes: 70_000 }
      });
      expect(quit).toMatchObject({
        type: 'member.left',
        reason: 'client quit'
      });
      expect(quit).not.toHaveProperty('detail');
    });

    it('emits member.left before it replies room.left, as for the join', () => {
      // Both are deferred to the end of the transition and run in order, so
      // an idle connection cannot close before its leave is broadcast.
      const t = start();
      t.join('c1');
      t.log.length = 0;
      t.leave('c1');
      expect(t.log.map((e) => e.event.type)).toEqual([
        'member.left',
        'room.left'
      ]);
    });

    it('emits nothing for a non-member that leaves but still replies room.left [CHAT-ORDER-4]', () => {
      const t = start();
      t.join('c1');
      t.log.length = 0;
      t.leave('c7');
      expect(t.log).toEqual([
        { kind: 'reply', to: 'c7', event: { type: 'room.left' } }
      ]);
      expect(t.roster().size).toBe(1);
      expect(t.room.getSnapshot().context.seq).toBe(1);
    });

    it('removes a member the daemon leaves for, without a ref', () => {
      const t = start();
      t.join('c1');
      t.join('c2');
      t.log.length = 0;
      t.leave('c1', false);
      expect(t.log).toEqual([
        {
          kind: 'emit',
          event: expect.objectContaining({
            type: 'member.left',
            connId: 'c1',
            count: 1,
            announced: true
          }) as RoomEmitted
        }
      ]);
      expect(t.room.getSnapshot().status).toBe('active');
    });

    it('numbers every membership change it emits once, by one, in order', () => {
      const t = start();
      t.join('c1');
      t.join('c2');
      t.join('c1');
      t.leave('c1');
      t.leave('c1');
      t.leave('c9');
      t.join('c3');
      t.room.send({ type: 'room.shutdown' });
      t.room.send({ type: 'room.shutdown' });
      t.join('c4');
      t.leave('c2');
      const emitted = t.emitted();
      expect(emitted.map((e) => e.type)).toEqual([
        'member.joined',
        'member.joined',
        'member.left',
        'member.joined',
        'room.closing',
        'member.left'
      ]);
      expect(emitted.map((e) => ('seq' in e ? e.seq : null))).toEqual([
        1, 2, 3, 4, 5, 6
      ]);
      expect(t.room.getSnapshot().context.seq).toBe(6);
    });

    it('emits counts that always equal the roster size [CHAT-COUNT-2]', () => {
      const t = start();
      const model = new Set<string>();
      const expected: number[] = [];
      const observed: [number, number][] = [];
      t.room.on('*', (event) => {
        if ('count' in event) {
          observed.push([event.count, t.roster().size]);
        }
      });
      const script: ['join' | 'leave', string][] = [
        ['join', 'c1'],
        ['join', 'c2'],
        ['join', 'c3'],
        ['leave', 'c2'],
        ['join', 'c4'],
        ['leave', 'c1'],
        ['leave', 'c1'],
        ['join', 'c2'],
        ['leave', 'c3'],
        ['leave', 'c4'],
        ['leave', 'c2']
      ];
      for (const [op, connId] of script) {
        if (op === 'join') {
          t.join(connId);
          if (!model.has(connId)) expected.push(model.add(connId).size);
        } else {
          t.leave(connId);
          if (model.delete(connId)) expected.push(model.size);
        }
      }
      expect(observed.map(([count]) => count)).toEqual(expected);
      for (const [count, size] of observed) expect(count).toBe(size);
      expect(expected.at(-1)).toBe(0);
    });
  });

  describe('closing', () => {
    function closingRoom() {
      const t = start();
      t.join('c1');
      t.join('c2');
      t.room.send({ type: 'room.shutdown' });
      return t;
    }

    it('enters closing and emits room.closing with the count [CHAT-SHUT-1]', () => {
      const t = closingRoom();
      expect(t.room.getSnapshot().value).toBe('closing');
      expect(t.emitted().at(-1)).toEqual({
        type: 'room.closing',
        seq: 3,
        count: 2
      });
    });

    it('emits room.closing only once', () => {
      const t = closingRoom();
      t.room.send({ type: 'room.shutdown' });
      expect(t.emitted().filter((e) => e.type === 'room.closing')).toHaveLength(
        1
      );
    });

    it('rejects a join while closing', () => {
      const t = closingRoom();
      t.log.length = 0;
      t.join('c3');
      expect(t.log).toEqual([
        { kind: 'reply', to: 'c3', event: { type: 'room.rejected' } }
      ]);
      expect(t.roster().has('c3')).toBe(false);
    });

    it('lets a member leave silently and still replies room.left [CHAT-SHUT-2]', () => {
      const t = closingRoom();
      t.log.length = 0;
      t.room.send({
        type: 'room.leave',
        connId: 'c2',
        remote: '10.0.0.2:1000',
        reason: 'server shutdown',
        ref: t.member('c2')
      });
      expect(t.emitted()).toEqual([
        {
          type: 'member.left',
          seq: 4,
          connId: 'c2',
          remote: '10.0.0.2:1000',
          count: 1,
          reason: 'server shutdown',
          announced: false
        }
      ]);
      expect(t.replies()).toEqual([{ to: 'c2', type: 'room.left' }]);
      expect(t.roster().size).toBe(1);
    });

    it('replies room.left to a non-member leaving while closing, without emitting', () => {
      const t = closingRoom();
      t.log.length = 0;
      t.leave('c8');
      expect(t.log).toEqual([
        { kind: 'reply', to: 'c8', event: { type: 'room.left' } }
      ]);
    });
  });
});
