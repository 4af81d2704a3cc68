/**
 * chat-chaos takes the server's HOST, size and PORT forms, and --version
 * (issue 15, item 8). Its other arguments: test/unit/tools/chaos/chaos-args.test.ts.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { main } from '../../../src/cli/chaos.js';
import { CHAOS_USAGE, parseChaosArgs } from '../../../src/cli/chaos-args.js';
import { SIZE_GRAMMAR } from '../../../src/cli/size.js';
import { packageVersion } from '../../../src/cli/version.js';

const seed = (): number => 1;

function optionsOf(argv: string[]) {
  const command = parseChaosArgs(argv, seed);
  if (command.kind !== 'run') throw new Error('expected a run command');
  return command.options;
}

function usageError(argv: string[]): string {
  try {
    parseChaosArgs(argv, seed);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseChaosArgs forms shared with chat-server', () => {
  it.each([
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['127.0.0.1', '127.0.0.1']
  ])('connects to the HOST %j as %j', (raw, host) => {
    expect(optionsOf([raw, '3333'])).toMatchObject({ host, port: 3333 });
  });

  it.each([
    ['500k', 500 * 1024],
    ['10m', 10 * 1024 ** 2],
    ['10M', 10 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['64MiB', 64 * 1024 ** 2],
    ['65536', 65536]
  ])('reads --max-bytes %s as %d', (raw, bytes) => {
    expect(optionsOf(['h', '1', '--max-bytes', raw]).maxBytes).toBe(bytes);
  });

  it.each([
    [
      ['127.0.0.1', '-5'],
      'invalid port "-5" (expected an integer from 1 to 65535)'
    ],
    [
      ['[127.0.0.1]', '1'],
      'invalid host "[127.0.0.1]" (expected a host name or an IP address such as 127.0.0.1, ::1 or [::1])'
    ],
    [
      ['h', '1', '--max-bytes', '2g'],
      'invalid max bytes "2g" (expected a size from 1 to 1GiB: bytes, or a whole number with k, m, g, KiB, MiB or GiB)'
    ]
  ])('rejects %j in one line', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });

  it.each([['--version'], ['-v'], ['127.0.0.1', '1', '--version']])(
    'asks for the version given %j',
    (...argv: string[]) => {
      expect(parseChaosArgs(argv)).toEqual({ kind: 'version' });
    }
  );

  it('states the size grammar and --version in --help', () => {
    expect(CHAOS_USAGE).toContain(SIZE_GRAMMAR);
    expect(CHAOS_USAGE).toContain('-v, --version');
    expect(CHAOS_USAGE).toContain('(default 64MiB)');
    expect(CHAOS_USAGE.split('\n').filter((l) => l.length > 80)).toEqual([]);
  });
});

describe('chat-chaos --version', () => {
  it('prints the package version and exits 0', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const codes: number[] = [];
    await main(['--version'], {
      stdout,
      stderr,
      stderrIsTty: false,
      exit: (code) => codes.push(code)
    });
    expect(codes).toEqual([0]);
    expect(out).toBe(`${packageVersion()}\n`);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
