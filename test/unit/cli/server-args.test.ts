import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { SERVER_USAGE, parseServerArgs } from '../../../src/cli/server-args.js';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 3333,
  logLevel: 'chat',
  logFile: undefined,
  logRotation: { maxBytes: 10 * 1024 * 1024, keep: { files: 10 } },
  limits: {
    maxLineBytes: 4096,
    sendQueueBytes: 1048576,
    sendQueueSoftBytes: 65536,
    stallTimeoutMs: 30_000,
    floodRate: 10,
    floodBurst: 20,
    idleTimeoutMs: 0,
    keepAliveMs: 60_000,
    maxConnections: 10_000,
    maxConnectionsPerIp: 32,
    perIpExempt: ['127.0.0.0/8', '::1/128'],
    listenBacklog: 4096,
    shutdownTimeoutMs: 5000
  },
  inspection: { admin: undefined, stately: undefined },
  listeners: { tls: undefined, plain: true }
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
        '--send-queue-bytes',
        '2000',
        '--send-queue-soft-bytes',
        '1000',
        '--stall-timeout',
        '500ms',
        '--flood-rate',
        '5',
        '--flood-burst',
        '7',
        '--idle-timeout',
        '5m',
        '--keepalive',
        '2h',
        '--max-connections',
        '100',
        '--max-connections-per-ip',
        '3',
        '--per-ip-exempt',
        '10.0.0.0/8,fd00::/8',
        '--listen-backlog',
        '1024',
        '--shutdown-timeout-ms',
        '0',
        '--admin',
        '[::1]:9444',
        '--admin-token',
        'sixteen-chars-xx',
        '--inspect-stately',
        'ws://127.0.0.1:8080',
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
        logRotation: DEFAULTS.logRotation,
        limits: {
          maxLineBytes: 10,
          sendQueueBytes: 2000,
          sendQueueSoftBytes: 1000,
          stallTimeoutMs: 500,
          floodRate: 5,
          floodBurst: 7,
          idleTimeoutMs: 300_000,
          keepAliveMs: 7_200_000,
          maxConnections: 100,
          maxConnectionsPerIp: 3,
          perIpExempt: ['10.0.0.0/8', 'fd00::/8'],
          listenBacklog: 1024,
          shutdownTimeoutMs: 0
        },
        inspection: {
          admin: { host: '::1', port: 9444, token: 'sixteen-chars-xx' },
          stately: 'ws://127.0.0.1:8080'
        },
        listeners: { tls: undefined, plain: true }
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
    [['--shutdown-timeout', 'soon'], '"soon"'],
    [['--stall-timeout'], '--stall-timeout'],
    [['--per-ip-exempt'], '--per-ip-exempt'],
    [['--keep-alive', '1s'], '--keep-alive'],
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

/** How a bad size's message names the units it takes. */
const SIZE_UNITS = 'bytes, or a whole number with k, m, g, KiB, MiB or GiB';

/** The limits `parseServerArgs(argv)` runs with; fails the test otherwise. */
function limitsOf(argv: string[]): Record<string, unknown> {
  const command = parseServerArgs(argv);
  if (command.kind !== 'run') throw new Error(`expected a run command`);
  return { ...command.config.limits };
}

