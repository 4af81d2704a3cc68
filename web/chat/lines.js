// @ts-check
/**
 * Reads one server line of protocol v2 (docs/protocol.md) into what the
 * chat page shows. The page cannot import src/protocol, so these patterns
 * mirror src/protocol/format.ts and src/protocol/command-format.ts;
 * test/unit/web/lines.test.ts feeds them the real formatters' output so
 * the two cannot drift apart. Anything unrecognised is a plain notice:
 * the page never guesses a line is chat.
 */

/**
 * @typedef {{ kind: 'own', text: string }
 *   | { kind: 'chat', from: string, text: string }
 *   | { kind: 'private-in', from: string, text: string }
 *   | { kind: 'private-out', to: string, text: string }
 *   | { kind: 'action', name: string, text: string }
 *   | { kind: 'greeting', count: number }
 *   | { kind: 'join', label: string, count: number }
 *   | { kind: 'leave', label: string, reason: string | null, count: number }
 *   | { kind: 'now-in', room: string, count: number }
 *   | { kind: 'rename', old: string, name: string }
 *   | { kind: 'who-header', room: string, count: number }
 *   | { kind: 'who-names', names: string[] }
 *   | { kind: 'rooms-header', total: number, page: number, pages: number }
 *   | { kind: 'rooms-entry', room: string, count: number }
 *   | { kind: 'rooms-more', page: number }
 *   | { kind: 'shutdown' }
 *   | { kind: 'available' }
 *   | { kind: 'error', text: string,
 *       about: 'unavailable' | 'disconnected' | 'command-unavailable' | null }
 *   | { kind: 'notice', text: string }} ServerLine
 */

/** A nickname. [CHAT-NICK-1] */
const NICK = String.raw`[A-Za-z][A-Za-z0-9_-]{0,23}`;
/** An anonymous member's ADDR: `IP:PORT` or `[IP6]:PORT`. [CHAT-ADDR-1] */
const ADDR = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]):\d{1,5}`;
/** How lines name a member: NAME, or ADDR while anonymous. */
const SPEAKER = `(?:${NICK}|${ADDR})`;
/** How notices name a member: `NAME (ADDR)`, or ADDR. */
const LABEL = `(?:${NICK} \\(${ADDR}\\)|${ADDR})`;
/** A room name. [CHAT-ROOM-1] */
const ROOM = String.raw`#[A-Za-z0-9_-]{1,32}`;
/** `1 user online`, otherwise `N users online`. [CHAT-COUNT-1] */
const ONLINE = String.raw`(\d+) users? online`;

/** [CHAT-MSG-1] */
const OWN_PREFIX = '[You] ';
/** [CHAT-SHUT-1] */
const SHUTDOWN = 'Server shutting down';
/** [CLUSTER-2] */
const AVAILABLE = 'Chat is available again';
const UNAVAILABLE = 'Error: chat is temporarily unavailable';
const COMMAND_UNAVAILABLE = 'Error: the chat is temporarily unavailable';
const DISCONNECTED = 'Error: disconnected: ';

const PRIVATE_IN = new RegExp(`^\\[(${SPEAKER}) -> you\\] (.*)$`, 's');
const PRIVATE_OUT = new RegExp(`^\\[you -> (${NICK})\\] (.*)$`, 's');
const RELAYED = new RegExp(`^\\[(${SPEAKER})\\] (.*)$`, 's');
const ACTION = new RegExp(`^\\* (${SPEAKER}) (.*)$`, 's');
const GREETING = new RegExp(`^Connected to the chat server \\(${ONLINE}\\)$`);
const JOIN = new RegExp(`^New user (${LABEL}) entered \\(${ONLINE}\\)$`);
const LEAVE = new RegExp(`^The user (${LABEL}) left \\(${ONLINE}\\)$`);
const QUIT = new RegExp(
  `^The user (${LABEL}) left: (.*) \\(${ONLINE}\\)$`,
  's'
);
const NOW_IN = new RegExp(`^Now in (${ROOM}) \\(${ONLINE}\\)$`);
const RENAME = new RegExp(`^(${SPEAKER}) is now known as (${NICK})$`);
const WHO_HEADER = new RegExp(`^Members of (${ROOM}) \\(${ONLINE}\\):$`);
const ROOMS_HEADER = /^Rooms: (\d+) \(page (\d+) of (\d+)\)$/;
const ROOMS_ENTRY = new RegExp(`^  (${ROOM}) \\(${ONLINE}\\)$`);
const ROOMS_MORE = /^ {2}more: \/rooms (\d+)$/;
const NICK_REFUSED =
  /^Error: (?:nickname (\S+) is taken|you are already known as (\S+)|invalid nickname (\S+); .*)$/s;
