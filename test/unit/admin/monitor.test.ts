import {
  assign,
  createActor,
  createMachine,
  type InspectionEvent
} from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  ConnectionMonitor,
  type Transition,
  type TrafficSource
} from '../../../src/admin/monitor.js';

const STATES = ['connecting', 'online', 'leaving', 'closed'] as const;

/** The connection machine's shape, without its effects: each event one step. */
const lifecycle = createMachine({
  id: 'connection',
  context: { reason: null as string | null },
  initial: 'connecting',
  states: {
    connecting: { on: { JOINED: 'online' } },
    online: {
      on: {
        LINE: {},
        QUIT: {
          target: 'leaving',
          actions: assign({ reason: 'client quit' })
        }
      }
    },
    leaving: { on: { LEFT: 'closed' } },
    closed: { type: 'final' }
  }
});

interface FakeSource extends TrafficSource {
  traffic: {
    bytesIn: number;
    bytesOut: number;
    linesIn: number;
    linesOut: number;
  };
  queuedBytes: number;
}

function source(): FakeSource {
  return {
    traffic: { bytesIn: 0, bytesOut: 0, linesIn: 0, linesOut: 0 },
    queuedBytes: 0
  };
}

function setup(options: { retainClosed?: number } = {}) {
  let now = 1000;
  const monitor = new ConnectionMonitor({
    states: STATES,
    finalState: 'closed',
    now: () => now,
    ...options
  });
  const start = (id: string, traffic = source()) => {
    monitor.track(id, `127.0.0.1:${id.slice(1)}`, traffic);
    const actor = createActor(lifecycle, { id, inspect: monitor.inspect });
    actor.start();
    return actor;
  };
  return {
    monitor,
    start,
    tick: (ms: number) => {
      now += ms;
    }
  };
}

