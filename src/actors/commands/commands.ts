import type { Logger } from '../../app/logger.js';
import type { NameRegistry } from '../name-registry.js';
import type { Room } from '../room-actor.js';
import type { RoomRegistry } from '../room-registry.js';

/** Why a command was refused: the reasons `stats().commandRefusals` counts. */
export type CommandRefusal =
  | 'invalid command'
  | 'cluster'
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
  'cluster',
  'nickname taken',
  'same nickname',
  'no such user',
  'no such page',
  'already there',
  'too many rooms',
  'too many creates'
];

/**
 * What the commands of one daemon share: its rooms, its names, whether
 * commands run at all (not yet on a cluster daemon), and the refusal
 * counters. One per daemon, made by `createCommands`.
 */
export interface Commands {
  /** False on a cluster daemon: every command is answered with one error line. */
  readonly enabled: boolean;
  readonly rooms: RoomRegistry;
  readonly names: NameRegistry;
  /**
   * Answers `connId` with one `Error:` line through its room, after what
   * it was sent so far; counts and logs the refusal.
   */
  refuse(caller: Caller, reason: CommandRefusal, line: string): void;
  /** Refusals so far, by reason (a copy). */
  refusals(): Record<CommandRefusal, number>;
  /** `connId` is done: its seat and its name are free. */
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
  enabled: boolean;
  rooms: RoomRegistry;
  names: NameRegistry;
  logger: Logger;
}): Commands {
  const { rooms, names } = options;
  const logger = options.logger.child({ component: 'commands' });
  const counts = Object.fromEntries(
    COMMAND_REFUSALS.map((reason) => [reason, 0])
  ) as Record<CommandRefusal, number>;
  return {
    enabled: options.enabled,
    rooms,
    names,
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
      names.release(connId);
    }
  };
}
