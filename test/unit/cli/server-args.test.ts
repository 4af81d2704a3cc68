import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { parseServerArgs } from '../../../src/cli/server-args.js';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 3333,
  logLevel: 'chat',
  logFile: undefined,
  maxLineBytes: 4096,
  shutdownTimeoutMs: 5000
};

/** The UsageError `parseServerArgs(argv)` throws; fails the test if none. */
function usageError(argv: string[]): UsageError {
  try {
    parseServerArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be rejected`);
}

describe('parseServerArgs', () => {
  it('uses the defaults with no arguments', () => {
    expect(parseServerArgs([])).toEqual({ kind: 'run', config: DEFAULTS });
  });

  it('accepts HOST PORT', () => {
    expect(parseServerArgs(['0.0.0.0', '4000'])).toEqual({
      kind: 'run',
      config: { ...DEFAULTS, host: '0.0.0.0', port: 4000 }
    });
  });

  it('takes a single all-digit argument as the port', () => {
    expect(parseServerArgs(['4000'])).toEqual({
      kind: 'run',
      config: { ...DEFAULTS, port: 4000 }
    });
  });

  it('takes a single other argument as the host', () => {
    expect(parseServerArgs(['localhost'])).toMatchObject({
      config: { host: 'localhost', port: 3333 }
    });
  });

  it('accepts an IPv6 host', () => {
    expect(parseServerArgs(['::1'])).toMatchObject({
      config: { host: '::1', port: 3333 }
    });
    expect(parseServerArgs(['::1', '0'])).toMatchObject({
      config: { host: '::1', port: 0 }
    });
  });

  it('accepts the port range ends', () => {
    expect(parseServerArgs(['0'])).toMatchObject({ config: { port: 0 } });
    expect(parseServerArgs(['65535'])).toMatchObject({
      config: { port: 65535 }
    });
  });

  it('reads every option', () => {
    expect(
      parseServerArgs([
        '--log-level',
        'debug',
        '--log-file',
        '/tmp/chat.log',
        '--max-line-bytes',
        '10',
        '--shutdown-timeout-ms',
        '0',
        '::',
        '9000'
      ])
    ).toEqual({
      kind: 'run',
      config: {
        host: '::',
        port: 9000,
        logLevel: 'debug',
        logFile: '/tmp/chat.log',
        maxLineBytes: 10,
        shutdownTimeoutMs: 0
      }
    });
  });

  it.each([['--help'], ['-h'], ['127.0.0.1', 'abc', '--help']])(
    'asks for help given %j',
    (...argv: string[]) => {
      expect(parseServerArgs(argv)).toEqual({ kind: 'help' });
    }
  );

  it.each([['--version'], ['-v']])('asks for the version given %j', (flag) => {
    expect(parseServerArgs([flag])).toEqual({ kind: 'version' });
  });

  it.each([
    [['127.0.0.1', 'abc'], '"abc"'],
    [['127.0.0.1', '70000'], '"70000"'],
    [['127.0.0.1', '-1'], '-1'],
    [['127.0.0.1', '33.5'], '"33.5"'],
    [['127.0.0.1', '4000', 'extra'], 'extra'],
    [['--bogus'], '--bogus'],
    [['-x'], '-x'],
    [['--log-level', 'loud'], '"loud"'],
    [['--log-level'], '--log-level'],
    [['--max-line-bytes', '0'], '"0"'],
    [['--max-line-bytes', '1048577'], '"1048577"'],
    [['--max-line-bytes', 'lots'], '"lots"'],
    [['--shutdown-timeout-ms', 'soon'], '"soon"'],
    [['', '4000'], 'host ""'],
    [[''], 'host ""'],
    [['--log-file', ''], 'log file ""']
  ])('rejects %j with a one-line message naming %s', (argv, named) => {
    const err = usageError(argv);
    expect(err.code).toBe('CHAT_ERR_USAGE');
    expect(err.message).toContain(named);
    expect(err.message).not.toContain('\n');
  });

  it('explains what a bad port should be', () => {
    expect(usageError(['127.0.0.1', '70000']).message).toBe(
      'invalid port "70000" (expected an integer from 0 to 65535)'
    );
  });

  it('lists the log levels for a bad log level', () => {
    expect(usageError(['--log-level', 'loud']).message).toBe(
      'invalid log level "loud" (expected one of error, warn, info, chat, debug)'
    );
  });

  it('names the surplus arguments', () => {
    expect(usageError(['a', '1', 'b', 'c']).message).toBe(
      'too many arguments: b c'
    );
  });
});