describe('parseServerArgs limits', () => {
  it.each([
    ['--max-line-bytes', '1', { maxLineBytes: 1 }],
    ['--max-line-bytes', '1048576', { maxLineBytes: 1048576 }],
    ['--send-queue-bytes', '0', { sendQueueBytes: 0 }],
    ['--send-queue-bytes', '1073741824', { sendQueueBytes: 1073741824 }],
    ['--send-queue-soft-bytes', '0', { sendQueueSoftBytes: 0 }],
    ['--send-queue-soft-bytes', '1048576', { sendQueueSoftBytes: 1048576 }],
    ['--stall-timeout', '0', { stallTimeoutMs: 0 }],
    ['--stall-timeout', '250ms', { stallTimeoutMs: 250 }],
    ['--stall-timeout', '10', { stallTimeoutMs: 10_000 }],
    ['--stall-timeout', '10s', { stallTimeoutMs: 10_000 }],
    ['--flood-rate', '0', { floodRate: 0 }],
    ['--flood-rate', '1000000', { floodRate: 1_000_000 }],
    ['--flood-burst', '1', { floodBurst: 1 }],
    ['--flood-burst', '1000000', { floodBurst: 1_000_000 }],
    ['--idle-timeout', '0', { idleTimeoutMs: 0 }],
    ['--idle-timeout', '2m', { idleTimeoutMs: 120_000 }],
    ['--idle-timeout', '24h', { idleTimeoutMs: 86_400_000 }],
    ['--keepalive', '0', { keepAliveMs: 0 }],
    ['--keepalive', '1h', { keepAliveMs: 3_600_000 }],
    ['--max-connections', '1', { maxConnections: 1 }],
    ['--max-connections', '1000000', { maxConnections: 1_000_000 }],
    ['--max-connections-per-ip', '1', { maxConnectionsPerIp: 1 }],
    ['--max-connections-per-ip', '1000000', { maxConnectionsPerIp: 1_000_000 }],
    ['--listen-backlog', '1', { listenBacklog: 1 }],
    ['--listen-backlog', '65535', { listenBacklog: 65_535 }],
    ['--shutdown-timeout', '0', { shutdownTimeoutMs: 0 }],
    ['--shutdown-timeout', '1500ms', { shutdownTimeoutMs: 1500 }],
    ['--shutdown-timeout', '20', { shutdownTimeoutMs: 20_000 }],
    ['--shutdown-timeout', '1m', { shutdownTimeoutMs: 60_000 }],
    ['--shutdown-timeout-ms', '0', { shutdownTimeoutMs: 0 }],
    ['--shutdown-timeout-ms', '2500', { shutdownTimeoutMs: 2500 }],
    ['--shutdown-timeout-ms', '86400000', { shutdownTimeoutMs: 86_400_000 }]
  ])('accepts %s %s', (flag, value, expected) => {
    expect(limitsOf([flag, value])).toEqual({
      ...DEFAULTS.limits,
      ...expected
    });
  });

  it.each([
    ['--max-line-bytes', '0', 'max line bytes "0"', 'from 1 to 1MiB'],
    ['--max-line-bytes', '1025k', 'max line bytes "1025k"', 'from 1 to 1MiB'],
    [
      '--send-queue-bytes',
      '1073741825',
      'send queue bytes "1073741825"',
      'from 0 to 1GiB',
      '; 0 means no limit'
    ],
    [
      '--send-queue-bytes',
      '1MB',
      'send queue bytes "1MB"',
      'from 0 to 1GiB',
      '; 0 means no limit'
    ],
    [
      '--send-queue-soft-bytes',
      '-1',
      'send queue soft bytes "-1"',
      'from 0 to 1GiB',
      '; 0 means never pause reading'
    ],
    [
      '--send-queue-soft-bytes',
      '1.5k',
      'send queue soft bytes "1.5k"',
      'from 0 to 1GiB',
      '; 0 means never pause reading'
    ]
  ])('rejects the size %s %s', (flag, value, named, range, zero = '') => {
    // `=` so parseArgs takes "-1" as the value, not as an option.
    expect(usageError([`${flag}=${value}`]).message).toBe(
      `invalid ${named} (expected a size ${range}: ${SIZE_UNITS}${zero})`
    );
  });

  it.each([
    ['--max-line-bytes', '8k', { maxLineBytes: 8192 }],
    ['--max-line-bytes', '1MiB', { maxLineBytes: 1048576 }],
    ['--max-line-bytes', '1m', { maxLineBytes: 1048576 }],
    ['--send-queue-bytes', '1M', { sendQueueBytes: 1048576 }],
    ['--send-queue-bytes', '2MiB', { sendQueueBytes: 2097152 }],
    ['--send-queue-bytes', '1g', { sendQueueBytes: 1073741824 }],
    ['--send-queue-soft-bytes', '64KiB', { sendQueueSoftBytes: 65536 }],
    ['--send-queue-soft-bytes', '500k', { sendQueueSoftBytes: 512000 }]
  ])('accepts the size %s %s', (flag, value, expected) => {
    expect(limitsOf([flag, value])).toMatchObject(expected);
  });

  it.each([
    ['--flood-burst', '0', 'flood burst "0"', 'from 1 to 1000000)'],
    ['--flood-burst', 'many', 'flood burst "many"', 'from 1 to 1000000)'],
    ['--max-connections', '0', 'max connections "0"', 'from 1 to 1000000)'],
    [
      '--max-connections',
      '1000001',
      'max connections "1000001"',
      'from 1 to 1000000)'
    ],
    [
      '--max-connections-per-ip',
      '0',
      'max connections per IP "0"',
      'from 1 to 1000000)'
    ],
    ['--listen-backlog', '0', 'listen backlog "0"', 'from 1 to 65535)'],
    ['--listen-backlog', '65536', 'listen backlog "65536"', 'from 1 to 65535)'],
    [
      '--shutdown-timeout-ms',
      '86400001',
      'shutdown timeout "86400001"',
      'from 0 to 86400000 milliseconds; 0 means do not wait)'
    ],
    [
      '--shutdown-timeout-ms',
      '5s',
      'shutdown timeout "5s"',
      'from 0 to 86400000 milliseconds; 0 means do not wait)'
    ]
  ])('rejects %s %s', (flag, value, named, expected) => {
    // `=` so parseArgs takes "-1" as the value, not as an option.
    expect(usageError([`${flag}=${value}`]).message).toBe(
      `invalid ${named} (expected an integer ${expected}`
    );
  });

  it.each([
    ['--stall-timeout', 'stall timeout'],
    ['--idle-timeout', 'idle timeout'],
    ['--keepalive', 'keepalive']
  ])('rejects bad durations for %s', (flag, name) => {
    for (const value of ['5x', '-1s', '1.5s', '', '25h', '1d', ' 5s', 'ms']) {
      expect(usageError([`${flag}=${value}`]).message).toBe(
        `invalid ${name} "${value}" (expected a duration such as 500ms, 30s or 5m; 0 turns it off)`
      );
    }
  });

  it('rejects a negative value given as a separate argument', () => {
    expect(usageError(['--stall-timeout', '-1s']).message).toBe(
      'option --stall-timeout needs a value; write --stall-timeout=VALUE for one starting with "-"'
    );
  });

  it('says what 0 means for a bad shutdown timeout', () => {
    expect(usageError(['--shutdown-timeout', '5 s']).message).toBe(
      'invalid shutdown timeout "5 s" (expected a duration such as 500ms, 30s or 5m; 0 means do not wait)'
    );
  });

  it('rejects both spellings of the shutdown timeout', () => {
    expect(
      usageError(['--shutdown-timeout', '1s', '--shutdown-timeout-ms', '1000'])
        .message
    ).toBe(
      'give --shutdown-timeout or its old spelling --shutdown-timeout-ms, not both'
    );
  });

  it('rejects a soft send queue mark above the limit', () => {
    expect(
      usageError([
        '--send-queue-bytes',
        '1000',
        '--send-queue-soft-bytes',
        '1001'
      ]).message
    ).toBe(
      'send queue soft mark (1001 bytes) is above the send queue limit (1000 bytes)'
    );
  });

  it('halves a send queue limit below the default soft mark when no soft mark is given', () => {
    expect(parseServerArgs(['--send-queue-bytes', '1000'])).toMatchObject({
      config: { limits: { sendQueueBytes: 1000, sendQueueSoftBytes: 500 } }
    });
    expect(parseServerArgs(['--send-queue-bytes', '0'])).toMatchObject({
      config: { limits: { sendQueueBytes: 0, sendQueueSoftBytes: 65536 } }
    });
  });

  it.each([
    [['--send-queue-bytes', '1000', '--send-queue-soft-bytes', '1000']],
    [['--send-queue-bytes', '0', '--send-queue-soft-bytes', '1073741824']],
    [['--send-queue-bytes', '1000', '--send-queue-soft-bytes', '0']]
  ])('accepts the send queue marks %j', (argv) => {
    expect(() => parseServerArgs(argv)).not.toThrow();
  });

  it.each([
    ['none', []],
    ['', []],
    ['10.1.2.3', ['10.1.2.3']],
    ['192.168.0.0/16, 10.0.0.0/8', ['192.168.0.0/16', '10.0.0.0/8']],
    ['::1', ['::1']],
    ['2001:db8::/32,fe80::/10', ['2001:db8::/32', 'fe80::/10']],
    ['0.0.0.0/0,::/0', ['0.0.0.0/0', '::/0']]
  ])('reads --per-ip-exempt %j', (raw, expected) => {
    expect(limitsOf(['--per-ip-exempt', raw]).perIpExempt).toEqual(expected);
  });

  it.each([
    ['localhost', 'localhost'],
    ['10.0.0.0/33', '10.0.0.0/33'],
    ['2001:db8::/129', '2001:db8::/129'],
    ['10.0.0.0/8/8', '10.0.0.0/8/8'],
    ['10.0.0.0/x', '10.0.0.0/x'],
    ['10.0.0.1,,10.0.0.2', ''],
    ['10.0.0.1,none', 'none'],
    ['300.1.1.1', '300.1.1.1']
  ])('rejects --per-ip-exempt %j naming %j', (raw, entry) => {
    expect(usageError(['--per-ip-exempt', raw]).message).toBe(
      `invalid exempt address "${entry}" (expected an IP address or CIDR subnet such as 10.0.0.0/8)`
    );
  });
});