const WHO_NAMES = new RegExp(`^  (${SPEAKER}(?:, ${SPEAKER})*)$`);

/**
 * What one server line is. Server notices never start with `[`
 * ([CHAT-NOTICE-1]), so a line that does is chat or a private line, and
 * its prefix is the server's.
 *
 * @param {string} line one line, without its `\n`
 * @returns {ServerLine}
 */
export function classify(line) {
  if (line.startsWith(OWN_PREFIX))
    return { kind: 'own', text: line.slice(OWN_PREFIX.length) };
  // Incoming before outgoing, as parsePrivate reads them. [CHAT-CMD-MSG]
  let m = PRIVATE_IN.exec(line);
  if (m) return { kind: 'private-in', from: at(m, 1), text: at(m, 2) };
  m = PRIVATE_OUT.exec(line);
  if (m) return { kind: 'private-out', to: at(m, 1), text: at(m, 2) };
  m = RELAYED.exec(line);
  if (m) return { kind: 'chat', from: at(m, 1), text: at(m, 2) };
  if (line === SHUTDOWN) return { kind: 'shutdown' };
  if (line === AVAILABLE) return { kind: 'available' };
  if (line.startsWith('Error: '))
    return { kind: 'error', text: line, about: errorAbout(line) };
  m = GREETING.exec(line);
  if (m) return { kind: 'greeting', count: num(m, 1) };
  m = JOIN.exec(line);
  if (m) return { kind: 'join', label: at(m, 1), count: num(m, 2) };
  m = LEAVE.exec(line);
  if (m)
    return { kind: 'leave', label: at(m, 1), reason: null, count: num(m, 2) };
  m = QUIT.exec(line);
  if (m)
    return {
      kind: 'leave',
      label: at(m, 1),
      reason: at(m, 2),
      count: num(m, 3)
    };
  m = NOW_IN.exec(line);
  if (m) return { kind: 'now-in', room: at(m, 1), count: num(m, 2) };
  m = RENAME.exec(line);
  if (m) return { kind: 'rename', old: at(m, 1), name: at(m, 2) };
  m = WHO_HEADER.exec(line);
  if (m) return { kind: 'who-header', room: at(m, 1), count: num(m, 2) };
  m = ROOMS_HEADER.exec(line);
  if (m)
    return {
      kind: 'rooms-header',
      total: num(m, 1),
      page: num(m, 2),
      pages: num(m, 3)
    };
  m = ROOMS_ENTRY.exec(line);
  if (m) return { kind: 'rooms-entry', room: at(m, 1), count: num(m, 2) };
  m = ROOMS_MORE.exec(line);
  if (m) return { kind: 'rooms-more', page: num(m, 1) };
  m = WHO_NAMES.exec(line);
  if (m) return { kind: 'who-names', names: at(m, 1).split(', ') };
  m = ACTION.exec(line);
  if (m) return { kind: 'action', name: at(m, 1), text: at(m, 2) };
  return { kind: 'notice', text: line };
}

/**
 * Which `Error:` lines change what the page shows beyond the line itself.
 *
 * @param {string} line
 * @returns {'unavailable' | 'disconnected' | 'command-unavailable' | null}
 */
function errorAbout(line) {
  if (line.startsWith(UNAVAILABLE)) return 'unavailable';
  if (line.startsWith(DISCONNECTED)) return 'disconnected';
  if (line.startsWith(COMMAND_UNAVAILABLE)) return 'command-unavailable';
  return null;
}

/**
 * The name a refusal of `/nick NAME` names (taken, already yours, or not
 * a valid name); null for any other line. [CHAT-CMD-ERR]
 *
 * @param {string} line
 * @returns {string | null}
 */
export function nickRefusal(line) {
  const match = NICK_REFUSED.exec(line);
  return match ? (match[1] ?? match[2] ?? match[3] ?? null) : null;
}

/** True for a nickname, as `/msg` and `/nick` take it. [CHAT-NICK-1] */
export function isNickname(/** @type {string} */ name) {
  return new RegExp(`^${NICK}$`).test(name);
}

/** True for a room name, `#` included. [CHAT-ROOM-1] */
export function isRoomName(/** @type {string} */ name) {
  return new RegExp(`^${ROOM}$`).test(name);
}

/**
 * @param {RegExpExecArray} match
 * @param {number} group
 */
function at(match, group) {
  return match[group] ?? '';
}

/**
 * @param {RegExpExecArray} match
 * @param {number} group
 */
function num(match, group) {
  return Number(match[group] ?? 'NaN');
}
