import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock, createActor, fromCallback } from 'xstate';
import type { ConnectionEvent } from '../../../src/machines/connection-events.js';
import { connectionMachine } from '../../../src/machines/connection-machine.js';
import type {
  LeaveDetail,
  RoomEmitted,
  RoomEvent
} from '../../../src/machines/room-events.js';
import type {
  ConnectionPort,
  ConnectionRef,
  LeaveReason,
  RoomLink,
  RoomRef
} from '../../../src/machines/types.js';
import { LEAVE_TIMEOUT_MS } from '../../../src/protocol/constants.js';
import { createCleanups } from '../../support/cleanup.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const REMOTE = '10.0.0.1:4242';

/** A port with no socket; the machine only reads `remote` and passes it on. */
function fakePort(): ConnectionPort {
  return {
    remote: REMOTE,
    transport: 'tcp',
    queuedBytes: 0,
    write: vi.fn(),
    end: vi.fn(),
    destroy: vi.fn(),
    pauseInput: vi.fn(),
    resumeInput: vi.fn(),
    attach: vi.fn(() => () => undefined),
    relay: vi.fn(() => () => undefined)
  };
}

/**
 * A link that records what the machine told it: the rooms it entered and
 * who for, and its line relay's starts and stops (also on `timeline`).
 */
class FakeLink implements RoomLink {
  readonly entered: { room: RoomRef; self: ConnectionRef }[] = [];
  relayStarts = 0;
  relayStops = 0;
  relayRoom: RoomRef | null = null;
  relaying = false;

  constructor(private readonly timeline: string[]) {}

  enter(room: RoomRef, self: ConnectionRef): void {
    this.entered.push({ room, self });
  }

  startRelay(room: RoomRef): void {
    this.stopRelay();
    this.relaying = true;
    this.relayRoom = room;
    this.relayStarts += 1;
    this.timeline.push('relay.start');
  }

  stopRelay(): void {
    if (!this.relaying) return;
    this.relaying = false;
    this.relayStops += 1;
    this.timeline.push('relay.stop');
  }
}

/**
 * The real connection machine with fake effects, a real (callback) room actor
 * that records what it receives, and a simulated clock.
 */
function start() {
  const received: RoomEvent[] = [];
  /** The room's events and the line relay's start and stop, in one order. */
  const timeline: string[] = [];
  const room = createActor(
    fromCallback<RoomEvent, void, RoomEmitted>(({ receive }) => {
      receive((event) => {
        received.push(event);
        timeline.push(event.type);
      });
    })
  );
  room.start();
  cleanups.add(() => room.stop());

  const link = new FakeLink(timeline);
  const actions = {
    reportOversize: vi.fn(),
    reportRejection: vi.fn(),
    closeTransport: vi.fn(),
    pauseInput: vi.fn(),
    resumeInput: vi.fn()
  };
  const logic = connectionMachine.provide({ actions });
  const clock = new SimulatedClock();
  const port = fakePort();
  const actor = createActor(logic, {
    input: { connId: 'c1', port, room, link },
    clock
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (err) => errors.push(err) });
  actor.start();
  cleanups.add(() => {
    actor.stop();
    expect(errors).toEqual([]);
  });

  const leaves = () => received.filter((e) => e.type === 'room.leave');
  const goOnline = () => actor.send({ type: 'room.joined' });
  return {
    actor,
    room,
    received,
    timeline,
    leaves,
    link,
    actions,
    clock,
    port,
    goOnline
  };
}

const endings: [string, ConnectionEvent, LeaveReason][] = [
  ['tcp.end', { type: 'tcp.end' }, 'client quit'],
  ['tcp.error', { type: 'tcp.error', code: 'ECONNRESET' }, 'socket error'],
  ['tcp.close', { type: 'tcp.close' }, 'socket closed'],
  ['server.shutdown', { type: 'server.shutdown' }, 'server shutdown'],
  [
    'server.unavailable',
    { type: 'server.unavailable', graceMs: 30_000 },
    'chat unavailable'
  ],
  [
    'tcp.slow',
    { type: 'tcp.slow', why: 'overflow', queuedBytes: 2_000_000 },
    'slow consumer'
  ],
  ['tcp.idle', { type: 'tcp.idle', idleMs: 300_000 }, 'idle timeout']
];

/** What the room.leave of each of `endings` adds to its reason, if anything. */
const detailOf: Partial<Record<LeaveReason, LeaveDetail>> = {
  'socket error': { code: 'ECONNRESET' },
  'slow consumer': { why: 'overflow', queuedBytes: 2_000_000 },
  'idle timeout': { idleMs: 300_000 }
};

