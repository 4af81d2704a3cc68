/**
 * The bounding of `chat_room_members` (src/admin/top-rooms.ts): the largest
 * rooms get a series each, every other room is summed in one.
 */
import { describe, expect, it } from 'vitest';
import {
  OTHER_ROOMS,
  ROOM_SERIES,
  topRooms
} from '../../../src/admin/top-rooms.js';

const room = (label: string, members: number) => ({ label, members });

describe('topRooms', () => {
  it('lists every room and an (other) of 0 while there are at most n', () => {
    expect(topRooms([room('#lobby', 3), room('#dev', 5)], 3)).toEqual([
      ['#dev', 5],
      ['#lobby', 3],
      [OTHER_ROOMS, 0]
    ]);
    expect(topRooms([], 3)).toEqual([[OTHER_ROOMS, 0]]);
  });

  it('keeps the n largest and sums the rest into (other), ties by name', () => {
    const rooms = [
      room('#c', 1),
      room('#a', 4),
      room('#b', 4),
      room('#d', 2),
      room('#e', 0)
    ];
    expect(topRooms(rooms, 2)).toEqual([
      ['#a', 4],
      ['#b', 4],
      [OTHER_ROOMS, 3]
    ]);
    // The order the rooms come in does not matter.
    expect(topRooms([...rooms].reverse(), 2)).toEqual(topRooms(rooms, 2));
  });

  it(`gives at most ${ROOM_SERIES} + 1 series for 10,000 rooms, members all counted`, () => {
    const rooms = Array.from({ length: 10_000 }, (_, i) =>
      room(`#r${i}`, i % 7)
    );
    const series = topRooms(rooms);
    expect(series).toHaveLength(ROOM_SERIES + 1);
    expect(series.at(-1)?.[0]).toBe(OTHER_ROOMS);
    expect(series.slice(0, -1).every(([, n]) => n === 6)).toBe(true);
    const total = rooms.reduce((sum, r) => sum + r.members, 0);
    expect(series.reduce((sum, [, n]) => sum + n, 0)).toBe(total);
  });
});
