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