describe('SERVER_USAGE', () => {
  it('fits in 80 columns', () => {
    const long = SERVER_USAGE.split('\n').filter((line) => line.length > 80);
    expect(long).toEqual([]);
  });

  it('shows each default', () => {
    for (const text of [
      '1 to 1MiB\n',
      '(default 4KiB)',
      '(default 1MiB)',
      '(default 64KiB)',
      '(default 30s)',
      '(default 10)',
      '(default 20)',
      'long (default off)',
      '(default 60s)',
      '(default 10000)',
      '(default 32)',
      '127.0.0.0/8,::1/128)',
      '(default 5s;'
    ]) {
      expect(SERVER_USAGE).toContain(text);
    }
  });

  it('names every option under a limits section', () => {
    const perConnection = SERVER_USAGE.indexOf('Limits (per connection):');
    const perDaemon = SERVER_USAGE.indexOf('Limits (per daemon):');
    expect(perConnection).toBeGreaterThan(0);
    expect(perDaemon).toBeGreaterThan(perConnection);
    for (const option of [
      '--max-line-bytes SIZE',
      '--send-queue-bytes SIZE',
      '--send-queue-soft-bytes SIZE',
      '--stall-timeout DURATION',
      '--flood-rate N',
      '--flood-burst N',
      '--idle-timeout DURATION',
      '--keepalive DURATION'
    ]) {
      expect(SERVER_USAGE.indexOf(option)).toBeGreaterThan(perConnection);
      expect(SERVER_USAGE.indexOf(option)).toBeLessThan(perDaemon);
    }
    for (const option of [
      '--max-connections N',
      '--max-connections-per-ip N',
      '--per-ip-exempt LIST',
      '--listen-backlog N',
      '--shutdown-timeout DURATION',
      '--shutdown-timeout-ms N'
    ]) {
      expect(SERVER_USAGE.indexOf(option)).toBeGreaterThan(perDaemon);
    }
  });
});

