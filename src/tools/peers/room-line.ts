/**
 * Reads one server line back into what it means, for the transcript checker.
 * The inverse of src/protocol/format.ts. Only the fixed pieces of protocol
 * text (the `[You] ` prefix, the shutdown notice) come from src/protocol, so
 * they are written in one place; the grammar around them is written against
 * docs/protocol.md rather than that code, so a formatting bug shows up here
 * as `unknown` (and the seed sessions' line-for-line test pins the pieces).
 */
import { OWN_PREFIX, SHUTDOWN_NOTICE } from '../../protocol/format.js';

/** A server line as a member sees it. */
export type RoomLine =
  | { kind: 'greeting'; count: number }
  | { kind: 'join'; addr: string; count: number }
  /** `[You] text` is normalised to the observer's own address. */
  | { kind: 'message'; addr: string; text: string }
  | { kind: 'leave'; addr: string; count: number }
  | { kind: 'error'; text: string }
  /** A line about the server itself, not the room: `Chat is available again`. */
  | { kind: 'notice'; text: string }
  | { kind: 'closing' }
  | { kind: 'unknown'; raw: string };

// [CHAT-ADDR-1] `IP:PORT` or `[IP6]:PORT` (an IPv6 zone allowed).
const ADDR = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]):\d{1,5}`;
// [CHAT-COUNT-1] no leading zeros; `user` vs `users` is checked in code.
const ONLINE = String.raw`\((0|[1-9]\d*) (users?) online\)`;
const GREETING_RE = new RegExp(`^Connected to the chat server ${ONLINE}$`);
const JOIN_RE = new RegExp(`^New user (${ADDR}) entered ${ONLINE}$`);
const LEAVE_RE = new RegExp(`^The user (${ADDR}) left ${ONLINE}$`);
const RELAYED_RE = new RegExp(`^\\[(${ADDR})\\] (.*)$`, 's');
/**
 * The start of another server line inside a text: what two lines merged into
 * one look like [CHAT-WIRE-4]. This assumes peers don't type text imitating
 * server lines (fault peers and chat-chaos never do); plain words such as
 * `Server shutting down` or `Error:` are not matched, as users do type those.
 */
const EMBEDDED_RE = new RegExp(
  `\\[(?:${ADDR}|You)\\] |Connected to the chat server \\(\\d|New user ${ADDR} entered \\(|The user ${ADDR} left \\(`
);
const ERROR_PREFIX = 'Error: ';
/** A cluster daemon that can reach Redis again [CLUSTER-2]. */
const NOTICE_LINES: ReadonlySet<string> = new Set(['Chat is available again']);

/** The count in `(N users online)`, or null if the noun disagrees with N. */
function onlineCount(digits: string, noun: string): number | null {
  const count = Number(digits);
  return (count === 1) === (noun === 'user') ? count : null;
}

/**
 * Parses one line received by the member at `ownAddr`; anything that is not
 * exactly a protocol line (garbage, a merged or cut line) is `unknown`.
 *
 * @example
 * parseRoomLine('[You] hi', '127.0.0.1:5001')
 * // { kind: 'message', addr: '127.0.0.1:5001', text: 'hi' }
 */
export function parseRoomLine(line: string, ownAddr: string): RoomLine {
  const unknown: RoomLine = { kind: 'unknown', raw: line };
  if (line === SHUTDOWN_NOTICE) return { kind: 'closing' };
  if (NOTICE_LINES.has(line)) return { kind: 'notice', text: line };
  if (line.startsWith(OWN_PREFIX)) {
    const text = line.slice(OWN_PREFIX.length);
    return EMBEDDED_RE.test(text)
      ? unknown
      : { kind: 'message', addr: ownAddr, text };
  }
  const relayed = RELAYED_RE.exec(line);
  if (relayed !== null) {
    const [, addr = '', text = ''] = relayed;
    // [CHAT-MSG-1] a sender sees its own lines as `[You]`, never its address.
    if (addr === ownAddr || EMBEDDED_RE.test(text)) return unknown;
    return { kind: 'message', addr, text };
  }
  if (line.startsWith(ERROR_PREFIX)) {
    const text = line.slice(ERROR_PREFIX.length);
    return EMBEDDED_RE.test(text) ? unknown : { kind: 'error', text };
  }
  const greeting = GREETING_RE.exec(line);
  if (greeting !== null) {
    const count = onlineCount(greeting[1] ?? '', greeting[2] ?? '');
    return count === null ? unknown : { kind: 'greeting', count };
  }
  const notice = JOIN_RE.exec(line) ?? LEAVE_RE.exec(line);
  if (notice !== null) {
    const [first, addr = '', digits = '', noun = ''] = notice;
    const count = onlineCount(digits, noun);
    if (count === null) return unknown;
    return first.startsWith('New user ')
      ? { kind: 'join', addr, count }
      : { kind: 'leave', addr, count };
  }
  return unknown;
}
