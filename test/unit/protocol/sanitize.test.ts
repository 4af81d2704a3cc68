import { describe, expect, it } from 'vitest';
import { isBlank, sanitizeText } from '../../../src/protocol/sanitize.js';

describe('sanitizeText', () => {
  it('leaves plain text, TAB and non-ASCII letters alone', () => {
    expect(sanitizeText('hello\tworld caf\u00e9 \u20ac \u{1f600}')).toBe(
      'hello\tworld caf\u00e9 \u20ac \u{1f600}'
    );
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['BEL', 'a\u0007b'],
    ['backspace', 'a\u0008b'],
    ['bare CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['vertical tab', 'a\u000bb'],
    ['form feed', 'a\u000cb'],
    ['unit separator', 'a\u001fb'],
    ['DEL', 'a\u007fb'],
    ['C1 0x80', 'a\u0080b'],
    ['C1 NEL', 'a\u0085b'],
    ['C1 0x9f', 'a\u009fb']
  ])('removes %s [CHAT-IN-2]', (_name, input) => {
    expect(sanitizeText(input)).toBe('ab');
  });

  it.each([
    ['a CSI colour sequence', 'a\u001b[31mb\u001b[0m', 'ab'],
    ['a CSI with private parameters', 'a\u001b[?25lb', 'ab'],
    ['a cursor move', 'a\u001b[2J\u001b[Hb', 'ab'],
    ['an OSC ended by BEL', 'a\u001b]0;owned\u0007b', 'ab'],
    ['an OSC ended by ESC \\', 'a\u001b]0;owned\u001b\\b', 'ab'],
    ['a reset (ESC c)', 'a\u001bcb', 'ab'],
    ['a charset switch (ESC ( B)', 'a\u001b(Bb', 'ab'],
    ['an 8-bit CSI', 'a\u009b31mb', 'ab'],
    ['an 8-bit OSC ended by 8-bit ST', 'a\u009d0;owned\u009cb', 'ab'],
    ['an 8-bit OSC ended by BEL', 'a\u009d0;owned\u0007b', 'ab'],
    ['an 8-bit DCS ended by ESC \\', 'a\u0090qstuff\u001b\\b', 'ab'],
    ['only the introducer of an unterminated 8-bit OSC', 'a\u009d0;b', 'a0;b']
  ])('removes %s whole [CHAT-IN-2]', (_name, input, output) => {
    expect(sanitizeText(input)).toBe(output);
  });

  it('keeps the visible text of an OSC 8 hyperlink and drops its escapes', () => {
    expect(
      sanitizeText('see \u001b]8;;http://x.test\u0007link\u001b]8;;\u0007 ok')
    ).toBe('see link ok');
  });

  it('cannot leave a line break that would forge a notice [CHAT-NOTICE-1]', () => {
    const out = sanitizeText(
      'hi\r\nNew user 1.2.3.4:5 entered (9 users online)'
    );
    expect(out).not.toMatch(/[\r\n]/);
    expect(out).toBe('hiNew user 1.2.3.4:5 entered (9 users online)');
  });

  it.each([
    ['LRE', '\u202a'],
    ['RLE', '\u202b'],
    ['PDF', '\u202c'],
    ['LRO', '\u202d'],
    ['RLO', '\u202e'],
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
    ['line separator', '\u2028'],
    ['paragraph separator', '\u2029']
  ])('removes the bidi or separator control %s [CHAT-IN-6]', (_name, ch) => {
    expect(sanitizeText(`a${ch}b`)).toBe('ab');
  });

  it('cannot make a line display reversed with a right-to-left override [CHAT-IN-6]', () => {
    expect(sanitizeText('price \u202e0001$\u202c ok')).toBe('price 0001$ ok');
  });

  it('keeps right-to-left letters and the LRM/RLM marks [CHAT-IN-6]', () => {
    expect(sanitizeText('\u05e9\u05dc\u05d5\u05dd \u200f!\u200e')).toBe(
      '\u05e9\u05dc\u05d5\u05dd \u200f!\u200e'
    );
  });

  it('cannot overwrite the prefix with a bare CR [CHAT-IN-2]', () => {
    const out = sanitizeText('harmless\r[127.0.0.1:1] forged');
    expect(out).not.toContain('\r');
    expect(out).toBe('harmless[127.0.0.1:1] forged');
  });

  it('keeps U+FFFD from invalid UTF-8 [CHAT-IN-1]', () => {
    const decoded = Buffer.from([0x61, 0xff, 0x62]).toString('utf8');
    expect(sanitizeText(decoded)).toBe('a\ufffdb');
  });
});

describe('isBlank', () => {
  it.each([[''], [' '], ['\t'], ['  \t  '], ['\u00a0'], ['\u3000']])(
    'is true for %j [CHAT-IN-3]',
    (text) => {
      expect(isBlank(text)).toBe(true);
    }
  );

  it.each([['a'], [' a '], ['\t.'], ['\u{1f600}']])(
    'is false for %j',
    (text) => {
      expect(isBlank(text)).toBe(false);
    }
  );

  it('is true for a line that only had control characters [CHAT-IN-3]', () => {
    expect(isBlank(sanitizeText('\u001b[31m\r\u0007 '))).toBe(true);
  });
});
