import { MAX_NICK_LENGTH, MAX_ROOM_NAME_LENGTH } from './constants.js';

/**
 * One line from a client, as protocol v2 reads it: chat, or a command as a
 * typed event. The transport's relay hands the line here; no machine ever
 * reads the bytes. See docs/protocol.md, "Commands (v2)".
 */
export type ClientInput =
  | { type: 'chat.line'; text: string }
  | CommandInput
  /** A command that cannot run as written; `message` is its `Error:` line. */
  | { type: 'cmd.invalid'; message: string };

/** The commands of protocol v2. [CHAT-CMD-1] */
export type CommandInput =
  | { type: 'cmd.nick'; name: string }
  | { type: 'cmd.join'; room: string }
  | { type: 'cmd.part' }
  | { type: 'cmd.rooms'; page: number }
  | { type: 'cmd.who' }
  | { type: 'cmd.msg'; name: string; text: string }
  | { type: 'cmd.me'; text: string }
  | { type: 'cmd.quit'; reason?: string }
  | { type: 'cmd.help' };

/** A command line: `/`, a word of ASCII letters, then white space or the end. */
const COMMAND = /^\/[A-Za-z]+(\s|$)/;
const NICK = new RegExp(`^[A-Za-z][A-Za-z0-9_-]{0,${MAX_NICK_LENGTH - 1}}$`);
const ROOM = new RegExp(`^#[A-Za-z0-9_-]{1,${MAX_ROOM_NAME_LENGTH}}$`);

/** True for a valid nickname. [CHAT-NICK-1] */
export function isNickname(name: string): boolean {
  return NICK.test(name);
}

/** True for a valid room name, `#` included. [CHAT-ROOM-1] */
export function isRoomName(name: string): boolean {
  return ROOM.test(name);
}

/** The one spelling names are compared in: they are case-insensitive. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** What `/help` answers, one line per command. [CHAT-CMD-HELP] */
export const HELP_LINES: readonly string[] = [
  'Commands:',
  '/nick NAME - take a name (1-24 letters, digits, _ or -, starting with a letter)',
  '/join #room - move to a room, created if new (# and 1-32 letters, digits, _ or -)',
  '/part - go back to #lobby',
  '/rooms [PAGE] - list the rooms and their counts',
  '/who - list the members of your room',
  '/msg NAME text - say text to NAME alone',
  '/me text - act: the room sees * NAME text',
  '/quit [reason] - leave, with the reason in the notice',
  '/help - this list',
  '//text - say /text'
];

const invalid = (message: string): ClientInput => ({
  type: 'cmd.invalid',
  message: `Error: ${message}`
});
const usage = (form: string): ClientInput => invalid(`usage: ${form}`);

/**
 * Reads one sanitised, non-blank line. A line that starts with `/` and a
 * word of letters is a command [CHAT-CMD-1]; `//text` is the chat line
 * `/text` [CHAT-CMD-2]; anything else is chat, exactly as in v1.
 *
 * @example parseInput('/join #dev') // { type: 'cmd.join', room: '#dev' }
 */
export function parseInput(line: string): ClientInput {
  if (line.startsWith('//')) return { type: 'chat.line', text: line.slice(1) };
  // Only `/` and a word of letters is a command: `/1.1` or `/*` (a path, a
  // cut-off HTTP line) is chat, as in v1. [CHAT-CMD-1]
  if (!COMMAND.test(line)) return { type: 'chat.line', text: line };
  const space = line.search(/\s/);
  const verb = (space === -1 ? line : line.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : line.slice(space).trim();
  const args = rest === '' ? [] : rest.split(/\s+/);
  switch (verb) {
    case '/nick': {
      const [name] = args;
      if (name === undefined || args.length > 1) return usage('/nick NAME');
      if (!isNickname(name))
        return invalid(
          `invalid nickname ${name}; use 1-${MAX_NICK_LENGTH} letters, digits, _ or -, starting with a letter`
        );
      return { type: 'cmd.nick', name };
    }
    case '/join': {
      const [room] = args;
      if (room === undefined || args.length > 1) return usage('/join #room');
      if (!isRoomName(room))
        return invalid(
          `invalid room name ${room}; use # and 1-${MAX_ROOM_NAME_LENGTH} letters, digits, _ or -`
        );
      return { type: 'cmd.join', room };
    }
    case '/part':
      return args.length > 0 ? usage('/part') : { type: 'cmd.part' };
    case '/rooms': {
      const [page] = args;
      if (page === undefined) return { type: 'cmd.rooms', page: 1 };
      if (args.length > 1 || !/^[1-9][0-9]{0,5}$/.test(page))
        return usage('/rooms [PAGE]');
      return { type: 'cmd.rooms', page: Number(page) };
    }
    case '/who':
      return args.length > 0 ? usage('/who') : { type: 'cmd.who' };
    case '/msg': {
      const [name] = args;
      const text = name === undefined ? '' : rest.slice(name.length).trim();
      if (name === undefined || text === '') return usage('/msg NAME text');
      return { type: 'cmd.msg', name, text };
    }
    case '/me':
      return rest === '' ? usage('/me text') : { type: 'cmd.me', text: rest };
    case '/quit':
      return rest === ''
        ? { type: 'cmd.quit' }
        : { type: 'cmd.quit', reason: rest };
    case '/help':
      return { type: 'cmd.help' };
    default:
      return invalid(`unknown command ${verb}; /help lists the commands`);
  }
}
