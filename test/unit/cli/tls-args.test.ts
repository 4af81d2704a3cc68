import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { parseServerArgs } from '../../../src/cli/server-args.js';

/** The listeners `argv` asks for. */
function listeners(argv: string[]) {
  const command = parseServerArgs(argv);
  if (command.kind !== 'run') throw new Error('expected a run');
  return command.config.listeners;
}

/** The one-line message `argv` is rejected with. */
function rejected(argv: string[]): string {
  try {
    parseServerArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be rejected`);
}

const FILES = ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'];

describe('TLS options', () => {
  it('reads a TLS port with the plain listener kept', () => {
    expect(listeners(['--tls', '6697', ...FILES])).toEqual({
      plain: true,
      tls: {
        port: 6697,
        cert: 'c.pem',
        key: 'k.pem',
        clientAuth: false,
        handshakeTimeoutMs: 10_000
      }
    });
  });

  it('reads HOST:PORT, client auth, the timeout and --no-plain', () => {
    expect(
      listeners([
        '--tls',
        '[::1]:6697',
        ...FILES,
        '--tls-ca',
        'ca.pem',
        '--tls-client-auth',
        '--tls-handshake-timeout',
        '500ms',
        '--no-plain'
      ])
    ).toEqual({
      plain: false,
      tls: {
        host: '::1',
        port: 6697,
        cert: 'c.pem',
        key: 'k.pem',
        ca: 'ca.pem',
        clientAuth: true,
        handshakeTimeoutMs: 500
      }
    });
  });

  it.each([
    [['--tls', '6697'], '--tls needs --tls-cert FILE'],
    [['--tls', '6697', '--tls-cert', 'c.pem'], '--tls needs --tls-key FILE'],
    [['--tls-cert', 'c.pem'], '--tls-cert applies to --tls; give it too'],
    [['--no-plain'], '--no-plain needs another listener: --tls or --ws'],
    [
      ['--tls', '6697', ...FILES, '--tls-client-auth'],
      '--tls-client-auth needs --tls-ca FILE'
    ],
    [
      ['--tls', 'nope', ...FILES],
      'invalid --tls "nope" (expected PORT or HOST:PORT, such as 6697 or 127.0.0.1:6697)'
    ],
    [
      ['--tls', '6697', ...FILES, '--tls-handshake-timeout', '0'],
      'invalid tls handshake timeout "0" (expected a duration such as 10s or 500ms, up to 24h)'
    ]
  ])('rejects %j in one line', (argv, message) => {
    expect(rejected(argv)).toBe(message);
  });
});
