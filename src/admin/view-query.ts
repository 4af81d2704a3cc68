import { isRoomName } from '../protocol/command.js';
import { MAX_ROOM_NAME_LENGTH } from '../protocol/constants.js';
import type { RowQuery } from './monitor.js';

/**
 * What one `/events` stream shows: a page of the table, a page of room
 * members, a page of rooms, and maybe one connection.
 */
export interface ViewQuery extends RowQuery {
  /** A connection whose row and timeline ride along. */
  watch: string | null;
  /** Milliseconds between updates: at most 10 a second. */
  intervalMs: number;
  /** Room members to skip in the members list. */
  memberOffset: number;
  /** Room members listed per page. */
  memberLimit: number;
  /** Rooms to skip in the rooms list. */
  roomOffset: number;
  /** Rooms listed per page. */
  roomLimit: number;
}

/** Bounds of the query parameters (docs/inspector.md). */
export const VIEW_BOUNDS = {
  /** Where a page starts: the table's (`offset`), the members' (`memberOffset`) and the rooms' (`roomOffset`). */
  offset: { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 },
  limit: { min: 1, max: 500, default: 50 },
  memberLimit: { min: 1, max: 500, default: 20 },
  roomLimit: { min: 1, max: 500, default: 20 },
  intervalMs: { min: 100, max: 10_000, default: 200 },
  /** Transitions (and renames, and moves) carried in one update; the rest are counted in `dropped`. */
  transitionsPerUpdate: 1000
} as const;

function intParam(
  params: URLSearchParams,
  name: string,
  bounds: { min: number; max: number; default: number }
): number | string {
  const raw = params.get(name);
  if (raw === null || raw === '') return bounds.default;
  if (!/^\d+$/.test(raw))
    return `invalid ${name} "${raw}" (expected a whole number)`;
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max)
    return `invalid ${name} ${raw} (expected ${bounds.min} to ${bounds.max})`;
  return value;
}

/**
 * Reads `offset`, `limit`, `state`, `order`, `room`, `watch`, `interval`,
 * `memberOffset`, `memberLimit`, `roomOffset` and `roomLimit` from a query
 * string; returns a one-line error for a bad one.
 *
 * @example parseViewQuery(new URLSearchParams('state=online&room=%23dev'), states)
 */
export function parseViewQuery(
  params: URLSearchParams,
  states: readonly string[]
): ViewQuery | string {
  const ints: Array<[string, { min: number; max: number; default: number }]> = [
    ['offset', VIEW_BOUNDS.offset],
    ['limit', VIEW_BOUNDS.limit],
    ['interval', VIEW_BOUNDS.intervalMs],
    ['memberOffset', VIEW_BOUNDS.offset],
    ['memberLimit', VIEW_BOUNDS.memberLimit],
    ['roomOffset', VIEW_BOUNDS.offset],
    ['roomLimit', VIEW_BOUNDS.roomLimit]
  ];
  const read: number[] = [];
  for (const [name, bounds] of ints) {
    const value = intParam(params, name, bounds);
    if (typeof value === 'string') return value;
    read.push(value);
  }
  const [
    offset,
    limit,
    intervalMs,
    memberOffset,
    memberLimit,
    roomOffset,
    roomLimit
  ] = read as [number, number, number, number, number, number, number];
  const state = params.get('state') ?? 'all';
  if (state !== 'all' && state !== 'live' && !states.includes(state)) {
    return `invalid state "${state}" (expected all, live, ${states.join(', ')})`;
  }
  const order = params.get('order') ?? 'newest';
  if (order !== 'newest' && order !== 'oldest')
    return `invalid order "${order}" (expected newest or oldest)`;
  const room = params.get('room') ?? '';
  if (room !== '' && !isRoomName(room))
    return `invalid room "${room}" (expected # and 1-${MAX_ROOM_NAME_LENGTH} letters, digits, _ or -)`;
  const watch = params.get('watch');
  return {
    offset,
    limit,
    state,
    order,
    room: room === '' ? null : room,
    watch: watch === null || watch === '' ? null : watch,
    intervalMs,
    memberOffset,
    memberLimit,
    roomOffset,
    roomLimit
  };
}
