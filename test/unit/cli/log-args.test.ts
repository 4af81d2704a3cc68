import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { DEFAULT_LOG_ROTATION } from '../../../src/app/logger.js';
import { SERVER_USAGE, parseServerArgs } from '../../../src/cli/server-args.js';

const KIB = 1024;
const FILE = ['--log-file', '/var/log/chat.log'];

/** The log settings `parseServerArgs(argv)` runs with; fails the test otherwise. */
function logOf(argv: string[]) {
  const command = parseServerArgs(argv);
  if (command.kind !== 'run') throw new Error('expected a run command');
  const { logFile, logRotation } = command.config;
  return { logFile, logRotation };
}

/** The one-line UsageError message `parseServerArgs(argv)` throws. */
function usageError(argv: string[]): string {
  let thrown: unknown;
  try {
    parseServerArgs(argv);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(UsageError);
  const { message } = thrown as UsageError;
  expect(message).not.toContain('\n');
  return message;
}

describe('parseServerArgs log rotation', () => {
  it('rotates at 10 MiB and keeps 10 files by default', () => {
    expect(logOf(FILE)).toEqual({
      logFile: '/var/log/chat.log',
      logRotation: { maxBytes: 10 * KIB * KIB, keep: { files: 10 } }
    });
    expect(logOf([]).logRotation).toBe(DEFAULT_LOG_ROTATION);
  });

  it.each([
    ['500k', 500 * KIB],
    ['10m', 10 * KIB * KIB],
    ['10M', 10 * KIB * KIB],
    ['1g', KIB ** 3],
    ['1024g', KIB ** 4],
    ['1k', KIB],
    ['1024', KIB],
    ['2000000', 2_000_000],
    // One size grammar in every program (issue 15): chat-chaos's IEC units.
    ['64KiB', 64 * KIB],
    ['64MiB', 64 * KIB * KIB],
    ['64mib', 64 * KIB * KIB],
    ['1GiB', KIB ** 3],
    ['1024GIB', KIB ** 4]
  ])('reads --log-max-size %s as %d bytes', (raw, bytes) => {
    expect(logOf([...FILE, '--log-max-size', raw]).logRotation).toEqual({
      maxBytes: bytes,
      keep: { files: 10 }
    });
  });

  it.each([
    '0',
    '0k',
    '1023',
    '1025g',
    '1025GiB',
    '1t',
    '1.5m',
    '10 m',
    'm',
    'MiB',
    '',
    '-1m',
    '10mb',
    '1kb',
    '1Ki'
  ])('rejects --log-max-size %j', (raw) => {
    expect(usageError([...FILE, `--log-max-size=${raw}`])).toBe(
      `invalid log max size "${raw}" (expected a size from 1KiB to 1024GiB: bytes, or a whole number with k, m, g, KiB, MiB or GiB)`
    );
  });

  it.each([
    ['0', { files: 0 }],
    ['3', { files: 3 }],
    ['100000', { files: 100_000 }],
    ['1d', { days: 1 }],
    ['14d', { days: 14 }],
    ['36500d', { days: 36_500 }]
  ])('reads --log-max-files %s', (raw, keep) => {
    expect(logOf([...FILE, '--log-max-files', raw]).logRotation).toEqual({
      maxBytes: 10 * KIB * KIB,
      keep
    });
  });

  it.each(['0d', '100001', '36501d', '14D', '2w', '1.5', 'd', '', '-1', ' 3'])(
    'rejects --log-max-files %j',
    (raw) => {
      expect(usageError([...FILE, `--log-max-files=${raw}`])).toBe(
        `invalid log max files "${raw}" (expected a number of files from 0 to 100000, 0 keeping all, or of days from 1d to 36500d)`
      );
    }
  );

  it('reads both options together', () => {
    expect(
      logOf([...FILE, '--log-max-size', '1m', '--log-max-files', '7d'])
        .logRotation
    ).toEqual({ maxBytes: KIB * KIB, keep: { days: 7 } });
  });

  it.each([
    [['--log-max-size', '1m']],
    [['--log-max-files', '3']],
    [['--log-max-files', '3', '--log-max-size', '1m']]
  ])('rejects %j without --log-file', (argv) => {
    expect(usageError(argv)).toBe(
      '--log-max-size and --log-max-files apply to --log-file; give it too'
    );
  });

  it.each([
    '/tmp/chat:1.log',
    '/tmp/chat?.log',
    '/tmp/chat*.log',
    'C:\\logs\\chat.log',
    '/tmp/a|b/chat.log',
    '/tmp/<dir>/chat.log',
    '/tmp/"chat".log',
    '/tmp/chat\n.log',
    '/tmp/chat\u0007.log'
  ])('rejects the log file %j in one line', (file) => {
    expect(usageError(['--log-file', file])).toBe(
      `invalid log file ${JSON.stringify(file)} (a path may not hold control characters or " < > |, nor a file name : * ? \\)`
    );
  });

  it('accepts a directory name with a colon and a relative path', () => {
    expect(logOf(['--log-file', '/tmp/a:b/chat.log']).logFile).toBe(
      '/tmp/a:b/chat.log'
    );
    expect(logOf(['--log-file', 'chat.log']).logFile).toBe('chat.log');
  });

  it('shows both options and their defaults in --help', () => {
    expect(SERVER_USAGE).toMatch(
      /--log-max-size SIZE .*\n.*500k, 10m or 1g\n.*\(default 10MiB\)/
    );
    expect(SERVER_USAGE).toMatch(/--log-max-files N\|Nd .*\n.*\(default 10\)/);
  });
});
