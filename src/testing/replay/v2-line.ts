/**
 * Reads one server line of protocol v2 back into what it means, for the
 * room and name properties. Written against docs/protocol.md ("Commands
 * (v2)"), not against src/protocol/command-format.ts, so a formatting bug
 * shows up as `unknown`. Only the lines a replay's steps can cause are
 * read: `/who`, `/rooms` and `/help` answers are `unknown`.
 */
import { OWN_PREFIX, SHUTDOWN_NOTICE } from '../../protocol/format.js';

/** A server line as a v2 member sees it. */
export type V2Line =
  | { kind: 'greeting'; count: number }
  /** The mover's first line in its new room; `room` as the server spells it. */
  | { kind: 'nowIn'; room: string; count: number }
  | { kind: 'join'; addr: string; count: number }
  | { kind: 'leave'; addr: string; count: number; reason: string | null }
  /** `[You] text`. */
  | { kind: 'own'; text: string }
  /** `[SPEAKER] text`: SPEAKER is a name or an address. */
  | { kind: 'relayed'; speaker: string; text: string }
  /** `* SPEAKER text`, the actor's own included. */
  | { kind: 'act'; speaker: string; text: string }
  | { kind: 'rename'; old: string; name: string }
  | { kind: 'privateIn'; from: string; text: string }
  | { kind: 'privateOut'; to: string; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'closing' }
  | { kind: 'unknown'; raw: string };

// [CHAT-ADDR-1]
const ADDR = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}`;
// [CHAT-NICK-1]
const NAME = String.raw`[A-Za-z][A-Za-z0-9_-]{0,23}`;
/** A member in a notice: `NAME (ADDR)` or `ADDR`; the address is captured. */
const LABEL = String.raw`(?:${NAME} \((${ADDR})\)|(${ADDR}))`;
const SPEAKER = `(${NAME}|${ADDR})`;
// [CHAT-COUNT-1]
const ONLINE = String.raw`\((0|[1-9]\d*) (users?) online\)`;

const GREETING = new RegExp(`^Connected to the chat server ${ONLINE}$`);
const NOW_IN = new RegExp(`^Now in (#[A-Za-z0-9_-]{1,32}) ${ONLINE}$`);
const JOIN = new RegExp(`^New user ${LABEL} entered ${ONLINE}$`);
const LEAVE = new RegExp(`^The user ${LABEL} left(?:: (.*))? ${ONLINE}$`);
const PRIVATE_IN = new RegExp(`^\\[${SPEAKER} -> you\\] (.*)$`);
const PRIVATE_OUT = new RegExp(`^\\[you -> (${NAME})\\] (.*)$`);
const RELAYED = new RegExp(`^\\[${SPEAKER}\\] (.*)$`);
const ACT = new RegExp(`^\\* ${SPEAKER} (.*)$`);
const RENAME = new RegExp(`^${SPEAKER} is now known as (${NAME})$`);

/** The count of `(N users online)`, or null when the noun disagrees. */
function count(digits = '', noun = ''): number | null {
  const n = Number(digits);
  return (n === 1) === (noun === 'user') ? n : null;
}

/**
 * Parses one received line; anything that is not exactly one of the lines
 * above is `unknown`.
 *
 * @example
 * parseV2Line('The user ann (127.0.0.1:50001) left: bye (1 user online)')
 * // { kind: 'leave', addr: '127.0.0.1:50001', count: 1, reason: 'bye' }
 */
export function parseV2Line(line: string): V2Line {
  const unknown: V2Line = { kind: 'unknown', raw: line };
  if (line === SHUTDOWN_NOTICE) return { kind: 'closing' };
  if (line.startsWith('Error: ')) return { kind: 'error', text: line.slice(7) };
  if (line.startsWith(OWN_PREFIX))
    return { kind: 'own', text: line.slice(OWN_PREFIX.length) };
  let m = GREETING.exec(line);
  if (m !== null) {
    const n = count(m[1], m[2]);
    return n === null ? unknown : { kind: 'greeting', count: n };
  }
  if ((m = NOW_IN.exec(line)) !== null) {
    const n = count(m[2], m[3]);
    return n === null ? unknown : { kind: 'nowIn', room: m[1] ?? '', count: n };
  }
  if ((m = JOIN.exec(line)) !== null) {
    const n = count(m[3], m[4]);
    const addr = m[1] ?? m[2] ?? '';
    return n === null ? unknown : { kind: 'join', addr, count: n };
  }
  if ((m = LEAVE.exec(line)) !== null) {
    const n = count(m[4], m[5]);
    const addr = m[1] ?? m[2] ?? '';
    const reason = m[3] ?? null;
    return n === null ? unknown : { kind: 'leave', addr, count: n, reason };
  }
  if ((m = PRIVATE_IN.exec(line)) !== null)
    return { kind: 'privateIn', from: m[1] ?? '', text: m[2] ?? '' };
  if ((m = PRIVATE_OUT.exec(line)) !== null)
    return { kind: 'privateOut', to: m[1] ?? '', text: m[2] ?? '' };
  if ((m = RELAYED.exec(line)) !== null)
    return { kind: 'relayed', speaker: m[1] ?? '', text: m[2] ?? '' };
  if ((m = ACT.exec(line)) !== null)
    return { kind: 'act', speaker: m[1] ?? '', text: m[2] ?? '' };
  if ((m = RENAME.exec(line)) !== null)
    return { kind: 'rename', old: m[1] ?? '', name: m[2] ?? '' };
  return unknown;
}
