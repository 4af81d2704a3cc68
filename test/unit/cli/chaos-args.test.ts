/**
 * chat-chaos's arguments, the HOST, size and PORT forms it shares with
 * chat-server (issue 15, item 8), and --version.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { main } from '../../../src/cli/chaos.js';
import { CHAOS_USAGE, parseChaosArgs } from '../../../src/cli/chaos-args.js';
import { SIZE_GRAMMAR } from '../../../src/cli/size.js';
import { packageVersion } from '../../../src/cli/version.js';
import { FAULT_KINDS } from '../../../src/tools/chaos/types.js';

const seed = (): number => 99;

function error(argv: string[]): string {
  try {
    parseChaosArgs(argv, seed);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

function optionsOf(argv: string[]) {
  const command = parseChaosArgs(argv, seed);
  if (command.kind !== 'run') throw new Error('expected a run command');
  return command.options;
}

describe('parseChaosArgs', () => {
  it('fills in bounded defaults and a random seed', () => {
    expect(parseChaosArgs(['127.0.0.1', '3333'], seed)).toEqual({
      kind: 'run',
      json: false,
      options: {
        host: '127.0.0.1',
        port: 3333,
        scenarios: [...FAULT_KINDS],
        durationMs: 30_000,
        clients: 20,
        observers: 5,
        rate: 2,
        seed: 99,
        maxConnections: 200,
        maxBytes: 64 * 1024 * 1024,
        rooms: 1,
        roomObservers: 0
      }
    });
  });

  it('draws a seed when none is given', () => {
    const a = parseChaosArgs(['::1', '1']);
    expect(a.kind === 'run' && Number.isInteger(a.options.seed)).toBe(true);
  });

  it('takes every option', () => {
    const command = parseChaosArgs(
      [
        'localhost',
        '4000',
        '--scenario',
        'flood, reset',
        '--duration',
        '2m',
        '--clients',
        '7',
        '--observers',
        '3',
        '--rate',
        '5',
        '--seed',
        '4294967295',
        '--max-connections',
        '50',
        '--max-bytes',
        '2MiB',
        '--rooms',
        '4',
        '--room-observers',
        '6',
        '--json'
      ],
      seed
    );
    expect(command).toEqual({
      kind: 'run',
      json: true,
      options: {
        host: 'localhost',
        port: 4000,
        scenarios: ['reset', 'flood'],
        durationMs: 120_000,
        clients: 7,
        observers: 3,
        rate: 5,
        seed: 4294967295,
        maxConnections: 50,
        maxBytes: 2 * 1024 * 1024,
        rooms: 4,
        roomObservers: 6
      }
    });
  });

  it('puts three room observers in each room unless told', () => {
    expect(optionsOf(['h', '1', '--rooms', '3'])).toMatchObject({
      rooms: 3,
      roomObservers: 9
    });
  });

  it('answers --help', () => {
    expect(parseChaosArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [[], 'expected HOST and PORT, e.g. chat-chaos 127.0.0.1 3333'],
    [['127.0.0.1'], 'expected HOST and PORT, e.g. chat-chaos 127.0.0.1 3333'],
    [['h', '1', 'x'], 'too many arguments: x'],
    [['h', '0'], 'invalid port "0" (expected an integer from 1 to 65535)'],
    [
      ['h', '1', '--scenario', 'reset,nope'],
      'unknown scenario "nope" (expected all or some of reset, half-close, stall, slow, slicer, flood, oversize, garbage, churn, latency, blackhole)'
    ],
    [
      ['h', '1', '--duration', '11m'],
      'invalid duration "11m" (expected 1s to 10m, such as 30s or 5m)'
    ],
    [
      ['h', '1', '--duration', '500ms'],
      'invalid duration "500ms" (expected 1s to 10m, such as 30s or 5m)'
    ],
    [
      ['h', '1', '--rate', '11'],
      'invalid rate "11" (expected an integer from 0 to 10 lines per second)'
    ],
    [
      ['h', '1', '--observers', '0'],
      'invalid observers "0" (expected an integer from 1 to 50)'
    ],
    [
      ['h', '1', '--clients', '-1'],
      'option --clients needs a value; write --clients=VALUE for one starting with "-"'
    ],
    [
      ['h', '1', '--seed', '1.5'],
      'invalid seed "1.5" (expected an integer from 0 to 4294967295)'
    ],
    [
      ['h', '1', '--max-connections', '6'],
      'invalid max connections "6" (expected an integer from 7 to 10000)'
    ],
    [
      ['h', '1', '--max-bytes', '5MB'],
      'invalid max bytes "5MB" (expected a size from 1 to 1GiB: bytes, or a whole number with k, m, g, KiB, MiB or GiB)'
    ],
    [['h', '1', '--bogus'], 'unknown option "--bogus"'],
    [
      ['h', '1', '--rooms', '0'],
      'invalid rooms "0" (expected an integer from 1 to 20)'
    ],
    [
      ['h', '1', '--rooms', '21'],
      'invalid rooms "21" (expected an integer from 1 to 20)'
    ],
    [
      ['h', '1', '--room-observers', '4'],
      '--room-observers needs --rooms above 1'
    ],
    [
      ['h', '1', '--rooms', '2', '--room-observers', '1'],
      'invalid room observers "1" (expected an integer from 2 to 60)'
    ],
    [
      ['h', '1', '--rooms', '2', '--max-connections', '12'],
      'invalid max connections "12" (expected an integer from 13 to 10000)'
    ]
  ])('rejects %j with one line', (argv, message) => {
    const got = error(argv);
    expect(got).toBe(message);
    expect(got).not.toContain('\n');
  });
});

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
    expect(error(argv)).toBe(message);
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

describe('parseChaosArgs transports (issue 18)', () => {
  const options = (argv: string[]) => {
    const command = parseChaosArgs(['127.0.0.1', '6697', ...argv], seed);
    if (command.kind !== 'run') throw new Error('expected a run');
    return command.options;
  };

  it('is plain TCP unless told, with nothing about TLS', () => {
    const o = options([]);
    expect(o.transport).toBeUndefined();
    expect(o.ca).toBeUndefined();
    expect(o.insecure).toBeUndefined();
  });

  it('takes --tls with --ca FILE or --insecure', () => {
    expect(options(['--tls'])).toMatchObject({ transport: 'tls' });
    expect(options(['--tls', '--ca', 'ca.pem'])).toMatchObject({
      transport: 'tls',
      ca: 'ca.pem'
    });
    expect(options(['--tls', '--insecure'])).toMatchObject({
      transport: 'tls',
      insecure: true
    });
  });

  it('takes --ws, and --ws with --tls as wss', () => {
    expect(options(['--ws'])).toMatchObject({ transport: 'ws' });
    expect(options(['--ws', '--tls', '--ca', 'ca.pem'])).toMatchObject({
      transport: 'wss',
      ca: 'ca.pem'
    });
  });

  it('refuses --ca or --insecure without --tls, and both together', () => {
    expect(error(['127.0.0.1', '1', '--ca', 'ca.pem'])).toBe(
      '--ca needs --tls'
    );
    expect(error(['127.0.0.1', '1', '--ws', '--insecure'])).toBe(
      '--insecure needs --tls'
    );
    expect(
      error(['127.0.0.1', '1', '--tls', '--ca', 'ca.pem', '--insecure'])
    ).toBe('--ca and --insecure contradict each other (verify, or do not)');
    expect(error(['127.0.0.1', '1', '--tls', '--ca', ''])).toBe(
      '--ca needs a FILE'
    );
  });

  it('names the transport options in --help', () => {
    for (const flag of ['--tls', '--ca FILE', '--insecure', '--ws'])
      expect(CHAOS_USAGE).toContain(`  ${flag} `);
  });
});
