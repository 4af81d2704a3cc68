import {
  MAYBE_LOST_NOTICE,
  NOT_SENT_NOTICE,
  formatOwn
} from '../../protocol/format.js';
import { parseInput, type ClientInput } from '../../protocol/command.js';
import { isBlank, sanitizeText } from '../../protocol/sanitize.js';

/** What a server line says about the lines this client sent. */
export type LineAnswer =
  | { readonly kind: 'echo' }
  | {
      readonly kind: 'refused';
      /** The line, as the user typed it. */
      readonly text: string;
      /** False when the server cannot tell whether it reached everyone. */
      readonly certain: boolean;
    }
  | { readonly kind: 'none' };

/**
 * The lines this client sent that the server has not answered yet. The
 * server answers every chat line that is not blank [CHAT-IN-3] (commands
 * have answers of their own) with the echo
 * `[You] text` [CHAT-MSG-1] or an `Error:` line saying it was not relayed
 * ([CHAT-IN-4], [CLUSTER-2]); this pairs each answer with its line, so the
 * client can show a refused line again and tell, at the end, whether every
 * line got through.
 */
export interface SentLines {
  /**
   * Records a line written to the server; returns what the server reads it
   * as, or null for a blank line (the server ignores it).
   */
  sent(text: string): ClientInput | null;
  /** Reads one server line; an echo or a refusal settles one sent line. */
  answer(serverLine: string): LineAnswer;
  /** The lines still unanswered, oldest first. */
  unanswered(): readonly string[];
  /** How many lines the server refused so far. */
  refused(): number;
}

const OWN_PREFIX = formatOwn('');
const LINE_TOO_LONG = /^Error: line too long \(limit ([0-9]+) bytes\)/;

/** Creates an empty record of sent lines. */
export function trackSentLines(): SentLines {
  const pending: { text: string; relayed: string }[] = [];
  let refusedCount = 0;

  // Answers come in the order lines were sent, except that a line too long
  // is refused as soon as it outgrows the limit, possibly before earlier
  // lines are echoed: match it by size, and an echo by its text.
  function settle(
    match: (line: { text: string; relayed: string }) => boolean
  ): string | undefined {
    if (pending.length === 0) return undefined;
    const found = pending.findIndex(match);
    return pending.splice(found === -1 ? 0 : found, 1)[0]?.text;
  }

  function refuse(text: string | undefined, certain: boolean): LineAnswer {
    if (text === undefined) return { kind: 'none' };
    refusedCount += 1;
    return { kind: 'refused', text, certain };
  }

  return {
    sent(text) {
      const clean = sanitizeText(text);
      if (isBlank(clean)) return null;
      // A command is answered by its own lines, never by `[You] …`; `//text`
      // is the chat line `/text`. [CHAT-CMD-1]
      const input = parseInput(clean);
      if (input.type === 'chat.line')
        pending.push({ text, relayed: input.text });
      return input;
    },
    answer(serverLine) {
      if (serverLine.startsWith(OWN_PREFIX)) {
        const echoed = serverLine.slice(OWN_PREFIX.length);
        return settle((line) => line.relayed === echoed) === undefined
          ? { kind: 'none' }
          : { kind: 'echo' };
      }
      if (serverLine === NOT_SENT_NOTICE) {
        return refuse(
          settle(() => true),
          true
        );
      }
      if (serverLine === MAYBE_LOST_NOTICE) {
        return refuse(
          settle(() => true),
          false
        );
      }
      const tooLong = LINE_TOO_LONG.exec(serverLine);
      if (tooLong !== null) {
        const limit = Number(tooLong[1]);
        return refuse(
          settle((line) => Buffer.byteLength(line.text) > limit),
          true
        );
      }
      return { kind: 'none' };
    },
    unanswered: () => pending.map((line) => line.text),
    refused: () => refusedCount
  };
}

/** How a line the server did not take is shown again, so it can be resent. */
export function formatUnsent(text: string, certain = true): string {
  return `${certain ? '(not sent)' : '(maybe not sent)'} ${text}`;
}
