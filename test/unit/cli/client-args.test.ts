import { describe, expect, it } from 'vitest';
import { parseClientArgs } from '../../../src/cli/client-args.js';

const HOST_FORMS =
  'expected a host name or an IP address such as 127.0.0.1, ::1 or [::1]';

describe('parseClientArgs', () => {
  it('accepts a host and a port', () => {
    expect(parseClientArgs(['127.0.0.1', '3333'])).toEqual({
      kind: 'connect',
      host: '127.0.0.1',
      port: 3333
    });
  });

  it('accepts the port range ends and a bracketed IPv6 host', () => {
    expect(parseClientArgs(['[::1]', '1'])).toEqual({
      kind: 'connect',
      host: '::1',
      port: 1
    });
    expect(parseClientArgs(['localhost', '65535'])).toMatchObject({
      port: 65535
    });
  });

  it('takes arguments after -- as positionals', () => {
    expect(parseClientArgs(['--', 'host', '80'])).toMatchObject({
      kind: 'connect',
      host: 'host',
      port: 80
    });
  });

  it.each([['--help'], ['-h'], ['127.0.0.1', 'abc', '--help']])(
    'asks for help given %j',
    (...argv: string[]) => {
      expect(parseClientArgs(argv)).toEqual({ kind: 'help' });
    }
  );

  it.each([['--version'], ['-v'], ['127.0.0.1', '3333', '--version']])(
    'asks for the version given %j',
    (...argv: string[]) => {
      expect(parseClientArgs(argv)).toEqual({ kind: 'version' });
    }
  );

  it.each([
    [[], 'missing HOST and PORT'],
    [['127.0.0.1'], 'missing PORT'],
    [['127.0.0.1', 'abc'], 'invalid port "abc" (expected 1-65535)'],
    [['127.0.0.1', '0'], 'invalid port "0" (expected 1-65535)'],
    [['127.0.0.1', '65536'], 'invalid port "65536" (expected 1-65535)'],
    [['127.0.0.1', '33.5'], 'invalid port "33.5" (expected 1-65535)'],
    [['127.0.0.1', '1e3'], 'invalid port "1e3" (expected 1-65535)'],
    [['127.0.0.1', ''], 'invalid port "" (expected 1-65535)'],
    [['127.0.0.1', '-1'], 'invalid port "-1" (expected 1-65535)'],
    [['', '3333'], `invalid host "" (${HOST_FORMS})`],
    [['[]', '3333'], `invalid host "[]" (${HOST_FORMS})`],
    [['[127.0.0.1]', '3333'], `invalid host "[127.0.0.1]" (${HOST_FORMS})`],
    [['127.0.0.1', '3333', 'extra'], 'unexpected argument "extra"'],
    [['--port', '3333'], 'unknown option "--port"'],
    [['-x', '127.0.0.1', '3333'], 'unknown option "-x"']
  ])('rejects %j with one reason', (argv, reason) => {
    expect(parseClientArgs(argv)).toEqual({ kind: 'invalid', reason });
  });
});