describe('connectionMachine', () => {
  describe('connecting', () => {
    it('starts in connecting with no reason', () => {
      const t = start();
      expect(t.actor.getSnapshot().value).toBe('connecting');
      expect(t.actor.getSnapshot().context).toMatchObject({
        connId: 'c1',
        remote: REMOTE,
        reason: null,
        errorCode: null,
        fault: null
      });
      expect(t.received).toEqual([]);
    });

    it('goes online when the room confirms the join', () => {
      const t = start();
      t.goOnline();
      expect(t.actor.getSnapshot().value).toBe('online');
    });

    it('closes with server shutdown when the room rejects the join', () => {
      const t = start();
      t.actor.send({ type: 'room.rejected' });
      const snapshot = t.actor.getSnapshot();
      expect(snapshot.value).toBe('closed');
      expect(snapshot.status).toBe('done');
      expect(snapshot.context.reason).toBe('server shutdown');
      expect(t.actions.reportRejection).toHaveBeenCalledTimes(1);
      expect(t.actions.closeTransport).toHaveBeenCalledTimes(1);
      // It never joined, so there is nothing to leave. [CHAT-ORDER-4]
      expect(t.leaves()).toEqual([]);
    });

    it('runs no line relay while connecting', () => {
      const t = start();
      expect(t.link.relayStarts).toBe(0);
      expect(t.received).toEqual([]);
    });

    it('never runs the line relay for a connection the room rejects', () => {
      const t = start();
      t.actor.send({ type: 'room.rejected' });
      expect(t.link.relayStarts).toBe(0);
      expect(t.timeline).toEqual([]);
    });
  });

  describe('online', () => {
    it('runs the line relay once, with its connection id, port and room, and sends the room nothing itself', () => {
      const t = start();
      t.goOnline();
      expect(t.link.relayStarts).toBe(1);
      expect(t.link.relayRoom).toBe(t.room);
      expect(t.link.relayStops).toBe(0);
      // Chat lines are not events of this machine: it only decides when the
      // relay runs. [CHAT-ORDER-1]
      expect(connectionMachine.events).not.toContain('tcp.line');
      expect(t.received).toEqual([]);
      expect(t.actor.getSnapshot().value).toBe('online');
    });

    it('keeps the line relay running through an over-long line', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.oversize', limit: 4096 });
      expect(t.link.relayStarts).toBe(1);
      expect(t.link.relayStops).toBe(0);
    });

    it('reports an over-long line and stays online [CHAT-IN-4]', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.oversize', limit: 4096 });
      expect(t.actions.reportOversize).toHaveBeenCalledTimes(1);
      expect(t.actions.reportOversize).toHaveBeenCalledWith(
        expect.objectContaining({
          event: { type: 'tcp.oversize', limit: 4096 }
        }),
        undefined
      );
      expect(t.received).toEqual([]);
      expect(t.actor.getSnapshot().value).toBe('online');
    });

    it('ignores room.left while not leaving', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'room.left' });
      expect(t.actor.getSnapshot().value).toBe('online');
      expect(t.actions.closeTransport).not.toHaveBeenCalled();
    });
  });

  describe('leaving', () => {
    for (const from of ['connecting', 'online'] as const) {
      it.each(endings)(
        `leaves from ${from} on %s with its reason, its detail and one room.leave`,
        (_name, event, reason) => {
          const t = start();
          if (from === 'online') t.goOnline();
          t.actor.send(event);
          const snapshot = t.actor.getSnapshot();
          expect(snapshot.value).toBe('leaving');
          expect(snapshot.context.reason).toBe(reason);
          const detail = detailOf[reason];
          expect(t.leaves()).toStrictEqual([
            {
              type: 'room.leave',
              connId: 'c1',
              remote: REMOTE,
              reason,
              ...(detail && { detail }),
              ref: t.actor
            }
          ]);
          expect(t.actions.closeTransport).not.toHaveBeenCalled();
        }
      );
    }

    it('records how a slow consumer fell behind [CHAT-SLOW-1]', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.slow', why: 'stall', queuedBytes: 70_000 });
      expect(t.actor.getSnapshot().context).toMatchObject({
        reason: 'slow consumer',
        slow: { why: 'stall', queuedBytes: 70_000 },
        idleMs: null
      });
      expect(t.leaves()).toHaveLength(1);
    });

    it('records the idle timeout that ended it [CHAT-IDLE-1]', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.idle', idleMs: 1500 });
      expect(t.actor.getSnapshot().context).toMatchObject({
        reason: 'idle timeout',
        idleMs: 1500,
        slow: null
      });
    });

    it('records the error code of a socket error', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.error', code: 'EPIPE' });
      expect(t.actor.getSnapshot().context).toMatchObject({
        reason: 'socket error',
        errorCode: 'EPIPE'
      });
    });

    it('leaves with internal error and records the fault on feed.error', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'feed.error', message: 'write failed' });
      expect(t.actor.getSnapshot().value).toBe('leaving');
      expect(t.actor.getSnapshot().context).toMatchObject({
        reason: 'internal error',
        fault: 'write failed'
      });
      expect(t.leaves()).toHaveLength(1);
      expect(t.leaves()[0]).toMatchObject({ reason: 'internal error' });
    });

    it.each(endings)(
      'keeps the first reason and sends no second room.leave on a later %s',
      (_name, second) => {
        const t = start();
        t.goOnline();
        // `feed.error` first, so every ending in the table comes second.
        t.actor.send({ type: 'feed.error', message: 'boom' });
        t.actor.send(second);
        t.actor.send({ type: 'tcp.error', code: 'ECONNRESET' });
        const snapshot = t.actor.getSnapshot();
        expect(snapshot.value).toBe('leaving');
        expect(snapshot.context).toMatchObject({
          reason: 'internal error',
          errorCode: null,
          fault: 'boom'
        });
        expect(t.leaves()).toHaveLength(1);
      }
    );

    it('keeps client quit when a socket error follows the FIN [CHAT-ORDER-3]', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.end' });
      t.actor.send({ type: 'tcp.error', code: 'ECONNRESET' });
      t.actor.send({ type: 'tcp.close' });
      t.actor.send({ type: 'server.shutdown' });
      t.actor.send({ type: 'feed.error', message: 'late' });
      expect(t.actor.getSnapshot().context).toMatchObject({
        reason: 'client quit',
        errorCode: null,
        fault: null
      });
      expect(t.leaves()).toHaveLength(1);
    });

    it.each(endings)(
      'stops the line relay before it asks the room to leave, on %s [CHAT-ORDER-3]',
      (_name, event) => {
        const t = start();
        t.goOnline();
        t.actor.send(event);
        // No line can follow the leave: the relay is gone first.
        expect(t.timeline).toEqual(['relay.start', 'relay.stop', 'room.leave']);
        expect(t.link.relayStops).toBe(1);
      }
    );

    it('does not report an over-long line while leaving, nor start the relay again [CHAT-ORDER-3]', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.end' });
      t.actor.send({ type: 'tcp.oversize', limit: 4096 });
      t.actor.send({ type: 'room.joined' });
      t.actor.send({ type: 'room.left' });
      expect(t.received.map((e) => e.type)).toEqual(['room.leave']);
      expect(t.actions.reportOversize).not.toHaveBeenCalled();
      expect(t.link.relayStarts).toBe(1);
      expect(t.link.relayStops).toBe(1);
    });

    it('never runs the line relay when it leaves before the join', () => {
      const t = start();
      t.actor.send({ type: 'tcp.end' });
      t.actor.send({ type: 'room.joined' });
      t.actor.send({ type: 'room.left' });
      expect(t.actor.getSnapshot().value).toBe('closed');
      expect(t.link.relayStarts).toBe(0);
    });

    it('closes once when the room confirms the leave', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.end' });
      t.actor.send({ type: 'room.left' });
      const snapshot = t.actor.getSnapshot();
      expect(snapshot.value).toBe('closed');
      expect(snapshot.status).toBe('done');
      expect(snapshot.context.reason).toBe('client quit');
      expect(t.actions.closeTransport).toHaveBeenCalledTimes(1);
      expect(t.leaves()).toHaveLength(1);
    });

    it('closes after leaveTimeout without room.left', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.close' });
      t.clock.increment(LEAVE_TIMEOUT_MS - 1);
      expect(t.actor.getSnapshot().value).toBe('leaving');
      expect(t.actions.closeTransport).not.toHaveBeenCalled();
      t.clock.increment(1);
      expect(t.actor.getSnapshot().value).toBe('closed');
      expect(t.actor.getSnapshot().status).toBe('done');
      expect(t.actions.closeTransport).toHaveBeenCalledTimes(1);
      expect(t.leaves()).toHaveLength(1);
    });

    it('arms leaveTimeout only on entering leaving', () => {
      const t = start();
      t.goOnline();
      t.clock.increment(LEAVE_TIMEOUT_MS * 2);
      expect(t.actor.getSnapshot().value).toBe('online');
    });

    it('does not close twice when the timeout fires after room.left', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.end' });
      t.actor.send({ type: 'room.left' });
      t.clock.increment(LEAVE_TIMEOUT_MS);
      expect(t.actions.closeTransport).toHaveBeenCalledTimes(1);
    });
  });

  describe('its link', () => {
    it('enters its room through the link as it starts, for the actor itself', () => {
      const t = start();
      expect(t.link.entered).toEqual([{ room: t.room, self: t.actor }]);
      expect(t.link.entered[0]?.self).toBe(t.actor);
      // No invoked actor: the link is a plain object (memory).
      expect(t.actor.getSnapshot().children).toEqual({});
    });

    it('is driven by feed.error from its link', () => {
      const t = start();
      t.goOnline();
      t.link.entered[0]?.self.send({
        type: 'feed.error',
        message: 'EPIPE on write'
      });
      expect(t.actor.getSnapshot().value).toBe('leaving');
      expect(t.actor.getSnapshot().context).toMatchObject({
        reason: 'internal error',
        fault: 'EPIPE on write'
      });
      expect(t.timeline).toEqual(['relay.start', 'relay.stop', 'room.leave']);
    });

    it('stops the relay once on leaving and never starts it again', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'tcp.end' });
      expect(t.link.relayStops).toBe(1);
      t.actor.send({ type: 'room.left' });
      expect(t.actor.getSnapshot().status).toBe('done');
      expect(t.link.relayStarts).toBe(1);
      expect(t.link.relayStops).toBe(1);
      expect(t.link.entered).toHaveLength(1);
    });
  });
});

