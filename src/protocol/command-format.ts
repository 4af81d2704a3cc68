import { isNickname, isRoomName } from './command.js';
import { formatOnline } from './format.js';

/**
 * The lines of protocol v2's commands, beside v1's in format.ts. None
 * starts with `[` but a relayed or private line, whose prefix the server
 * writes. [CHAT-NOTICE-1]
 */

/** How a member is named in notices: `NAME (ADDR)`, or ADDR while anonymous. */
export function memberLabel(remote: string, name: string | undefined): string {
  return name === undefined ? remote : `${name} (${remote})`;
}

/** How a member is named in its lines and `/who`: NAME, or ADDR. */
export function speakerName(remote: string, name: string | undefined): string {
  return name ?? remote;
}

/** The mover's first line in its new room. [CHAT-CMD-JOIN] */
export function formatNowIn(room: string, count: number): string {
  return `Now in ${room} (${formatOnline(count)})`;
}

/** The room sees a rename. [CHAT-CMD-NICK] */
export function formatRename(old: string, name: string): string {
  return `${old} is now known as ${name}`;
}

/** A leave with the reason its member gave (`/quit reason`). [CHAT-CMD-QUIT] */
export function formatQuitNotice(
  label: string,
  reason: string,
  count: number
): string {
  return `The user ${label} left: ${reason} (${formatOnline(count)})`;
}

/** `/me text`, as the whole room sees it. [CHAT-CMD-ME] */
export function formatAction(name: string, text: string): string {
  return `* ${name} ${text}`;
}

/** A private line as its target sees it. [CHAT-CMD-MSG] */
export function formatPrivateIn(from: string, text: string): string {
  return `[${from} -> you] ${text}`;
}

/** A private line as its sender sees it. [CHAT-CMD-MSG] */
export function formatPrivateOut(to: string, text: string): string {
  return `[you -> ${to}] ${text}`;
}

/** The answer to `/who`: a header, then the names. [CHAT-CMD-WHO] */
export function formatWho(
  room: string,
  names: readonly string[],
  perLine: number
): string[] {
  const lines = [`Members of ${room} (${formatOnline(names.length)}):`];
  for (let i = 0; i < names.length; i += perLine)
    lines.push(`  ${names.slice(i, i + perLine).join(', ')}`);
  return lines;
}

/** The answer to `/rooms PAGE`. [CHAT-CMD-ROOMS] */
export function formatRooms(
  rooms: ReadonlyArray<{ name: string; count: number }>,
  page: number,
  pageSize: number
): string[] {
  const pages = Math.max(1, Math.ceil(rooms.length / pageSize));
  const shown = rooms.slice((page - 1) * pageSize, page * pageSize);
  const lines = [`Rooms: ${rooms.length} (page ${page} of ${pages})`];
  for (const { name, count } of shown)
    lines.push(`  ${name} (${formatOnline(count)})`);
  if (page < pages) lines.push(`  more: /rooms ${page + 1}`);
  return lines;
}

/** Command refusals: one `Error:` line each. [CHAT-CMD-ERR] */
export const COMMAND_ERRORS = {
  nickTaken: (name: string) => `Error: nickname ${name} is taken`,
  sameNick: (name: string) => `Error: you are already known as ${name}`,
  noSuchUser: (name: string) => `Error: no such user ${name}`,
  alreadyIn: (room: string) => `Error: you are already in ${room}`,
  noSuchPage: (pages: number) =>
    `Error: no such page; /rooms has ${pages} page${pages === 1 ? '' : 's'}`,
  tooManyRooms: (limit: number) =>
    `Error: too many rooms (limit ${limit}); join an existing one`,
  tooManyCreates: (limit: number) =>
    `Error: too many rooms created (limit ${limit} a minute); try again later`,
  unavailable:
    'Error: the chat is temporarily unavailable; try the command again shortly'
} as const;

