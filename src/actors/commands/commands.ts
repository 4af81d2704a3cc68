import type { Logger } from '../../app/logger.js';
import type { NameRegistry } from '../name-registry.js';
import type { Room } from '../room-actor.js';
import type { RoomRegistry } from '../room-registry.js';
import type { Directory } from './directory.js';
import { CommandLanes } from './lanes.js';

/** Why a command was refused: the reasons `stats().commandRefusals` counts. */
export type CommandRefusal =
  | 'invalid command'
  | 'unavailable'
  | 'nickname taken'
  | 'same nickname'
  | 'no such user'
  | 'no such page'
  | 'already there'
  | 'too many rooms'
  | 'too many creates';

/** Every command refusal reason, for the counters. */
export const COMMAND_REFUSALS: readonly CommandRefusal[] = [
  'invalid command',
  'unavailable',
  'nickname taken',
  'same nickname',
  'no such user',
  'no such page',
  'already there',
  'too many rooms',
  'too many creates'
];

/**
 * What the commands of one daemon share: its rooms, its names, the
 * directory that answers beyond them (a cluster's Redis), the lanes that
 * keep each connection's lines in order while a command waits, and the
 * refusal counters. One per daemon, made by `createCommands`.
 */
export interface Commands {
  readonly rooms: RoomRegistry;
  /** The names of this process's connections. */
  readonly names: NameRegistry;
  readonly directory: Directory;
  readonly lanes: CommandLanes;
  /**
   * Answers `connId` with one `Error:` line through its room, after what
   * it was sent so far; counts and logs the refusal.
   */
  refuse(caller: Caller, reason: CommandRefusal, line: string): void;
  /** Refusals so far, by reason (a copy). */
  refusals(): Record<CommandRefusal, number>;
  /** `connId` is done: its seat and its name are free, its waiting lines dropped. */
  forget(connId: string): void;
}

/** Who sent a command. */
export interface Caller {
  readonly connId: string;
  readonly remote: string;
  /** The room it is in: every answer goes out through it. */
  readonly room: Room;
}

/** Makes the commands context of one daemon. */
export function createCommands(options: {
  rooms: RoomRegistry;
  names: NameRegistry;
  directory: Directory;
  logger: Logger;
}): Commands {
  const { rooms, names, directory } = options;
  const lanes = new CommandLanes();
  const logger = options.logger.child({ component: 'commands' });
  const counts = Object.fromEntries(
    COMMAND_REFUSALS.map((reason) => [reason, 0])
  ) as Record<CommandRefusal, number>;
  return {
    rooms,
    names,
    directory,
    lanes,
    refuse: (caller, reason, line) => {
      counts[reason] += 1;
      logger.info('command refused', {
        connId: caller.connId,
        remote: caller.remote,
        room: caller.room.label,
        reason
      });
      caller.room.tell(caller.connId, [line]);
    },
    refusals: () => ({ ...counts }),
    forget: (connId) => {
      rooms.release(connId);
      directory.release(connId);
      lanes.forget(connId);
    }
  };
}
