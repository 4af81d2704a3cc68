/**
 * `--admin`, `--admin-token` / CHAT_ADMIN_TOKEN and `--inspect-stately`
 * (src/cli/admin-args.ts; docs/inspector.md, "Starting it").
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import {
  ADMIN_TOKEN_ENV,
  parseAdminAddress,
  parseAdminArgs
} from '../../../src/cli/admin-args.js';

const TOKEN = '0123456789abcdef0123';

/** The UsageError `run` throws, checked to be one line; fails if none. */
function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const error = err as UsageError;
    expect(error.code).toBe('CHAT_ERR_USAGE');
    expect(error.message).not.toContain('\n');
    expect(error.message.length).toBeGreaterThan(0);
    return error;
  }
  throw new Error('expected a UsageError');
}

describe('parseAdminAddress', () => {
  it('reads a bare port as 127.0.0.1:PORT', () => {
    expect(parseAdminAddress('9333')).toEqual({
      host: '127.0.0.1',
      port: 9333
    });
    expect(parseAdminAddress('0')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('reads HOST:PORT and [IPv6]:PORT', () => {
    expect(parseAdminAddress('127.0.0.1:9333')).toEqual({
      host: '127.0.0.1',
      port: 9333
    });
    expect(parseAdminAddress('localhost:1')).toEqual({
      host: 'localhost',
      port: 1
    });
    expect(parseAdminAddress('[::1]:9333')).toEqual({
      host: '::1',
      port: 9333
    });
    expect(parseAdminAddress('0.0.0.0:65535')).toEqual({
      host: '0.0.0.0',
      port: 65535
    });
  });

  it.each([
    [
      '[foo]:1',
      'invalid --admin "[foo]:1" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ],
    [
      'host',
      'invalid --admin "host" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ],
    [':1', 'invalid --admin ":1" (expected PORT, HOST:PORT or [IPv6]:PORT)'],
    [
      '::1:9333',
      'invalid --admin "::1:9333" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ],
    [
      '[::1]',
      'invalid --admin "[::1]" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ],
    [
      '127.0.0.1:',
      'invalid --admin "127.0.0.1:" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ],
    [
      '[127.0.0.1]:1',
      'invalid --admin "[127.0.0.1]:1" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ],
    ['', 'invalid --admin "" (expected PORT, HOST:PORT or [IPv6]:PORT)'],
    [
      '1:99999',
      'invalid admin port "99999" (expected an integer from 0 to 65535)'
    ],
    [
      '65536',
      'invalid admin port "65536" (expected an integer from 0 to 65535)'
    ],
    [
      '127.0.0.1:-1',
      'invalid --admin "127.0.0.1:-1" (expected PORT, HOST:PORT or [IPv6]:PORT)'
    ]
  ])('rejects %j in one line', (text, message) => {
    expect(usageError(() => parseAdminAddress(text)).message).toBe(message);
  });
});

describe('parseAdminArgs', () => {
  it('leaves everything off when nothing is asked for', () => {
    expect(parseAdminArgs({}, {})).toEqual({
      admin: undefined,
      stately: undefined
    });
  });

  it('ignores CHAT_ADMIN_TOKEN without --admin', () => {
    expect(parseAdminArgs({}, { [ADMIN_TOKEN_ENV]: TOKEN })).toEqual({
      admin: undefined,
      stately: undefined
    });
  });

  it('serves loopback without a token', () => {
    for (const admin of [
      '9333',
      '127.0.0.1:9333',
      '127.1.2.3:9333',
      'localhost:9333',
      '[::1]:9333'
    ]) {
      expect(parseAdminArgs({ admin }, {}).admin?.token, admin).toBeUndefined();
    }
    expect(parseAdminArgs({ admin: '[::1]:9333' }, {})).toEqual({
      admin: { host: '::1', port: 9333, token: undefined },
      stately: undefined
    });
  });

  it('requires a token off loopback', () => {
    expect(
      usageError(() => parseAdminArgs({ admin: '0.0.0.0:9333' }, {})).message
    ).toBe(
      '--admin on 0.0.0.0 (not loopback) needs --admin-token or CHAT_ADMIN_TOKEN'
    );
    expect(
      usageError(() => parseAdminArgs({ admin: '[::]:9333' }, {})).message
    ).toBe(
      '--admin on :: (not loopback) needs --admin-token or CHAT_ADMIN_TOKEN'
    );
    expect(
      usageError(() => parseAdminArgs({ admin: 'example.com:9333' }, {}))
        .message
    ).toContain('needs --admin-token');
    expect(
      parseAdminArgs({ admin: '0.0.0.0:9333', 'admin-token': TOKEN }, {})
    ).toEqual({
      admin: { host: '0.0.0.0', port: 9333, token: TOKEN },
      stately: undefined
    });
  });

  it('takes the token from CHAT_ADMIN_TOKEN, the option winning over it', () => {
    expect(
      parseAdminArgs({ admin: '0.0.0.0:9333' }, { [ADMIN_TOKEN_ENV]: TOKEN })
        .admin
    ).toEqual({ host: '0.0.0.0', port: 9333, token: TOKEN });
    const other = 'fedcba9876543210fedc';
    expect(
      parseAdminArgs(
        { admin: '9333', 'admin-token': other },
        { [ADMIN_TOKEN_ENV]: TOKEN }
      ).admin?.token
    ).toBe(other);
  });

  it('rejects a token shorter than 16 characters, from the option or the environment', () => {
    const short = 'fifteen-chars-x';
    expect(
      usageError(() =>
        parseAdminArgs({ admin: '9333', 'admin-token': short }, {})
      ).message
    ).toBe('admin token too short (at least 16 characters)');
    expect(
      usageError(() =>
        parseAdminArgs({ admin: '9333' }, { [ADMIN_TOKEN_ENV]: short })
      ).message
    ).toBe('admin token too short (at least 16 characters)');
    usageError(() => parseAdminArgs({ admin: '9333', 'admin-token': '' }, {}));
    expect(
      parseAdminArgs({ admin: '9333', 'admin-token': 'sixteen-chars-xx' }, {})
        .admin?.token
    ).toBe('sixteen-chars-xx');
  });

  it('rejects --admin-token without --admin', () => {
    expect(
      usageError(() => parseAdminArgs({ 'admin-token': TOKEN }, {})).message
    ).toBe('--admin-token needs --admin');
  });

  it('rejects a bad --admin address through parseAdminAddress', () => {
    expect(
      usageError(() => parseAdminArgs({ admin: 'host' }, {})).message
    ).toBe('invalid --admin "host" (expected PORT, HOST:PORT or [IPv6]:PORT)');
  });

  it('takes a ws:// or wss:// --inspect-stately URL, with or without --admin', () => {
    expect(
      parseAdminArgs({ 'inspect-stately': 'ws://localhost:8080' }, {})
    ).toEqual({ admin: undefined, stately: 'ws://localhost:8080' });
    expect(
      parseAdminArgs(
        { admin: '9333', 'inspect-stately': 'wss://inspect.example/relay' },
        {}
      ).stately
    ).toBe('wss://inspect.example/relay');
  });

  it.each([
    'http://localhost:8080',
    'localhost:8080',
    'ws://',
    'ws:///x',
    '',
    'ws:// host'
  ])('rejects --inspect-stately %j in one line', (url) => {
    expect(
      usageError(() => parseAdminArgs({ 'inspect-stately': url }, {})).message
    ).toBe(`invalid --inspect-stately "${url}" (expected ws://HOST:PORT)`);
  });
});
