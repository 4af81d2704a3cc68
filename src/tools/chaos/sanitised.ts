/**
 * The `sanitised` invariant: relayed text carries nothing that drives a
 * terminal or rearranges what it shows, and every byte received is UTF-8.
 * [CHAT-IN-1] [CHAT-IN-2] [CHAT-IN-6]
 */
import { describeLine, quote, type Observed } from '../peers/observed.js';
import type { ChaosViolation } from './types.js';

/** C0 but TAB, DEL, C1, bidi controls, line and paragraph separators. */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- finding them is the point
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

const MAX_EVIDENCE = 6;

const NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x07: 'BEL',
  0x08: 'BS',
  0x0d: 'CR',
  0x1b: 'ESC',
  0x7f: 'DEL',
  0x9b: 'CSI',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR'
};

/** `U+001B (ESC)`, `U+202E (bidi control)`. */
export function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const name =
    NAMES[code] ??
    (code < 0x20 ? 'C0 control' : code < 0xa0 ? 'C1 control' : 'bidi control');
  return `${hex} (${name})`;
}

/** The first character a relayed text must not contain, if any. */
export function firstUnsafe(text: string): string | undefined {
  return UNSAFE.exec(text)?.[0];
}

/**
 * Checks every relayed text `reference` received (all observers agree on
 * them, or I1 says otherwise): one violation per sender whose text was not
 * sanitised.
 */
export function checkRelayedText(reference: Observed): ChaosViolation[] {
  const bySender = new Map<string, { first: string; lines: number[] }>();
  for (const event of reference.events) {
    if (event.line.kind !== 'message') continue;
    const bad = firstUnsafe(event.line.text);
    if (bad === undefined) continue;
    const entry = bySender.get(event.line.addr) ?? { first: bad, lines: [] };
    entry.lines.push(event.index);
    bySender.set(event.line.addr, entry);
  }
  return [...bySender].map(([addr, { first, lines }]) => ({
    invariant: 'sanitised',
    message: `${reference.transcript.addr} received ${lines.length} line(s) from ${addr} with control characters left in, the first ${describeChar(first)}`,
    evidence: lines
      .slice(0, MAX_EVIDENCE)
      .map((i) => describeLine(reference, i))
  }));
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks that `bytes`, everything observer `addr` received, is UTF-8;
 * reports the first line that is not, in hex.
 */
export function checkUtf8(addr: string, bytes: Buffer): ChaosViolation[] {
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const lf = bytes.indexOf(0x0a, start);
    const end = lf === -1 ? bytes.length : lf;
    const piece = bytes.subarray(start, end);
    try {
      decoder.decode(piece);
    } catch {
      const shown = piece
        .subarray(0, 48)
        .toString('hex')
        .replace(/(..)/g, '$1 ');
      return [
        {
          invariant: 'sanitised',
          message: `${addr} received bytes that are not UTF-8 in line ${line} [CHAT-IN-1]`,
          evidence: [
            `${addr} line ${line} (hex${piece.length > 48 ? ', first 48 bytes' : ''}): ${shown.trim()}`,
            `${addr} line ${line}: ${quote(piece.toString('utf8'))}`
          ]
        }
      ];
    }
    start = end + 1;
  }
  return [];
}
