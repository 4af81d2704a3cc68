import type { CommandEvent } from '../../machines/connection-events.js';
import {
  COMMAND_ERRORS,
  formatPrivateOut,
  formatRooms,
  formatWho,
  speakerName
} from '../../protocol/command-format.js';
import { HELP_LINES, type CommandInput } from '../../protocol/command.js';
import {
  LOBBY_ROOM,
  ROOMS_PAGE_SIZE,
  WHO_NAMES_PER_LINE
} from '../../protocol/constants.js';
import type { Caller, Commands } from './commands.js';
import type { Settled } from './directory.js';

/**
 * Runs one command of a member, in the order it sent its lines: those that
 * change no state of the connection are answered here, through the room
 * (after everything it was sent so far); `/join`, `/part` and `/quit` go to
 * its machine as `cmd.*` events (`toMachine`), once checked. Nothing here
 * disconnects: a refusal is one `Error:` line. A promise back means the
 * answer waits for the directory (a cluster's Redis); the connection's
 * later lines wait behind it (`CommandLanes`). [CHAT-CMD-1] [CHAT-CMD-ERR]
 */
export function runCommand(
  commands: Commands,
  caller: Caller,
  command: CommandInput,
  toMachine: (event: CommandEvent) => void
): void | Promise<void> {
  const { rooms, names, directory } = commands;
  const { connId, room } = caller;
  const me = (): string => speakerName(caller.remote, names.nameOf(connId));
  /** `next` with the directory's answer; Redis out of reach is one error line. */
  const then = <T>(
    answer: Settled<T>,
    next: (value: T) => void
  ): void | Promise<void> =>
    answer instanceof Promise
      ? answer.then(next, () =>
          commands.refuse(caller, 'unavailable', COMMAND_ERRORS.unavailable)
        )
      : next(answer);
  switch (command.type) {
    case 'cmd.nick':
      return then(directory.claim(connId, command.name), (answer) => {
        if (answer === 'taken')
          commands.refuse(
            caller,
            'nickname taken',
            COMMAND_ERRORS.nickTaken(command.name)
          );
        else if (answer === 'same')
          commands.refuse(
            caller,
            'same nickname',
            COMMAND_ERRORS.sameNick(command.name)
          );
        else room.rename(connId, command.name);
      });
    case 'cmd.join':
    case 'cmd.part': {
      if (!room.accepting()) {
        // A cluster's Redis is out of reach: no room can be entered.
        commands.refuse(caller, 'unavailable', COMMAND_ERRORS.unavailable);
        return;
      }
      const name = command.type === 'cmd.join' ? command.room : LOBBY_ROOM;
      const entered = rooms.enter(connId, name);
      if ('code' in entered)
        commands.refuse(caller, entered.code, entered.line);
      else toMachine({ type: 'cmd.join', room: entered.label });
      return;
    }
    case 'cmd.quit':
      toMachine(command);
      return;
    case 'cmd.msg':
      // In each one's own stream, after everything it was sent so far.
      return then(directory.send(me(), command.name, command.text), (to) => {
        if (to === null)
          commands.refuse(
            caller,
            'no such user',
            COMMAND_ERRORS.noSuchUser(command.name)
          );
        else room.tell(connId, [formatPrivateOut(to, command.text)]);
      });
    case 'cmd.me':
      room.act(connId, command.text);
      return;
    case 'cmd.who':
      return then(directory.who(room), (who) =>
        room.tell(connId, formatWho(room.label, who, WHO_NAMES_PER_LINE))
      );
    case 'cmd.rooms':
      return then(directory.rooms(), (list) => {
        const pages = Math.max(1, Math.ceil(list.length / ROOMS_PAGE_SIZE));
        if (command.page > pages)
          commands.refuse(
            caller,
            'no such page',
            COMMAND_ERRORS.noSuchPage(pages)
          );
        else
          room.tell(connId, formatRooms(list, command.page, ROOMS_PAGE_SIZE));
      });
    case 'cmd.help':
      room.tell(connId, HELP_LINES);
      return;
  }
}
