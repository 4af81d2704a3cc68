/** Reading protocol v2 lines back (issue 17, docs/protocol.md "Commands (v2)"). */
import { describe, expect, it } from 'vitest';
import {
  isCommandLine,
  parseMemberLine
} from '../../../../src/tools/peers/member-line.js';

describe('parseMemberLine', () => {
  it.each([
    [
      'Connected to the chat server (1 user online)',
      { kind: 'greeting', count: 1 }
    ],
    [
      'Now in #dev (2 users online)',
      { kind: 'now-in', room: '#dev', count: 2 }
    ],
    [
      'New user alice (127.0.0.1:5) entered (3 users online)',
      { kind: 'join', label: 'alice (127.0.0.1:5)', count: 3 }
    ],
    [
      'The user [::1]:7 left: bye now (0 users online)',
      { kind: 'leave', label: '[::1]:7', count: 0 }
    ],
    [
      '127.0.0.1:5 is now known as alice',
      { kind: 'rename', old: '127.0.0.1:5', name: 'alice' }
    ],
    ['[You] hi', { kind: 'message', speaker: '', own: true, text: 'hi' }],
    [
      '[alice] hi',
      { kind: 'message', speaker: 'alice', own: false, text: 'hi' }
    ],
    [
      '[alice -> you] psst',
      { kind: 'private', way: 'in', peer: 'alice', text: 'psst' }
    ],
    [
      '[you -> bob] psst',
      { kind: 'private', way: 'out', peer: 'bob', text: 'psst' }
    ],
    [
      'Error: nickname bob is taken',
      { kind: 'error', text: 'nickname bob is taken' }
    ],
    ['Commands:', { kind: 'answer', raw: 'Commands:' }],
    ['Server shutting down', { kind: 'closing' }]
  ])('reads %j', (line, parsed) => {
    expect(parseMemberLine(line)).toEqual(parsed);
  });

  it.each([
    'Now in #dev (1 users online)',
    'New user 9bad (127.0.0.1:5) entered (1 user online)',
    '[not a name!] hi',
    'hello'
  ])('does not read %j', (line) => {
    expect(parseMemberLine(line).kind).toBe('unknown');
  });
});

describe('isCommandLine', () => {
  it.each([
    'Now in #dev (2 users online)',
    'alice is now known as bob',
    '[alice -> you] psst',
    '[alice] hi',
    'New user alice (127.0.0.1:5) entered (2 users online)',
    'Error: no such user bob',
    'Commands:'
  ])('knows %j as a v2 line', (line) => {
    expect(isCommandLine(line)).toBe(true);
  });

  it.each([
    'Connected to the chat server (1 user online)',
    'New user 127.0.0.1:5 entered (2 users online)',
    '[127.0.0.1:5] hi',
    '[[::1]:5] hi',
    '[You] hi',
    'Error: line too long (limit 4096 bytes); it was not relayed'
  ])('knows %j as a v1 line', (line) => {
    expect(isCommandLine(line)).toBe(false);
  });
});