describe('input while connecting', () => {
  it('pauses input on entering connecting and resumes it on joining', () => {
    const t = start();
    expect(t.actions.pauseInput).toHaveBeenCalledTimes(1);
    expect(t.actions.resumeInput).not.toHaveBeenCalled();
    t.actor.send({ type: 'room.joined' });
    expect(t.actions.resumeInput).toHaveBeenCalledTimes(1);
    expect(t.actor.getSnapshot().value).toBe('online');
  });

  it('never resumes input for a connection the room rejects', () => {
    const t = start();
    t.actor.send({ type: 'room.rejected' });
    expect(t.actions.resumeInput).not.toHaveBeenCalled();
  });

  describe('moving [CHAT-CMD-JOIN]', () => {
    it('stops the relay, leaves the old room, and rejoins through the feed on room.left', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'cmd.join', room: '#dev' });
      expect(t.actor.getSnapshot().value).toBe('moving');
      // The relay stops before the leave: no line can follow it.
      expect(t.timeline.slice(-2)).toEqual(['relay.stop', 'room.leave']);
      expect(t.leaves()).toEqual([
        {
          type: 'room.leave',
          connId: 'c1',
          remote: REMOTE,
          reason: 'client quit',
          detail: { movedTo: '#dev' },
          ref: t.actor
        }
      ]);
      expect(t.actions.pauseInput).toHaveBeenCalledTimes(2);
      expect(t.link.entered).toHaveLength(1);
      t.actor.send({ type: 'room.left' });
      expect(t.actor.getSnapshot().value).toBe('connecting');
      // Its link follows it into the next room, which it then joins.
      expect(t.link.entered).toHaveLength(2);
      expect(t.actor.getSnapshot().context.nextRoom).toBeNull();
      t.goOnline();
      expect(t.actor.getSnapshot().value).toBe('online');
      expect(t.link.relayStarts).toBe(2);
    });

    it('leaves for good when the socket ends while moving', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'cmd.join', room: '#dev' });
      t.actor.send({ type: 'tcp.end' });
      expect(t.actor.getSnapshot().value).toBe('leaving');
      expect(t.leaves()).toHaveLength(2);
    });

    it('closes after leaveTimeout when the old room never answers', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'cmd.join', room: '#dev' });
      t.clock.increment(LEAVE_TIMEOUT_MS);
      expect(t.actor.getSnapshot().value).toBe('closed');
    });
  });

  describe('/quit [CHAT-CMD-QUIT]', () => {
    it('leaves as client quit, with the reason for the notice', () => {
      const t = start();
      t.goOnline();
      t.actor.send({ type: 'cmd.quit', reason: 'bye now' });
      expect(t.actor.getSnapshot().value).toBe('leaving');
      expect(t.leaves()[0]).toMatchObject({
        reason: 'client quit',
        detail: { quit: 'bye now' }
      });
    });
  });
});
