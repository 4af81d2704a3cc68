import type { CommandEvent } from '../../machines/connection-events.js';
import {
  COMMAND_ERRORS,
  formatPrivateIn,
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

/**
 * Runs one command of a member, in the order it sent its lines: those that
 * change no state of the connection are answered here, through the room
 * (after everything it was sent so far); `/join`, `/part` and `/quit` go to
 * its machine as `cmd.*` events (`toMachine`), once checked. Nothing here
 * disconnects: a refusal is one `Error:` line. [CHAT-CMD-1] [CHAT-CMD-ERR]
 */
export function runCommand(
  commands: Commands,
  caller: Caller,
  command: CommandInput,
  toMachine: (event: CommandEvent) => void
): void {
  if (!commands.enabled) {
    commands.refuse(caller, 'cluster', COMMAND_ERRORS.cluster); // [CHAT-CMD-CLUSTER]
    return;
  }
  const { rooms, names } = commands;
  const { connId, room } = caller;
  const me = (): string => speakerName(caller.remote, names.nameOf(connId));
  switch (command.type) {
    case 'cmd.nick': {
      const answer = names.claim(connId, command.name);
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
      return;
    }
    case 'cmd.join':
    case 'cmd.part': {
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
    case 'cmd.msg': {
      const target = names.holder(command.name);
      if (target === undefined) {
        commands.refuse(
          caller,
          'no such user',
          COMMAND_ERRORS.noSuchUser(command.name)
        );
        return;
      }
      // In each one's own stream, after everything it was sent so far.
      rooms
        .seatOf(target.connId)
        .tell(target.connId, [formatPrivateIn(me(), command.text)]);
      room.tell(connId, [formatPrivateOut(target.name, command.text)]);
      return;
    }
    case 'cmd.me':
      room.act(connId, command.text);
      return;
    case 'cmd.who':
      room.tell(connId, formatWho(room.label, room.who(), WHO_NAMES_PER_LINE));
      return;
    case 'cmd.rooms': {
      const list = rooms.list();
      const pages = Math.max(1, Math.ceil(list.length / ROOMS_PAGE_SIZE));
      if (command.page > pages)
        commands.refuse(
          caller,
          'no such page',
          COMMAND_ERRORS.noSuchPage(pages)
        );
      else room.tell(connId, formatRooms(list, command.page, ROOMS_PAGE_SIZE));
      return;
    }
    case 'cmd.help':
      room.tell(connId, HELP_LINES);
      return;
  }
}
