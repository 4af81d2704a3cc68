import { describe, expect, it } from 'vitest';
import {
  expectedDeliveries,
  onlineCount,
  orderDifferences,
  parseNowIn,
  planRooms,
  roomCountFailures,
  roomName,
  sentPerRoom
} from '../../../bench/room-plan.js';

describe('planRooms', () => {
  it('puts client i in room i / size, the last room smaller', () => {
    const plan = planRooms(25, 10);

    expect(plan.rooms).toBe(3);
    expect([...plan.sizes]).toEqual([10, 10, 5]);
    expect([
      plan.roomOf[0],
      plan.roomOf[9],
      plan.roomOf[10],
      plan.roomOf[24]
    ]).toEqual([0, 0, 1, 2]);
    expect(plan.names).toEqual(['#bench-0', '#bench-1', '#bench-2']);
  });

  it('makes 1,000 clients 100 rooms of 10', () => {
    const plan = planRooms(1000, 10);

    expect(plan.rooms).toBe(100);
    expect(plan.sizes.every((n) => n === 10)).toBe(true);
  });

  it('keeps everyone in #lobby without a room size', () => {
    const plan = planRooms(4, null);

    expect(plan.rooms).toBe(1);
    expect([...plan.roomOf]).toEqual([0, 0, 0, 0]);
    expect([...plan.sizes]).toEqual([4]);
    expect(plan.names).toEqual([null]);
  });

  it('rejects no clients and rooms of no one', () => {
    expect(() => planRooms(0, 10)).toThrow(/clients must be ≥ 1, got 0/);
    expect(() => planRooms(10, 0)).toThrow(/roomSize must be ≥ 1, got 0/);
    expect(() => planRooms(10, 2.5)).toThrow(/roomSize/);
  });

  it('names rooms the daemon accepts (# and letters, digits, - or _)', () => {
    expect(roomName(99)).toMatch(/^#[A-Za-z0-9_-]{1,32}$/);
  });
});

describe('the room replies', () => {
  it('reads Now in with its room and count', () => {
    expect(parseNowIn('Now in #bench-7 (1 user online)')).toEqual({
      room: '#bench-7',
      count: 1
    });
    expect(parseNowIn('Now in #bench-7 (10 users online)')?.count).toBe(10);
  });

  it('reads nothing else as Now in', () => {
    expect(parseNowIn('[You] Now in #a (1 user online)')).toBeNull();
    expect(parseNowIn('Now in #a (1 user online) ')).toBeNull();
    expect(parseNowIn('Now in lobby (1 user online)')).toBeNull();
  });

  it('reads the count at the end of a notice', () => {
    expect(onlineCount('New user 127.0.0.1:5 entered (3 users online)')).toBe(
      3
    );
    expect(onlineCount('The user 127.0.0.1:5 left (1 user online)')).toBe(1);
    expect(onlineCount('Connected to the chat server')).toBeNull();
  });
});

describe('roomCountFailures', () => {
  const plan = planRooms(6, 3);

  it('passes concurrent joins that each counted a different membership', () => {
    expect(
      roomCountFailures(plan, [2, 1, 3, 3, 2, 1], [3, 3, 3, 3, 3, 3])
    ).toEqual([]);
  });

  it('fails a room whose Now in counts repeat', () => {
    expect(
      roomCountFailures(plan, [1, 1, 3, 1, 2, 3], [3, 3, 3, 3, 3, 3])
    ).toEqual([
      {
        kind: 'now-in count',
        example:
          'the Now in counts of #bench-0 are not 1..3 once each (1, 1, 3)'
      }
    ]);
  });

  it('fails a member that did not end at the full count', () => {
    expect(
      roomCountFailures(plan, [1, 2, 3, 1, 2, 3], [3, 3, 3, 3, 2, 3])
    ).toEqual([
      {
        kind: 'final count',
        example: 'client 4 in #bench-1 last saw 2 users online, not 3'
      }
    ]);
  });
});

describe('what each room owes', () => {
  const plan = planRooms(5, 2);

  it('adds up the lines of each room', () => {
    expect(sentPerRoom(plan, [1, 2, 3, 4, 5])).toEqual([3, 7, 5]);
  });

  it('owes each room its lines times its members', () => {
    expect(expectedDeliveries(plan, [3, 7, 5])).toBe(3 * 2 + 7 * 2 + 5 * 1);
  });

  it('owes one room its lines times everyone', () => {
    expect(expectedDeliveries(planRooms(4, null), [10])).toBe(40);
  });
});

describe('orderDifferences', () => {
  const plan = planRooms(6, 3);

  it('finds none when each room agrees, whatever the other rooms saw', () => {
    expect(orderDifferences(plan, ['a', 'a', 'a', 'b', 'b', 'b'])).toEqual({
      clients: 0,
      rooms: 0
    });
  });

  it('counts the members that differ from their room and the rooms', () => {
    expect(orderDifferences(plan, ['a', 'x', 'a', 'b', 'b', 'b'])).toEqual({
      clients: 1,
      rooms: 1
    });
  });
});
