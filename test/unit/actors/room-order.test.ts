import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import { bytesOf, type Broadcast } from '../../../src/actors/broadcast.js';
import { createRoom, type Room } from '../../../src/actors/room-actor.js';
import {
  localOrder,
  type OrderEntry,
  type OrderSink,
  type OrderedEntry,
  type RoomOrder
} from '../../../src/actors/room-order.js';
import { createLogger } from '../../../src/app/logger.js';
import type { ConnectionEvent } from '../../../src/machines/connection-events.js';
import { createCleanups } from '../../support/cleanup.js';
import { manualTurns } from '../../support/manual-turns.js';

// The room over an order that is not this process's: entries come back
// late, in another order than appended, mixed with other nodes' entries,
// or not at all. What the room sends is built from what comes back only.

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/**
 * An order the test drives: it holds what the room appends until the test
 * delivers it (in any order), can refuse lines, and can fail to bring
 * leaves back, as a cluster's order does while Redis is out of reach.
 */
function fakeOrder() {
  let sink: OrderSink | null = null;
  const held: OrderEntry[] = [];
  const state = { down: false, accepting: true, count: 0 };
  const close = vi.fn(() => Promise.resolve());
  const stop = vi.fn();
  const order: RoomOrder = {
    node: 'n1',
    start: (s) => {
      sink = s;
    },
    append: (entry) => {
      if (state.down && entry.type === 'line') {
        sink?.tell([entry.conn], 'Error: not sent');
        return false;
      }
      held.push(entry);
      return !(state.down && entry.type === 'leave');
    },
    accepting: () => state.accepting,
    close,
    stop
  };
  const the = (): OrderSink => {
    if (sink === null) throw new Error('order not started');
    return sink;
  };
  /** Delivers held entries by index (appended order), the cluster's count on joins and leaves. */
  const deliver = (...indices: number[]) => {
    const taken = indices.map((i) => held[i] as OrderEntry);
    for (const entry of taken) {
      if (entry.type === 'join') state.count += 1;
      if (entry.type === 'leave') state.count -= 1;
      the().deliver(
        entry.type === 'join' || entry.type === 'leave'
          ? { ...entry, count: state.count }
          : entry
      );
    }
    for (const entry of taken) held.splice(held.indexOf(entry), 1);
  };
  const deliverAll = () => deliver(...held.keys());
  /** An entry another node appended. */
  const foreign = (entry: OrderEntry) => {
    if (entry.type === 'join') state.count += 1;
    if (entry.type === 'leave') state.count -= 1;
    const counted =
      entry.type === 'line' ? entry : { ...entry, count: state.count };
    the().deliver({ ...counted, elsewhere: true, node: 'n2' });
  };
  return {
    order,
    held,
    state,
    close,
    stop,
    deliver,
    deliverAll,
    foreign,
    sink: the,
    raw: (entry: OrderedEntry) => the().deliver(entry)
  };
}

function start() {
  const fake = fakeOrder();
  const turns = manualTurns();
  const console = new PassThrough();
  const logged: string[] = [];
  console
    .setEncoding('utf8')
    .on('data', (d: string) => logged.push(...d.trim().split('\n')));
  const room: Room = createRoom({
    name: 'lobby',
    logger: createLogger({ console, level: 'info' }),
    onFault: vi.fn(),
    scheduler: turns.scheduler,
    order: fake.order
  });
  cleanups.add(() => room.stop());
  /** Per member: each write its feed makes, and each event the room sent it. */
  const writes = new Map<string, string[]>();
  const events = new Map<string, string[]>();
  const join = (connId: string) => {
    const written: string[] = [];
    const received: string[] = [];
    writes.set(connId, written);
    events.set(connId, received);
    const feed = room.feed(connId).subscribe((item: Broadcast) => {
      const bytes = bytesOf(item, connId);
      if (bytes !== null) written.push(bytes.toString());
    });
    cleanups.add(() => feed.unsubscribe());
    const ref = createActor(
      fromCallback<ConnectionEvent>(({ receive }) => {
        receive((event) => {
          // What it had been written when the room confirmed, then the event.
          received.push(`${event.type} after ${written.length} writes`);
        });
      })
    ).start();
    cleanups.add(() => ref.stop());
    room.ref.send({ type: 'room.join', connId, remote: `${connId}:1`, ref });
    return ref;
  };
  const leave = (connId: string, ref: ReturnType<typeof join>) =>
    room.ref.send({
      type: 'room.leave',
      connId,
      remote: `${connId}:1`,
      reason: 'client quit',
      ref
    });
  return {
    fake,
    turns,
    room,
    logged,
    join,
    leave,
    writes: (connId: string) => (writes.get(connId) ?? []).join(''),
    events: (connId: string) => events.get(connId) ?? []
  };
}

