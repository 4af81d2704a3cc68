import type { RoomRef } from '../machines/types.js';
import { COMMAND_ERRORS } from '../protocol/command-format.js';
import { nameKey } from '../protocol/command.js';
import {
  DEFAULT_MAX_ROOMS,
  DEFAULT_ROOM_CREATES_PER_MINUTE
} from '../protocol/constants.js';
import type { Room } from './room-actor.js';

/** The limits on rooms; each is a `chat-server` option. [CHAT-LIMIT-2] */
export interface RoomLimits {
  /** Rooms in all, `#lobby` included. */
  maxRooms: number;
  /** Rooms one connection may create per minute; 0 = no limit. */
  roomCreatesPerMinute: number;
}

/** The defaults of the room limits. */
export const DEFAULT_ROOM_LIMITS: Readonly<RoomLimits> = Object.freeze({
  maxRooms: DEFAULT_MAX_ROOMS,
  roomCreatesPerMinute: DEFAULT_ROOM_CREATES_PER_MINUTE
});

/** What the room registry needs. */
export interface RoomRegistryOptions {
  /** The room everyone starts in; it never closes before the daemon. */
  lobby: Room;
  /**
   * Starts a room: the same room type as the lobby, with its own order.
   * `after` is the closing of the room of that name that went before, when
   * it is still leaving its order (a cluster's): the new one joins the
   * order after it.
   */
  create: (name: string, after?: Promise<void>) => Room;
  limits?: Partial<RoomLimits>;
  /** Milliseconds now; tests pass their own. */
  now?: () => number;
}

/** Why a connection may not enter a room: the `Error:` line, and its code. */
export interface EnterRefusal {
  readonly code: 'already there' | 'too many rooms' | 'too many creates';
  readonly line: string;
}

/** The rooms of one daemon, by name. [CHAT-ROOM-1] */
export interface RoomRegistry {
  readonly lobby: Room;
  /**
   * Seats `connId` in the room named `name` (`#dev`), creating it if new
   * within the limits; its old seat is given up. The connection then leaves
   * its room and joins this one (the connection machine's `moving`).
   */
  enter(connId: string, name: string): Room | EnterRefusal;
  /** The room `connId` is seated in (the lobby until it moves). */
  seatOf(connId: string): Room;
  /** The room behind `ref`, if it still runs. */
  byRef(ref: RoomRef): Room | undefined;
  /** `connId` is done: its seat is given up. */
  release(connId: string): void;
  /** Every room with its count, by name. */
  list(): Array<{ name: string; count: number }>;
  /** Every running room. */
  all(): Room[];
  /** The connections seated in the room named `name` (`dev`). */
  occupants(name: string): string[];
}

/**
 * One room per channel, each the same `createRoom` with its own order
 * (`localOrder`), created on the first seat and closed when its last seat
 * is given up (`#lobby` stays). Seats, not members, decide: a seat is taken
 * before the connection leaves its old room, so a room cannot close under a
 * connection on its way in.
 */
export function createRoomRegistry(options: RoomRegistryOptions): RoomRegistry {
  const { lobby, create } = options;
  const limits = { ...DEFAULT_ROOM_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const lobbyKey = nameKey(lobby.name);
  const rooms = new Map<string, { room: Room; seats: Set<string> }>([
    [lobbyKey, { room: lobby, seats: new Set() }]
  ]);
  const byRef = new Map<RoomRef, Room>([[lobby.ref, lobby]]);
  const seats = new Map<string, string>();
  /** Rooms still leaving their order, by name: a new one waits for it. */
  const closing = new Map<string, Promise<void>>();
  /** When each connection created its rooms, within the last minute. */
  const creates = new Map<string, number[]>();

  const retire = (key: string): void => {
    // After the call stack that gave the seat up: the leave it started (and
    // its farewell) runs to its end first.
    queueMicrotask(() => {
      const entry = rooms.get(key);
      if (key === lobbyKey || entry === undefined || entry.seats.size > 0)
        return;
      rooms.delete(key);
      // Found by its ref until it is closed: a leaver's feed is still in
      // it until its farewell (a cluster's comes back from Redis).
      const closed = entry.room.close().finally(() => {
        byRef.delete(entry.room.ref);
        if (closing.get(key) === closed) closing.delete(key);
      });
      closing.set(key, closed);
    });
  };
  const unseat = (connId: string): void => {
    const key = seats.get(connId);
    seats.delete(connId);
    if (key === undefined) return;
    const entry = rooms.get(key);
    entry?.seats.delete(connId);
    if (entry?.seats.size === 0) retire(key);
  };
  const mayCreate = (connId: string): EnterRefusal | null => {
    if (rooms.size >= limits.maxRooms)
      return {
        code: 'too many rooms',
        line: COMMAND_ERRORS.tooManyRooms(limits.maxRooms)
      };
    if (limits.roomCreatesPerMinute <= 0) return null;
    const since = now() - 60_000;
    const recent = (creates.get(connId) ?? []).filter((t) => t > since);
    creates.set(connId, recent);
    if (recent.length >= limits.roomCreatesPerMinute)
      return {
        code: 'too many creates',
        line: COMMAND_ERRORS.tooManyCreates(limits.roomCreatesPerMinute)
      };
    return null;
  };

  return {
    lobby,
    enter: (connId, name) => {
      const key = nameKey(name.slice(1));
      if ((seats.get(connId) ?? lobbyKey) === key)
        return {
          code: 'already there',
          line: COMMAND_ERRORS.alreadyIn(
            rooms.get(key)?.room.label ?? lobby.label
          )
        };
      let entry = rooms.get(key);
      if (entry === undefined) {
        const refusal = mayCreate(connId);
        if (refusal !== null) return refusal;
        creates.get(connId)?.push(now());
        entry = {
          room: create(name.slice(1), closing.get(key)),
          seats: new Set()
        };
        rooms.set(key, entry);
        byRef.set(entry.room.ref, entry.room);
      }
      unseat(connId);
      entry.seats.add(connId);
      seats.set(connId, key);
      return entry.room;
    },
    seatOf: (connId) => rooms.get(seats.get(connId) ?? lobbyKey)?.room ?? lobby,
    byRef: (ref) => byRef.get(ref),
    release: (connId) => {
      unseat(connId);
      creates.delete(connId);
    },
    list: () =>
      [...rooms.values()]
        .map(({ room }) => ({ name: room.label, count: room.memberCount() }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    all: () => [...rooms.values()].map(({ room }) => room),
    occupants: (name) => [...(rooms.get(nameKey(name))?.seats ?? [])]
  };
}
