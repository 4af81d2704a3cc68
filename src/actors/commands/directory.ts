import type { ConnectionActor } from '../../machines/connection-machine.js';
import { formatPrivateIn } from '../../protocol/command-format.js';
import type { NameRegistry } from '../name-registry.js';
import type { Room } from '../room-actor.js';
import type { RoomRegistry } from '../room-registry.js';

/** An answer now (one process), or once Redis gives it (a cluster). */
export type Settled<T> = T | Promise<T>;

/** A room and its members, everywhere it is held. */
export interface RoomCount {
  name: string;
  count: number;
}

/**
 * What the commands ask of names, rooms and private lines beyond the
 * caller's own room. One process answers at once (`localDirectory`); a
 * cluster asks Redis (src/cluster/cluster-directory.ts), so its answers are
 * promises, and a rejected one means Redis could not be asked.
 */
export interface Directory {
  /**
   * `connId` asks for `name`: `claimed` (its old name is free now), `same`
   * (it holds it in that spelling) or `taken`. [CHAT-NICK-1]
   */
  claim(connId: string, name: string): Settled<'claimed' | 'same' | 'taken'>;
  /** `connId` is done: its name is free. */
  release(connId: string): void;
  /**
   * Sends `text` from `from` to whoever holds `name`, in the target's own
   * order; the target's name as it spells it, or null when nobody holds
   * it. [CHAT-CMD-MSG]
   */
  send(from: string, name: string, text: string): Settled<string | null>;
  /** Every room with its count, by name. [CHAT-CMD-ROOMS] */
  rooms(): Settled<RoomCount[]>;
  /** The members of `room`, named as `/who` shows them. [CHAT-CMD-WHO] */
  who(room: Room): Settled<string[]>;
  /** Lets go of what it holds (a cluster's link to Redis). */
  stop(): void;
}

/**
 * The room a connection's feed is in right now, where a line for it alone
 * must go; undefined when it is gone. During a move that is still the room
 * it is leaving, until its farewell there (its seat is in the next room
 * already, and a line told there would reach it before it listens).
 */
export type RoomNow = (connId: string) => Room | undefined;

/** `RoomNow` read from each connection actor's machine (`context.room`). */
export function roomNowOf(
  actors: ReadonlyMap<string, ConnectionActor>,
  rooms: RoomRegistry
): RoomNow {
  return (connId) => {
    const ref = actors.get(connId)?.getSnapshot().context.room;
    return ref === undefined ? undefined : rooms.byRef(ref);
  };
}

/** The directory of one process: its own rooms and names, at once. */
export function localDirectory(
  rooms: RoomRegistry,
  names: NameRegistry,
  roomNow: RoomNow
): Directory {
  return {
    claim: (connId, name) => names.claim(connId, name),
    release: (connId) => names.release(connId),
    send: (from, name, text) => {
      const target = names.holder(name);
      if (target === undefined) return null;
      roomNow(target.connId)?.tell(target.connId, [
        formatPrivateIn(from, text)
      ]);
      return target.name;
    },
    rooms: () => rooms.list(),
    who: (room) => room.who(),
    stop: () => undefined
  };
}
