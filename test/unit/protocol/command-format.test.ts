import { describe, expect, it } from 'vitest';
import {
  COMMAND_ERRORS,
  formatNowIn,
  formatPrivateIn,
  formatPrivateOut,
  formatRename,
  isSpeakerName,
  parseNickRefusal,
  parseNowIn,
  parsePrivate,
  parseRename
} from '../../../src/protocol/command-format.js';
import { formatOwn, formatRelayed } from '../../../src/protocol/format.js';

describe('command line parsers', () => {
  it('names members by nickname or by the ADDR the server writes', () => {
    for (const name of ['alice', 'B-2_x', '127.0.0.1:5001', '[::1]:5001'])
      expect(isSpeakerName(name)).toBe(true);
    for (const name of ['alice]', '[::1]', '1abc', '127.0.0.1', 'you] x', ''])
      expect(isSpeakerName(name)).toBe(false);
  });

  it('reads back what formatNowIn writes, and nothing else [CHAT-CMD-JOIN]', () => {
    expect(parseNowIn(formatNowIn('#dev', 1))).toEqual({
      room: '#dev',
      count: 1
    });
    expect(parseNowIn(formatNowIn('#lobby', 12))).toEqual({
      room: '#lobby',
      count: 12
    });
    for (const line of [
      'Now in #dev (1 users online)',
      'Now in #dev (007 users online)',
      'Now in dev (2 users online)',
      'Now in #dev (2 users online) ',
      '[bob] Now in #dev (2 users online)',
      formatRelayed('127.0.0.1:5001', formatNowIn('#x', 2))
    ])
      expect(parseNowIn(line)).toBeNull();
  });

  it('reads back what formatRename writes, and nothing else [CHAT-CMD-NICK]', () => {
    expect(parseRename(formatRename('127.0.0.1:5001', 'alice'))).toEqual({
      old: '127.0.0.1:5001',
      name: 'alice'
    });
    expect(parseRename(formatRename('alice', 'Alice'))).toEqual({
      old: 'alice',
      name: 'Alice'
    });
    for (const line of [
      'alice is now known as 9lives',
      'a b is now known as c',
      '* alice is now known as bob',
      formatRelayed('bob', 'bob is now known as alice')
    ])
      expect(parseRename(line)).toBeNull();
  });

  it('reads back both private lines [CHAT-CMD-MSG]', () => {
    expect(parsePrivate(formatPrivateIn('bob', 'hi there'))).toEqual({
      direction: 'in',
      name: 'bob',
      text: 'hi there'
    });
    expect(parsePrivate(formatPrivateIn('[::1]:5001', 'x'))).toEqual({
      direction: 'in',
      name: '[::1]:5001',
      text: 'x'
    });
    expect(parsePrivate(formatPrivateOut('bob', ''))).toEqual({
      direction: 'out',
      name: 'bob',
      text: ''
    });
  });

  it('takes no relayed line for a private one, whatever its sender wrote [CHAT-CMD-NOTICE]', () => {
    for (const line of [
      formatRelayed('alice', '-> you] x'),
      formatRelayed('127.0.0.1:5001', '-> you] x'),
      formatRelayed('[::1]:5001', '-> you] x'),
      formatRelayed('you', '-> alice] x'),
      formatOwn('-> you] x'),
      formatRelayed('alice', formatPrivateIn('bob', 'x')),
      '* alice [bob -> you] x',
      '[bob -> you]x',
      '[bob  -> you] x',
      '[1bob -> you] x',
      '[you -> 127.0.0.1:5001] x'
    ])
      expect(parsePrivate(line), line).toBeNull();
  });

  it('reads the refusals of /nick [CHAT-CMD-ERR]', () => {
    expect(parseNickRefusal(COMMAND_ERRORS.nickTaken('alice'))).toBe('alice');
    expect(parseNickRefusal(COMMAND_ERRORS.sameNick('Bob'))).toBe('Bob');
    expect(parseNickRefusal(COMMAND_ERRORS.noSuchUser('alice'))).toBeNull();
    expect(parseNickRefusal('Error: nickname alice is taken!')).toBeNull();
  });
});
