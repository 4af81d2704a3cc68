import { DEFAULT_ROOM_LIMITS, type RoomLimits } from '../app/daemon.js';
import { integer } from './limit-args.js';

/** The highest `--max-rooms` and `--room-creates-per-minute`. */
const ROOMS_CAP = 1_000_000;

/** The room options, for `parseCommandLine`. */
export const ROOM_OPTIONS = {
  'max-rooms': { type: 'string' },
  'room-creates-per-minute': { type: 'string' }
} as const;

/** The room options in `chat-server --help`. */
export const ROOMS_USAGE = `Commands and rooms (protocol v2, docs/protocol.md):
  Lines that start with /WORD are commands: /nick NAME, /join #room, /part,
  /rooms [PAGE], /who, /msg NAME text, /me text, /quit [reason], /help;
  //text says /text. Everyone starts in #lobby; a client that sends no
  command sees protocol v1. A cluster daemon (--redis) answers every
  command with an error line for now.
  --max-rooms N               rooms in all, #lobby included (default ${DEFAULT_ROOM_LIMITS.maxRooms})
  --room-creates-per-minute N rooms one connection may create per minute;
                              0 = no limit (default ${DEFAULT_ROOM_LIMITS.roomCreatesPerMinute})`;

/**
 * The room limits the command line asks for, or `undefined` when it asks
 * for none (the daemon's defaults then); throws `UsageError`.
 */
export function parseRoomArgs(values: {
  'max-rooms'?: string | undefined;
  'room-creates-per-minute'?: string | undefined;
}): Partial<RoomLimits> | undefined {
  const maxRooms = values['max-rooms'];
  const creates = values['room-creates-per-minute'];
  if (maxRooms === undefined && creates === undefined) return undefined;
  return {
    ...(maxRooms !== undefined && {
      maxRooms: integer('max rooms', maxRooms, 1, ROOMS_CAP)
    }),
    ...(creates !== undefined && {
      roomCreatesPerMinute: integer(
        'room creates per minute',
        creates,
        0,
        ROOMS_CAP,
        { zero: 'no limit' }
      )
    })
  };
}