describe('parseServerArgs HOST and PORT forms (issue 15)', () => {
  it.each([
    [['[::1]', '0'], '::1', 0],
    [['[::1]'], '::1', 3333],
    [['[::]', '4000'], '::', 4000],
    [['[fe80::1]', '1'], 'fe80::1', 1]
  ])('listens on the bracketed IPv6 host %j', (argv, host, port) => {
    expect(parseServerArgs(argv)).toMatchObject({ config: { host, port } });
  });

  it.each([
    [['127.0.0.1', '-5'], '-5'],
    [['-5'], '-5'],
    [['::1', '-1'], '-1'],
    [['127.0.0.1', '-1.5'], '-1.5'],
    [['127.0.0.1', '-5', '--log-level', 'info'], '-5'],
    [['--log-level', 'info', '127.0.0.1', '-5'], '-5']
  ])('calls a negative PORT in %j an invalid port', (argv, raw) => {
    expect(usageError(argv).message).toBe(
      `invalid port "${raw}" (expected an integer from 0 to 65535)`
    );
  });

  it('still asks for an attached value after an option', () => {
    expect(usageError(['127.0.0.1', '0', '--flood-rate', '-5']).message).toBe(
      'option --flood-rate needs a value; write --flood-rate=VALUE for one starting with "-"'
    );
  });

  it.each(['[127.0.0.1]', '[localhost]', '[::1', '::1]', ' ', ''])(
    'rejects the host %j in one line',
    (host) => {
      expect(usageError([host, '0']).message).toBe(
        `invalid host "${host}" (expected a host name or an IP address such as 127.0.0.1, ::1 or [::1])`
      );
    }
  );

  it('says to give the port of HOST:PORT on its own', () => {
    expect(usageError(['127.0.0.1:3333']).message).toBe(
      'invalid host "127.0.0.1:3333" (expected a host name or an IP address such as 127.0.0.1, ::1 or [::1]; give the port as an argument of its own)'
    );
  });
});
