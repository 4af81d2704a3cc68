import { parsePrivate } from '../../protocol/command-format.js';

/** SGR: bold magenta for a line to you, magenta for one you sent. */
const STYLE = { in: '\x1b[1;35m', out: '\x1b[35m' } as const;
const RESET = '\x1b[0m';

/**
 * Colours a private line (`[NAME -> you] text`, `[you -> NAME] text`) so it
 * stands out on a terminal; any other line comes back as it is. The line
 * holds no escape of its own to interfere: the server strips them from what
 * members send [CHAT-IN-2], and parsePrivate accepts only what the server's
 * own formatter writes, so no member can have a chat line coloured as
 * private. [CHAT-CMD-MSG]
 *
 * @example highlightPrivate('[bob -> you] hi') // '\x1b[1;35m[bob -> you] hi\x1b[0m'
 */
export function highlightPrivate(line: string): string {
  const found = parsePrivate(line);
  return found === null ? line : `${STYLE[found.direction]}${line}${RESET}`;
}

/**
 * Whether to colour what is written to `out`: only a terminal, and not when
 * the user asked for no colour (`NO_COLOR` set and not empty, see
 * no-color.org) or the terminal cannot show it (`TERM=dumb`). Piped output
 * stays exactly the server's bytes.
 */
export function wantsColour(
  out: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>
): boolean {
  if (out.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}
