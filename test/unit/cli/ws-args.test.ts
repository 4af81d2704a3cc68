import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { parseWsArgs } from '../../../src/cli/ws-args.js';

/** The one-line message `values` are rejected with. */
function rejected(values: Parameters<typeof parseWsArgs>[0]): string {
  try {
    parseWsArgs(values);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error(`expected ${JSON.stringify(values)} to be rejected`);
}

describe('WebSocket options', () => {
  it('reads a port, HOST:PORT and the origins', () => {
    expect(parseWsArgs({})).toBeUndefined();
    expect(parseWsArgs({ ws: '8080' })).toEqual({ port: 8080 });
    expect(
      parseWsArgs({
        ws: '[::1]:8080',
        'ws-origin': 'https://chat.example.org, http://127.0.0.1:8080'
      })
    ).toEqual({
      host: '::1',
      port: 8080,
      origins: ['https://chat.example.org', 'http://127.0.0.1:8080']
    });
    expect(parseWsArgs({ ws: '0', 'ws-origin': '*' })).toEqual({
      port: 0,
      origins: ['*']
    });
  });

  it.each([
    [{ 'ws-origin': '*' }, '--ws-origin applies to --ws; give it too'],
    [
      { ws: 'nope' },
      'invalid --ws "nope" (expected PORT or HOST:PORT, such as 8080 or 127.0.0.1:8080)'
    ],
    [
      { ws: '8080', 'ws-origin': 'chat.example.org' },
      'invalid --ws-origin "chat.example.org" (expected an origin such as https://chat.example.org, or *)'
    ],
    [
      { ws: '8080', 'ws-origin': 'https://chat.example.org/path' },
      'invalid --ws-origin "https://chat.example.org/path" (expected an origin such as https://chat.example.org, or *)'
    ]
  ])('rejects %j in one line', (values, message) => {
    expect(rejected(values)).toBe(message);
  });
});
