import { describe, expect, it } from 'vitest';
import {
  formatPrivateIn,
  formatPrivateOut
} from '../../../../src/protocol/command-format.js';
import { formatOwn, formatRelayed } from '../../../../src/protocol/format.js';
import {
  highlightPrivate,
  wantsColour
} from '../../../../src/tools/client/private-highlight.js';

describe('highlightPrivate', () => {
  it('colours a private line to you and one you sent [CHAT-CMD-MSG]', () => {
    expect(highlightPrivate(formatPrivateIn('bob', 'psst'))).toBe(
      '\x1b[1;35m[bob -> you] psst\x1b[0m'
    );
    expect(highlightPrivate(formatPrivateIn('[::1]:5001', 'psst'))).toBe(
      '\x1b[1;35m[[::1]:5001 -> you] psst\x1b[0m'
    );
    expect(highlightPrivate(formatPrivateOut('bob', 'psst'))).toBe(
      '\x1b[35m[you -> bob] psst\x1b[0m'
    );
  });

  it('leaves a chat line that imitates a private one as it is', () => {
    for (const line of [
      formatRelayed('alice', '-> you] psst'),
      formatRelayed('127.0.0.1:5001', '-> you] psst'),
      formatRelayed('[::1]:5001', '-> you] psst'),
      formatRelayed('you', '-> bob] psst'),
      formatOwn('-> you] psst'),
      formatRelayed('alice', formatPrivateIn('bob', 'psst')),
      '* alice [bob -> you] psst',
      'Connected to the chat server (1 user online)'
    ])
      expect(highlightPrivate(line)).toBe(line);
  });
});

describe('wantsColour', () => {
  it('colours a terminal only, unless NO_COLOR is set or TERM is dumb', () => {
    const tty = { isTTY: true };
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(tty, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(tty, { TERM: 'dumb' })).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
  });
});
