import { describe, expect, it } from 'vitest';
import { observe } from '../../../../src/tools/peers/observed.js';
import {
  checkRelayedText,
  checkUtf8,
  describeChar,
  firstUnsafe
} from '../../../../src/tools/chaos/sanitised.js';

const ME = '127.0.0.1:5001';
const OTHER = '127.0.0.1:5002';

function reference(lines: string[]) {
  return observe({ addr: ME, lines, stayed: true });
}

describe('sanitised check', () => {
  it('accepts text with TAB, U+FFFD, RTL letters and LRM', () => {
    for (const text of ['a\tb', 'bad \ufffd byte', 'שלום', 'x\u200ey']) {
      expect(firstUnsafe(text)).toBeUndefined();
    }
  });

  it('finds C0, DEL, C1, ESC, bidi controls and separators', () => {
    for (const c of [
      '\u0000',
      '\r',
      '\u001b',
      '\u007f',
      '\u009b',
      '\u202e',
      '\u2066',
      '\u2028',
      '\u2029'
    ]) {
      expect(firstUnsafe(`ok ${c} ok`)).toBe(c);
    }
    expect(describeChar('\u001b')).toBe('U+001B (ESC)');
    expect(describeChar('\u202e')).toBe('U+202E (bidi control)');
  });

  it('reports one violation per sender, with the lines as evidence', () => {
    const violations = checkRelayedText(
      reference([
        'Connected to the chat server (2 users online)',
        `[${OTHER}] fine`,
        `[${OTHER}] red \u001b[31m text`,
        `[${OTHER}] null \u0000 byte`,
        '[You] mine is clean'
      ])
    );
    expect(violations).toEqual([
      {
        invariant: 'sanitised',
        message: `${ME} received 2 line(s) from ${OTHER} with control characters left in, the first U+001B (ESC)`,
        evidence: [
          `${ME} line 3: ${JSON.stringify(`[${OTHER}] red \u001b[31m text`)}`,
          `${ME} line 4: ${JSON.stringify(`[${OTHER}] null \u0000 byte`)}`
        ]
      }
    ]);
  });

  it('reports nothing for clean text', () => {
    expect(
      checkRelayedText(
        reference(['Connected to the chat server (1 user online)', '[You] hi'])
      )
    ).toEqual([]);
  });

  it('finds bytes that are not UTF-8, naming the line', () => {
    const bytes = Buffer.concat([
      Buffer.from('Connected to the chat server (1 user online)\n[You] a'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('\n')
    ]);
    const [v] = checkUtf8(ME, bytes);
    expect(v?.invariant).toBe('sanitised');
    expect(v?.message).toBe(
      `${ME} received bytes that are not UTF-8 in line 2 [CHAT-IN-1]`
    );
    expect(v?.evidence[0]).toContain('5b 59 6f 75 5d 20 61 c0 af');
    expect(checkUtf8(ME, Buffer.from('[You] caf\u00e9\n'))).toEqual([]);
  });
});
