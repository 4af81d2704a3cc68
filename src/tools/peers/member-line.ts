/**
 * Reads one server line as a protocol v2 member sees it: v1's lines with
 * names in them, plus the commands' answers (docs/protocol.md, "Commands
 * (v2)"). The room checks of chat-chaos (src/tools/chaos/room-checks.ts)
 * read room observers' transcripts with it; v1 transcripts keep the
 * stricter room-line.ts, where a name is not a v1 line. Written against the
 * spec, not src/protocol, so a formatting bug shows up as `unknown`.
 */
import { OWN_PREFIX, SHUTDOWN_NOTICE } from '../../protocol/format.js';

/** A server line as a v2 member sees it. */
export type MemberLine =
  | { kind: 'greeting'; count: number }
  /** `Now in #room (N users online)`: the answer to `/join`. [CHAT-CMD-JOIN] */
  | { kind: 'now-in'; room: string; count: number }
  /** `label` is `NAME (ADDR)` or `ADDR`. */
  | { kind: 'join'; label: string; count: number }
  | { kind: 'leave'; label: string; count: number }
  /** [CHAT-CMD-NICK] `old` is a name or an ADDR. */
  | { kind: 'rename'; old: string; name: string }
  /** `[You] text` has `own` set and no speaker. */
  | { kind: 'message'; speaker: string; own: boolean; text: string }
  /** `[SENDER -> you] text` (in) or `[you -> NAME] text` (out). [CHAT-CMD-MSG] */
  | { kind: 'private'; way: 'in' | 'out'; peer: string; text: string }
  | { kind: 'error'; text: string }
  /** Any other answer to a command (`/help`, `/who`, `/rooms`), or `/me`. */
  | { kind: 'answer'; raw: string }
  | { kind: 'closing' }
  | { kind: 'unknown'; raw: string };

// [CHAT-ADDR-1], [CHAT-NICK-1], [CHAT-ROOM-1]
const ADDR = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]):\d{1,5}`;
const NAME = String.raw`[A-Za-z][A-Za-z0-9_-]{0,23}`;
const ROOM = String.raw`#[A-Za-z0-9_-]{1,32}`;
const LABEL = `(?:${NAME} \\(${ADDR}\\)|${ADDR})`;
const SPEAKER = `(?:${NAME}|${ADDR})`;
const ONLINE = String.raw`\((0|[1-9]\d*) (users?) online\)`;

const GREETING_RE = new RegExp(`^Connected to the chat server ${ONLINE}$`);
const NOW_IN_RE = new RegExp(`^Now in (${ROOM}) ${ONLINE}$`);
const JOIN_RE = new RegExp(`^New user (${LABEL}) entered ${ONLINE}$`);
// [CHAT-CMD-QUIT] a leave may carry the member's reason.
const LEAVE_RE = new RegExp(`^The user (${LABEL}) left(?:: .*)? ${ONLINE}$`);
const RENAME_RE = new RegExp(`^(${SPEAKER}) is now known as (${NAME})$`);
const PRIVATE_IN_RE = new RegExp(`^\\[(${SPEAKER}) -> you\\] (.*)$`, 's');
const PRIVATE_OUT_RE = new RegExp(`^\\[you -> (${NAME})\\] (.*)$`, 's');
/** Private lines either way, in the order they are tried. */
const PRIVATE_RES = [
  ['in', PRIVATE_IN_RE],
  ['out', PRIVATE_OUT_RE]
] as const;
const RELAYED_RE = new RegExp(`^\\[(${SPEAKER})\\] (.*)$`, 's');
/** Lines that answer `/help`, `/who`, `/rooms`, and `/me`'s act. */
const ANSWER_RE = /^(?:Commands:|Members of |Rooms: |\* |\/| {2})/;
/** The refusals of commands ([CHAT-CMD-ERR]), after `Error: `. */
const COMMAND_ERROR_RE =
  /^(?:nickname |no such user |you are already |unknown command |usage: |invalid nickname |invalid room name |no such page|too many rooms|commands are not available)/;

function onlineCount(digits: string, noun: string): number | null {
  const count = Number(digits);
  return (count === 1) === (noun === 'user') ? count : null;
}

/**
 * Parses one line a v2 member received; anything that is not exactly a
 * protocol line is `unknown`.
 *
 * @example
 * parseMemberLine('alice is now known as bob')
 * // { kind: 'rename', old: 'alice', name: 'bob' }
 */
export function parseMemberLine(line: string): MemberLine {
  const unknown: MemberLine = { kind: 'unknown', raw: line };
  if (line === SHUTDOWN_NOTICE) return { kind: 'closing' };
  if (line.startsWith(OWN_PREFIX)) {
    const text = line.slice(OWN_PREFIX.length);
    return { kind: 'message', speaker: '', own: true, text };
  }
  if (line.startsWith('Error: ')) return { kind: 'error', text: line.slice(7) };
  const counted: [RegExp, (m: RegExpExecArray, n: number) => MemberLine][] = [
    [GREETING_RE, (_, count) => ({ kind: 'greeting', count })],
    [NOW_IN_RE, (m, count) => ({ kind: 'now-in', room: m[1] ?? '', count })],
    [JOIN_RE, (m, count) => ({ kind: 'join', label: m[1] ?? '', count })],
    [LEAVE_RE, (m, count) => ({ kind: 'leave', label: m[1] ?? '', count })]
  ];
  for (const [re, make] of counted) {
    const m = re.exec(line);
    if (m === null) continue;
    const [digits, noun] = m.slice(-2);
    const count = onlineCount(digits ?? '', noun ?? '');
    return count === null ? unknown : make(m, count);
  }
  const rename = RENAME_RE.exec(line);
  if (rename !== null)
    return { kind: 'rename', old: rename[1] ?? '', name: rename[2] ?? '' };
  for (const [way, re] of PRIVATE_RES) {
    const m = re.exec(line);
    if (m !== null)
      return { kind: 'private', way, peer: m[1] ?? '', text: m[2] ?? '' };
  }
  const relayed = RELAYED_RE.exec(line);
  if (relayed !== null) {
    const [, speaker = '', text = ''] = relayed;
    return { kind: 'message', speaker, own: false, text };
  }
  if (ANSWER_RE.test(line)) return { kind: 'answer', raw: line };
  return unknown;
}

/**
 * True for a line only a v2 command (one's own or another member's) can
 * cause: what a client that never sent a command must never see in a room
 * where nobody took a name. [CHAT-CMD-NOTICE]
 */
export function isCommandLine(line: string): boolean {
  const parsed = parseMemberLine(line);
  switch (parsed.kind) {
    case 'now-in':
    case 'rename':
    case 'private':
    case 'answer':
      return true;
    case 'join':
    case 'leave':
      return parsed.label.includes(' (');
    case 'message':
      return !parsed.own && !/^(?:\d|\[)/.test(parsed.speaker);
    case 'error':
      return COMMAND_ERROR_RE.test(parsed.text);
    default:
      return false;
  }
}
