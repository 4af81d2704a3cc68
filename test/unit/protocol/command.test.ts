import { describe, expect, it } from 'vitest';
import {
  isNickname,
  isRoomName,
  nameKey,
  parseInput
} from '../../../src/protocol/command.js';

describe('parseInput', () => {
  it('reads a line without a leading / as chat, exactly as v1 [CHAT-CMD-1]', () => {
    for (const text of [
      'hello',
      ' /not a command',
      'a/b',
      '[x] y',
      '/1.1',
      '/*',
      '/',
      '/ x',
      '/été',
      '/a.b'
    ])
      expect(parseInput(text)).toEqual({ type: 'chat.line', text });
  });

  it('reads //text as the chat line /text [CHAT-CMD-2]', () => {
    expect(parseInput('//join #x')).toEqual({
      type: 'chat.line',
      text: '/join #x'
    });
    expect(parseInput('//')).toEqual({ type: 'chat.line', text: '/' });
  });

  it('reads each command into its typed event', () => {
    expect(parseInput('/nick alice')).toEqual({
      type: 'cmd.nick',
      name: 'alice'
    });
    expect(parseInput('/NICK  Bob_2 ')).toEqual({
      type: 'cmd.nick',
      name: 'Bob_2'
    });
    expect(parseInput('/join #dev')).toEqual({
      type: 'cmd.join',
      room: '#dev'
    });
    expect(parseInput('/part')).toEqual({ type: 'cmd.part' });
    expect(parseInput('/rooms')).toEqual({ type: 'cmd.rooms', page: 1 });
    expect(parseInput('/rooms 3')).toEqual({ type: 'cmd.rooms', page: 3 });
    expect(parseInput('/who')).toEqual({ type: 'cmd.who' });
    expect(parseInput('/msg bob  hi  there ')).toEqual({
      type: 'cmd.msg',
      name: 'bob',
      text: 'hi  there'
    });
    expect(parseInput('/me waves  twice')).toEqual({
      type: 'cmd.me',
      text: 'waves  twice'
    });
    expect(parseInput('/quit')).toEqual({ type: 'cmd.quit' });
    expect(parseInput('/quit gone fishing')).toEqual({
      type: 'cmd.quit',
      reason: 'gone fishing'
    });
    expect(parseInput('/help')).toEqual({ type: 'cmd.help' });
    expect(parseInput('/help me')).toEqual({ type: 'cmd.help' });
  });

  it('turns what cannot run into one Error line saying what is allowed [CHAT-CMD-ERR]', () => {
    const errors: Array<[string, string]> = [
      ['/dance', 'Error: unknown command /dance; /help lists the commands'],
      ['/nick', 'Error: usage: /nick NAME'],
      ['/nick a b', 'Error: usage: /nick NAME'],
      [
        '/nick _x',
        'Error: invalid nickname _x; use 1-24 letters, digits, _ or -, starting with a letter'
      ],
      ['/join', 'Error: usage: /join #room'],
      [
        '/join #a.b',
        'Error: invalid room name #a.b; use # and 1-32 letters, digits, _ or -'
      ],
      ['/part now', 'Error: usage: /part'],
      ['/rooms 0', 'Error: usage: /rooms [PAGE]'],
      ['/who x', 'Error: usage: /who'],
      ['/msg', 'Error: usage: /msg NAME text'],
      ['/msg bob', 'Error: usage: /msg NAME text'],
      ['/me', 'Error: usage: /me text']
    ];
    for (const [line, message] of errors)
      expect(parseInput(line), line).toEqual({ type: 'cmd.invalid', message });
  });
});

describe('names', () => {
  it('accepts 1-24 letters, digits, _ and -, starting with a letter [CHAT-NICK-1]', () => {
    expect(isNickname('a')).toBe(true);
    expect(isNickname(`a${'-'.repeat(23)}`)).toBe(true);
    expect(isNickname(`a${'b'.repeat(24)}`)).toBe(false);
    expect(isNickname('1a')).toBe(false);
    expect(isNickname('é')).toBe(false);
    expect(isNickname('')).toBe(false);
  });

  it('accepts # and 1-32 letters, digits, _ and - as a room [CHAT-ROOM-1]', () => {
    expect(isRoomName('#a')).toBe(true);
    expect(isRoomName(`#${'9'.repeat(32)}`)).toBe(true);
    expect(isRoomName(`#${'9'.repeat(33)}`)).toBe(false);
    expect(isRoomName('#')).toBe(false);
    expect(isRoomName('a')).toBe(false);
  });

  it('compares names case-insensitively', () => {
    expect(nameKey('Alice')).toBe(nameKey('aLICE'));
  });
});