describe('ConnectionMonitor', () => {
  it('follows each connection through its states, with a timeline of events', () => {
    const { monitor, start, tick } = setup();
    const actor = start('c1');
    tick(5);
    actor.send({ type: 'JOINED' });
    tick(5);
    actor.send({ type: 'LINE' }); // no state change: not a transition
    actor.send({ type: 'QUIT' });
    tick(5);
    actor.send({ type: 'LEFT' });
    expect(monitor.timeline('c1')).toEqual([
      { at: 1000, event: 'xstate.init', from: null, to: 'connecting' },
      { at: 1005, event: 'JOINED', from: 'connecting', to: 'online' },
      { at: 1010, event: 'QUIT', from: 'online', to: 'leaving' },
      { at: 1015, event: 'LEFT', from: 'leaving', to: 'closed' }
    ]);
    expect(monitor.row('c1')).toMatchObject({
      state: 'closed',
      since: 1015,
      openedAt: 1000,
      reason: 'client quit'
    });
  });

  it('counts live connections per state and closed ones since start', () => {
    const { monitor, start } = setup();
    const a = start('c1');
    const b = start('c2');
    start('c3');
    a.send({ type: 'JOINED' });
    b.send({ type: 'JOINED' });
    b.send({ type: 'QUIT' });
    expect(monitor.stateCounts()).toEqual({
      connecting: 1,
      online: 1,
      leaving: 1,
      closed: 0
    });
    b.send({ type: 'LEFT' });
    expect(monitor.stateCounts()).toEqual({
      connecting: 1,
      online: 1,
      leaving: 0,
      closed: 1
    });
    // What is open right now, for a gauge: the final state is left out.
    expect(monitor.liveStateCounts()).toEqual({
      connecting: 1,
      online: 1,
      leaving: 0
    });
  });

  it('reads traffic live while open and keeps the last numbers once closed', () => {
    const { monitor, start } = setup();
    const traffic = source();
    const actor = start('c1', traffic);
    actor.send({ type: 'JOINED' });
    traffic.traffic.linesIn = 3;
    traffic.queuedBytes = 70;
    expect(monitor.row('c1')).toMatchObject({ messagesIn: 3, queuedBytes: 70 });
    expect(monitor.queuedBytes()).toEqual({ max: 70, sum: 70 });
    actor.send({ type: 'QUIT' });
    actor.send({ type: 'LEFT' });
    traffic.traffic.linesIn = 99; // the socket object is no longer read
    expect(monitor.row('c1')).toMatchObject({ messagesIn: 3, queuedBytes: 0 });
    expect(monitor.queuedBytes()).toEqual({ max: 0, sum: 0 });
  });

  it('keeps only the most recent closed connections', () => {
    const { monitor, start } = setup({ retainClosed: 2 });
    for (const id of ['c1', 'c2', 'c3']) {
      const actor = start(id);
      actor.send({ type: 'JOINED' });
      actor.send({ type: 'QUIT' });
      actor.send({ type: 'LEFT' });
    }
    expect(monitor.row('c1')).toBeUndefined();
    expect(monitor.row('c3')?.state).toBe('closed');
    expect(
      monitor.rows({ offset: 0, limit: 10, state: 'all', order: 'oldest' })
        .total
    ).toBe(2);
    expect(monitor.stateCounts()['closed']).toBe(3);
  });

  it('pages and filters rows, newest or oldest first', () => {
    const { monitor, start } = setup();
    const actors = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => start(id));
    for (const actor of actors.slice(0, 3)) actor.send({ type: 'JOINED' });
    const page = monitor.rows({
      offset: 1,
      limit: 2,
      state: 'online',
      order: 'newest'
    });
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => r.id)).toEqual(['c2', 'c1']);
    const oldest = monitor.rows({
      offset: 0,
      limit: 2,
      state: 'all',
      order: 'oldest'
    });
    expect(oldest.rows.map((r) => r.id)).toEqual(['c1', 'c2']);
    expect(
      monitor.rows({ offset: 0, limit: 9, state: 'live', order: 'oldest' })
        .total
    ).toBe(5);
  });

  it('closes a record the daemon reports done when inspection did not', async () => {
    const { monitor } = setup();
    monitor.track('c9', '127.0.0.1:9', source());
    monitor.done('c9', 'internal error');
    await Promise.resolve();
    expect(monitor.row('c9')).toMatchObject({
      state: 'closed',
      reason: 'internal error'
    });
    expect(monitor.timeline('c9')?.at(-1)).toMatchObject({
      event: 'done',
      from: null
    });
  });

  it('builds transitions only for a subscriber, and ignores untracked actors', () => {
    const { monitor, start } = setup();
    const seen: Transition[] = [];
    const subscription = monitor.transitions$.subscribe((t) => seen.push(t));
    const actor = start('c1');
    actor.send({ type: 'JOINED' });
    const stranger = createActor(lifecycle, {
      id: 'room:lobby',
      inspect: monitor.inspect
    });
    stranger.start();
    stranger.send({ type: 'JOINED' });
    subscription.unsubscribe();
    actor.send({ type: 'QUIT' });
    expect(seen.map((t) => `${t.id} ${t.from ?? '-'}→${t.to}`)).toEqual([
      'c1 -→connecting',
      'c1 connecting→online'
    ]);
    expect(monitor.row('room:lobby')).toBeUndefined();
  });

  it('follows rooms from the context and names from renamed(), and filters rows by room in any case', () => {
    const { monitor, tick } = setup();
    // The connection machine keeps a RoomRef in `room`; its id names the room.
    const lobby = { id: 'room:lobby' };
    const dev = { id: 'room:Dev' };
    const mover = createMachine({
      id: 'connection',
      context: { reason: null as string | null, room: lobby },
      initial: 'connecting',
      states: {
        connecting: { on: { JOINED: 'online' } },
        online: { on: { MOVE: 'moving' } },
        moving: {
          on: { LEFT: { target: 'connecting', actions: assign({ room: dev }) } }
        }
      }
    });
    const moves: string[] = [];
    const renames: string[] = [];
    const subscriptions = [
      monitor.moves$.subscribe((m) => moves.push(`${m.id} ${m.from}→${m.to}`)),
      monitor.renames$.subscribe((r) =>
        renames.push(`${r.id} ${r.from ?? '-'}→${r.to}`)
      )
    ];
    const actors = ['c1', 'c2'].map((id) => {
      monitor.track(id, `127.0.0.1:${id.slice(1)}`, source());
      const actor = createActor(mover, { id, inspect: monitor.inspect });
      actor.start();
      actor.send({ type: 'JOINED' });
      return actor;
    });
    expect(monitor.row('c1')).toMatchObject({ room: '#lobby', name: null });
    tick(5);
    monitor.renamed('c1', 'ann');
    monitor.renamed('nobody', 'x');
    actors[0]?.send({ type: 'MOVE' });
    actors[0]?.send({ type: 'LEFT' });
    actors[0]?.send({ type: 'JOINED' });
    for (const subscription of subscriptions) subscription.unsubscribe();

    expect(moves).toEqual(['c1 #lobby→#Dev']);
    expect(renames).toEqual(['c1 -→ann']);
    expect(monitor.row('c1')).toMatchObject({
      room: '#Dev',
      name: 'ann',
      state: 'online'
    });
    const inRoom = (room: string) =>
      monitor
        .rows({ offset: 0, limit: 9, state: 'all', order: 'oldest', room })
        .rows.map((row) => row.id);
    expect(inRoom('#dev')).toEqual(['c1']);
    expect(inRoom('#LOBBY')).toEqual(['c2']);
    expect(inRoom('#nowhere')).toEqual([]);
  });

  it('returns at once for the events it does not use', () => {
    const { monitor } = setup();
    const event = { type: '@xstate.event' } as unknown as InspectionEvent;
    expect(() => monitor.inspect(event)).not.toThrow();
  });
});