describe('createRoom over an order', () => {
  it('sends nothing until the order gives it back, and greets a member where its own join comes back', () => {
    const t = start();
    t.join('a');
    // A member's line is taken at once; it is in the order after its join.
    expect(t.room.say('a', 'early')).toBe(true);
    t.turns.endTurn();
    expect(t.writes('a')).toBe('');
    expect(t.room.messageCount()).toBe(0);
    expect(t.fake.held.map((e) => e.type)).toEqual(['join', 'line']);

    // What another node ordered before the join never reaches it.
    t.fake.foreign({ type: 'line', conn: 'c9', remote: 'x:9', text: 'before' });
    t.fake.deliver(0);
    t.turns.endTurn();
    expect(t.writes('a')).toBe(
      'Connected to the chat server (1 user online)\n'
    );
    expect(t.room.messageCount()).toBe(1);

    t.fake.deliverAll();
    t.turns.endTurn();
    expect(t.writes('a')).toBe(
      'Connected to the chat server (1 user online)\n[You] early\n'
    );
    expect(t.room.messageCount()).toBe(2);
    // The room's log follows what comes back, in its order.
    expect(t.logged).toEqual(['New user a:1 entered (1 user online)']);
  });

  it('puts lines in the order they come back, not the order they were said, with the order’s counts', () => {
    const t = start();
    t.join('a');
    t.join('b');
    t.fake.foreign({ type: 'join', conn: 'c1', remote: 'far:1', count: 0 });
    t.fake.deliver(1, 0);
    t.turns.endTurn();
    t.room.say('a', 'first said');
    t.room.say('b', 'second said');
    t.fake.foreign({ type: 'line', conn: 'c1', remote: 'far:1', text: 'far' });
    t.fake.deliver(1, 0);
    t.turns.endTurn();
    expect(t.writes('a')).toBe(
      'Connected to the chat server (3 users online)\n' +
        '[far:1] far\n' +
        '[b:1] second said\n' +
        '[You] first said\n'
    );
    expect(t.writes('b')).toBe(
      'Connected to the chat server (2 users online)\n' +
        'New user a:1 entered (3 users online)\n' +
        '[far:1] far\n' +
        '[You] second said\n' +
        '[a:1] first said\n'
    );
  });

  it('confirms a leave only once it is back, after a farewell holding everything ordered before it [CHAT-LEAVE-1]', () => {
    const t = start();
    const a = t.join('a');
    t.join('b');
    t.fake.deliverAll();
    t.turns.endTurn();
    t.leave('a', a);
    expect(t.room.memberCount()).toBe(1);
    expect(t.room.say('a', 'gone')).toBe(false);
    expect(t.events('a')).toEqual(['room.joined after 0 writes']);

    // Ordered before its leave by another node: a still gets it.
    t.fake.foreign({ type: 'line', conn: 'c1', remote: 'far:1', text: 'wait' });
    t.fake.deliverAll();
    expect(t.writes('a')).toBe(
      'Connected to the chat server (1 user online)\n' +
        'New user b:1 entered (2 users online)\n' +
        '[far:1] wait\n'
    );
    expect(t.events('a')).toEqual([
      'room.joined after 0 writes',
      'room.left after 2 writes'
    ]);
    t.turns.endTurn();
    expect(t.writes('b')).toContain(
      '[far:1] wait\nThe user a:1 left (1 user online)\n'
    );
  });

  it('gives a leaver its own lines that come back after it left as its own, in its farewell', () => {
    const t = start();
    const a = t.join('a');
    t.join('b');
    t.fake.deliverAll();
    t.turns.endTurn();
    expect(t.room.say('a', 'last words')).toBe(true);
    t.leave('a', a);
    expect(t.room.say('a', 'too late')).toBe(false);
    t.fake.deliverAll();
    expect(t.writes('a')).toMatch(/\n\[You\] last words\n$/);
    expect(t.events('a').at(-1)).toBe('room.left after 2 writes');
    t.turns.endTurn();
    expect(t.writes('b')).toMatch(
      /\n\[a:1\] last words\nThe user a:1 left \(1 user online\)\n$/
    );
    expect(t.room.messageCount()).toBe(1);
  });

  it('refuses a line the order cannot take, and the order tells its author why', () => {
    const t = start();
    t.join('a');
    t.join('b');
    t.fake.deliverAll();
    t.turns.endTurn();
    t.fake.state.down = true;
    expect(t.room.say('a', 'lost')).toBe(false);
    expect(t.room.messageCount()).toBe(0);
    t.turns.endTurn();
    expect(t.writes('a')).toMatch(/Error: not sent\n$/);
    expect(t.writes('b')).not.toMatch(/not sent|lost/);
  });

  it('lets leavers go at once when the order cannot bring their leaves back, and announces a late one as anyone’s', () => {
    const t = start();
    const a = t.join('a');
    const b = t.join('b');
    t.join('c');
    t.fake.deliverAll();
    t.turns.endTurn();
    t.leave('a', a);
    expect(t.events('a')).toHaveLength(1);
    // The order fails: what is waiting will not come back soon.
    t.fake.sink().releaseLeaves();
    expect(t.events('a')).toEqual([
      'room.joined after 0 writes',
      'room.left after 1 writes'
    ]);
    // While it is down, a leave is not waited for at all.
    t.fake.state.down = true;
    t.leave('b', b);
    expect(t.events('b').at(-1)).toBe('room.left after 1 writes');
    // Back up: the first leave did reach the order after all.
    t.fake.deliver(0);
    t.turns.endTurn();
    expect(t.writes('c')).toMatch(/The user a:1 left \(2 users online\)\n$/);
    expect(t.writes('a')).not.toMatch(/left/);
  });

  it('shows nothing when its own member is removed from the order while still here, and keeps relaying it', () => {
    const t = start();
    t.join('a');
    t.join('b');
    t.fake.deliverAll();
    t.turns.endTurn();
    t.fake.raw({
      type: 'leave',
      conn: 'a',
      remote: 'a:1',
      count: 1,
      reason: 'node timeout'
    });
    t.turns.endTurn();
    expect(t.writes('b')).not.toMatch(/left/);
    expect(t.room.say('a', 'still here')).toBe(true);
  });

  it('says where the order lost entries', () => {
    const t = start();
    t.join('a');
    t.fake.deliverAll();
    t.fake.raw({ type: 'lost', entries: 3 });
    t.turns.endTurn();
    expect(t.writes('a')).toMatch(/Error: 3 chat events were lost here\n$/);
  });

  it('lets a member leaving during shutdown go at once, silently, with the closing notice', () => {
    const t = start();
    const a = t.join('a');
    t.join('b');
    t.fake.deliverAll();
    t.turns.endTurn();
    t.room.ref.send({ type: 'room.shutdown' });
    t.leave('a', a);
    expect(t.writes('a')).toMatch(/\nServer shutting down\n$/);
    expect(t.events('a').at(-1)).toBe('room.left after 2 writes');
    t.fake.deliverAll();
    t.turns.endTurn();
    expect(t.writes('b')).toMatch(/\nServer shutting down\n$/);
  });

  it('refuses connections while the order does, and closes the order before it stops', async () => {
    const t = start();
    expect(t.room.accepting()).toBe(true);
    t.fake.state.accepting = false;
    expect(t.room.accepting()).toBe(false);
    await t.room.close();
    expect(t.fake.close).toHaveBeenCalledOnce();
    expect(t.fake.stop).toHaveBeenCalledOnce();
    expect(t.room.isRunning()).toBe(false);
    await t.room.close();
    expect(t.fake.close).toHaveBeenCalledOnce();
  });
});

describe('localOrder', () => {
  it('gives every entry back at once, as appended', () => {
    const order = localOrder();
    const got: OrderedEntry[] = [];
    order.start({
      deliver: (e) => got.push(e),
      tell: () => undefined,
      releaseLeaves: () => undefined
    });
    const line: OrderEntry = {
      type: 'line',
      conn: 'a',
      remote: 'a:1',
      text: 'x'
    };
    expect(order.append(line)).toBe(true);
    expect(got).toEqual([line]);
    expect(order.accepting()).toBe(true);
  });
});
