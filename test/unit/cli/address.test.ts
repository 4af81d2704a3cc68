import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import {
  hostFrom,
  joinHostPort,
  parseHost,
  splitHostPort
} from '../../../src/cli/address.js';

describe('hostFrom', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['localhost', 'localhost'],
    ['chat.example.org', 'chat.example.org'],
    ['::1', '::1'],
    ['::', '::'],
    ['[::1]', '::1'],
    ['[::]', '::'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['[::ffff:127.0.0.1]', '::ffff:127.0.0.1']
  ])('reads %j as %j', (raw, host) => {
    expect(hostFrom(raw)).toBe(host);
  });

  it.each([
    '',
    ' ',
    ' 127.0.0.1',
    '[]',
    '[127.0.0.1]',
    '[localhost]',
    '[::1',
    '::1]',
    '[[::1]]',
    '127.0.0.1:3333',
    'localhost:3333',
    '-5',
    '-host'
  ])('rejects %j', (raw) => {
    expect(hostFrom(raw)).toBeNull();
  });
});

describe('parseHost', () => {
  it('returns the host without brackets', () => {
    expect(parseHost('[::1]')).toBe('::1');
  });

  it('throws one UsageError line for anything else', () => {
    expect(() => parseHost('[x]')).toThrow(UsageError);
    expect(() => parseHost('[x]')).toThrow(
      'invalid host "[x]" (expected a host name or an IP address such as 127.0.0.1, ::1 or [::1])'
    );
  });
});

describe('splitHostPort', () => {
  it.each([
    ['127.0.0.1:9333', { host: '127.0.0.1', port: '9333' }],
    ['localhost:1', { host: 'localhost', port: '1' }],
    ['[::1]:9333', { host: '::1', port: '9333' }],
    ['[::]:0', { host: '::', port: '0' }]
  ])('splits %j', (text, address) => {
    expect(splitHostPort(text)).toEqual(address);
  });

  it.each(['9333', '::1:9333', '[::1]', '[127.0.0.1]:1', '[x]:1', ':1', 'a:'])(
    'rejects %j',
    (text) => {
      expect(splitHostPort(text)).toBeNull();
    }
  );
});

describe('joinHostPort', () => {
  it('brackets an IPv6 host only', () => {
    expect(joinHostPort('::1', 3333)).toBe('[::1]:3333');
    expect(joinHostPort('127.0.0.1', 3333)).toBe('127.0.0.1:3333');
    expect(joinHostPort('localhost', 1)).toBe('localhost:1');
  });
});