/*
 * Parsers for the lines above, for clients (chat-client's prompt and
 * highlighting). Each reads loosely, then formats what it read and keeps it
 * only if that gives the line back, so a parser cannot accept anything its
 * formatter would not write.
 */

/**
 * An anonymous member's ADDR as the server writes it ([CHAT-ADDR-1]):
 * `IP:PORT` or `[IP6]:PORT`. It ends in a digit, never in `]`.
 */
const ADDRESS_LABEL =
  /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]):\d{1,5}$/;

/** True for how the server names a member in its lines: a nickname, or an anonymous member's ADDR. */
export function isSpeakerName(label: string): boolean {
  return isNickname(label) || ADDRESS_LABEL.test(label);
}

/**
 * Reads the mover's `Now in #room (N users online)`; null for any other
 * line. [CHAT-CMD-JOIN]
 *
 * @example parseNowIn('Now in #dev (2 users online)') // { room: '#dev', count: 2 }
 */
export function parseNowIn(
  line: string
): { readonly room: string; readonly count: number } | null {
  const match = /^Now in (\S+) \(([0-9]+) users? online\)$/.exec(line);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const room = match[1];
  const count = Number(match[2]);
  return isRoomName(room) && formatNowIn(room, count) === line
    ? { room, count }
    : null;
}

/**
 * Reads a rename notice `OLD is now known as NAME`; null for any other
 * line. OLD is a nickname or an ADDR. [CHAT-CMD-NICK]
 */
export function parseRename(
  line: string
): { readonly old: string; readonly name: string } | null {
  const match = /^(\S+) is now known as (\S+)$/.exec(line);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const [, old, name] = match;
  return isSpeakerName(old) &&
    isNickname(name) &&
    formatRename(old, name) === line
    ? { old, name }
    : null;
}

/** A private line as its target (`in`) or its sender (`out`) sees it. */
export interface PrivateLine {
  readonly direction: 'in' | 'out';
  /** The other party: the sender of an `in` line, the target of an `out` one. */
  readonly name: string;
  readonly text: string;
}

/**
 * Reads `[NAME -> you] text` or `[you -> NAME] text`; null for any other
 * line. Only the server writes a line that starts with `[` and a name
 * followed by a space: a relayed line is `[NAME] text` or `[ADDR] text`, and
 * names and addresses hold no space or `]`, so `[alice] -> you] x` (alice
 * saying `-> you] x`) reads as the sender `alice]`, which is no name, and
 * is not a private line. [CHAT-CMD-MSG] [CHAT-CMD-NOTICE]
 */
export function parsePrivate(line: string): PrivateLine | null {
  const incoming = /^\[(\S+) -> you\] /.exec(line);
  if (incoming?.[1] !== undefined && isSpeakerName(incoming[1])) {
    const name = incoming[1];
    const text = line.slice(incoming[0].length);
    if (formatPrivateIn(name, text) === line)
      return { direction: 'in', name, text };
  }
  const outgoing = /^\[you -> (\S+)\] /.exec(line);
  if (outgoing?.[1] !== undefined && isNickname(outgoing[1])) {
    const name = outgoing[1];
    const text = line.slice(outgoing[0].length);
    if (formatPrivateOut(name, text) === line)
      return { direction: 'out', name, text };
  }
  return null;
}

/**
 * Reads a refusal of `/nick NAME`: taken, or already yours. The name as
 * the refusal spells it, or null for any other line. [CHAT-CMD-ERR]
 */
export function parseNickRefusal(line: string): string | null {
  const match =
    /^Error: (?:nickname (\S+) is taken|you are already known as (\S+))$/.exec(
      line
    );
  const name = match?.[1] ?? match?.[2];
  if (name === undefined || !isNickname(name)) return null;
  return line === COMMAND_ERRORS.nickTaken(name) ||
    line === COMMAND_ERRORS.sameNick(name)
    ? name
    : null;
}
