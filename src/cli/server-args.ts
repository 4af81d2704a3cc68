import { parseArgs } from 'node:util';
import { UsageError, errorCode } from '../app/errors.js';
import { DEFAULT_LIMITS, defaultSoftMark, type Limits } from '../app/limits.js';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../app/logger.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import { parseSubnet } from '../transport/admission.js';
import { MAX_DURATION_MS, formatDuration, parseDuration } from './duration.js';

/** The server's settings, from the command line. */
export interface ServerConfig {
  host: string;
  port: number;
  logLevel: LogLevel;
  logFile: string | undefined;
  limits: Limits;
}

/** What the command line asked for: run, or print help or the version. */
export type ServerCommand =
  | { kind: 'run'; config: ServerConfig }
  | { kind: 'help' }
  | { kind: 'version' };

const MAX_LINE_BYTES_CAP = 1024 * 1024;
const SEND_QUEUE_BYTES_CAP = 1024 * 1024 * 1024;
const COUNT_CAP = 1_000_000;

/** A default duration for the help text; `zero` is what 0 means there. */
function shown(ms: number, zero = 'off'): string {
  return ms === 0 ? zero : formatDuration(ms);
}

/** The `--help` text. */
export const SERVER_USAGE = `Usage: chat-server [HOST] [PORT] [options]

Runs the actor-chat daemon: a multi-user TCP chat, one room, one line per
message.

Arguments:
  HOST                        address to listen on (default ${DEFAULT_HOST};
                              ::1 or 0.0.0.0 also work)
  PORT                        TCP port, 0-65535 (default ${DEFAULT_PORT}; 0 picks a
                              free one). A single all-digit argument is
                              taken as PORT.

Options:
  --log-level LEVEL           error | warn | info | chat | debug (default
                              chat). chat shows every relayed message like
                              the original console; info hides them; debug
                              adds every state change.
  --log-file PATH             also write JSON lines with structured fields
                              to PATH
  -h, --help                  show this help
  -v, --version               show the version

Limits (per connection):
  --max-line-bytes N          longest accepted line in bytes, 1-${MAX_LINE_BYTES_CAP}
                              (default ${DEFAULT_LIMITS.maxLineBytes})
  --send-queue-bytes N        unsent bytes owed to one peer before it is
                              disconnected as a slow consumer; 0 = no limit
                              (default ${DEFAULT_LIMITS.sendQueueBytes})
  --send-queue-soft-bytes N   pause reading from a peer owed more than this
                              until it catches up; 0 = never pause
                              (default ${DEFAULT_LIMITS.sendQueueSoftBytes})
  --stall-timeout DURATION    disconnect as a slow consumer a peer that
                              takes none of the bytes it is owed for this
                              long (default ${shown(DEFAULT_LIMITS.stallTimeoutMs)})
  --flood-rate N              lines per second a peer may send before its
                              input is paced; 0 = no pacing (default ${DEFAULT_LIMITS.floodRate})
  --flood-burst N             lines a peer may send at once before pacing
                              starts (default ${DEFAULT_LIMITS.floodBurst})
  --idle-timeout DURATION     disconnect a peer that sends nothing for this
                              long (default ${shown(DEFAULT_LIMITS.idleTimeoutMs)})
  --keepalive DURATION        TCP keepalive: how long a connection is idle
                              before the first probe (default ${shown(DEFAULT_LIMITS.keepAliveMs)})

Limits (per daemon):
  --max-connections N         open connections in all (default ${DEFAULT_LIMITS.maxConnections})
  --max-connections-per-ip N  open connections from one address (default ${DEFAULT_LIMITS.maxConnectionsPerIp})
  --per-ip-exempt LIST        comma-separated addresses or CIDR subnets the
                              per-address limit skips, or none (default
                              ${DEFAULT_LIMITS.perIpExempt.join(',') || 'none'})
  --shutdown-timeout DURATION on SIGINT/SIGTERM, how long to wait for queued
                              output to flush before resetting what is left
                              (default ${shown(DEFAULT_LIMITS.shutdownTimeoutMs, '0')}; 0 = do not wait).
                              --shutdown-timeout-ms N is the old spelling,
                              in milliseconds.

DURATION is an integer with a unit ms, s, m or h (a bare integer is seconds),
at most 24h; 0 turns a timeout off. Counts and byte sizes are integers.
A peer disconnected by a limit gets an "Error: ..." line first; the leave
reasons are listed in docs/protocol.md.

Signals: SIGINT or SIGTERM shut down gracefully (every client gets
"Server shutting down"); a second one exits at once.
Protocol: docs/protocol.md. Exit codes: 0 after a clean shutdown, 1 when the
daemon cannot start or fails, 2 for bad arguments.`;

/** How an integer option's message explains itself beyond its range. */
interface IntegerHints {
  /** Follows the range: `milliseconds`. */
  unit?: string;
  /** What 0 means: `no limit`. */
  zero?: string;
}

function integer(
  name: string,
  raw: string,
  min: number,
  max: number,
  hints: IntegerHints = {}
): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    const unit = hints.unit === undefined ? '' : ` ${hints.unit}`;
    const zero = hints.zero === undefined ? '' : `; 0 means ${hints.zero}`;
    throw new UsageError(
      `invalid ${name} "${raw}" (expected an integer from ${min} to ${max}${unit}${zero})`
    );
  }
  return Number(raw);
}

function duration(name: string, raw: string, zero = 'turns it off'): number {
  const ms = parseDuration(raw);
  if (ms === null) {
    throw new UsageError(
      `invalid ${name} "${raw}" (expected a duration such as 500ms, 30s or 5m; 0 ${zero})`
    );
  }
  return ms;
}

function exemptList(raw: string): string[] {
  if (raw.trim() === '' || raw.trim() === 'none') return [];
  return raw.split(',').map((part) => {
    const entry = part.trim();
    if (parseSubnet(entry) === null) {
      throw new UsageError(
        `invalid exempt address "${entry}" (expected an IP address or CIDR subnet such as 10.0.0.0/8)`
      );
    }
    return entry;
  });
}

// parseArgs' own messages run to several sentences; one line says enough.
function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-{1,2}[^']*)'/.exec(message)?.[1];
  switch (errorCode(err)) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option "${option ?? message}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = (option ?? '').split(' ')[0] ?? '';
      // `--stall-timeout -1s`: parseArgs won't take a value that looks like
      // an option unless it is attached with `=`.
      return message.includes('ambiguous')
        ? `option ${name} needs a value; write ${name}=VALUE for one starting with "-"`
        : `option ${name} needs a value`;
    }
    default:
      return message.split('\n', 1)[0] ?? message;
  }
}

const LIMIT_OPTIONS = {
  'max-line-bytes': { type: 'string' },
  'send-queue-bytes': { type: 'string' },
  'send-queue-soft-bytes': { type: 'string' },
  'stall-timeout': { type: 'string' },
  'flood-rate': { type: 'string' },
  'flood-burst': { type: 'string' },
  'idle-timeout': { type: 'string' },
  keepalive: { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-ip': { type: 'string' },
  'per-ip-exempt': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' }
} as const;

type LimitValues = Partial<Record<keyof typeof LIMIT_OPTIONS, string>>;

function shutdownTimeout(values: LimitValues): number {
  const text = values['shutdown-timeout'];
  const ms = values['shutdown-timeout-ms'];
  if (text !== undefined && ms !== undefined) {
    throw new UsageError(
      'give --shutdown-timeout or its old spelling --shutdown-timeout-ms, not both'
    );
  }
  if (ms !== undefined) {
    return integer('shutdown timeout', ms, 0, MAX_DURATION_MS, {
      unit: 'milliseconds',
      zero: 'do not wait'
    });
  }
  if (text !== undefined)
    return duration('shutdown timeout', text, 'means do not wait');
  return DEFAULT_LIMITS.shutdownTimeoutMs;
}

function parseLimits(values: LimitValues): Limits {
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    perIpExempt: [...DEFAULT_LIMITS.perIpExempt],
    shutdownTimeoutMs: shutdownTimeout(values)
  };
  const v = values;
  if (v['max-line-bytes'] !== undefined)
    limits.maxLineBytes = integer(
      'max line bytes',
      v['max-line-bytes'],
      1,
      MAX_LINE_BYTES_CAP
    );
  if (v['send-queue-bytes'] !== undefined)
    limits.sendQueueBytes = integer(
      'send queue bytes',
      v['send-queue-bytes'],
      0,
      SEND_QUEUE_BYTES_CAP,
      { zero: 'no limit' }
    );
  limits.sendQueueSoftBytes =
    v['send-queue-soft-bytes'] === undefined
      ? defaultSoftMark(limits.sendQueueBytes)
      : integer(
          'send queue soft bytes',
          v['send-queue-soft-bytes'],
          0,
          SEND_QUEUE_BYTES_CAP,
          { zero: 'never pause reading' }
        );
  if (v['stall-timeout'] !== undefined)
    limits.stallTimeoutMs = duration('stall timeout', v['stall-timeout']);
  if (v['flood-rate'] !== undefined)
    limits.floodRate = integer('flood rate', v['flood-rate'], 0, COUNT_CAP, {
      zero: 'no pacing'
    });
  if (v['flood-burst'] !== undefined)
    limits.floodBurst = integer('flood burst', v['flood-burst'], 1, COUNT_CAP);
  if (v['idle-timeout'] !== undefined)
    limits.idleTimeoutMs = duration('idle timeout', v['idle-timeout']);
  if (v.keepalive !== undefined)
    limits.keepAliveMs = duration('keepalive', v.keepalive);
  if (v['max-connections'] !== undefined)
    limits.maxConnections = integer(
      'max connections',
      v['max-connections'],
      1,
      COUNT_CAP
    );
  if (v['max-connections-per-ip'] !== undefined)
    limits.maxConnectionsPerIp = integer(
      'max connections per IP',
      v['max-connections-per-ip'],
      1,
      COUNT_CAP
    );
  if (v['per-ip-exempt'] !== undefined)
    limits.perIpExempt = exemptList(v['per-ip-exempt']);

  const { sendQueueSoftBytes: soft, sendQueueBytes: hard } = limits;
  // Reading pauses at the soft mark so a queue stops growing well before the
  // hard limit; a soft mark above the limit would never be reached.
  if (soft > 0 && hard > 0 && soft > hard) {
    throw new UsageError(
      `send queue soft mark (${soft} bytes) is above the send queue limit (${hard} bytes)`
    );
  }
  return limits;
}

/**
 * Parses the server's arguments; throws `UsageError` with a one-line message.
 *
 * @example parseServerArgs(['0.0.0.0', '4000', '--stall-timeout', '10s'])
 */
export function parseServerArgs(argv: string[]): ServerCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
        ...LIMIT_OPTIONS,
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' }
      }
    });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  if (positionals.length > 2) {
    throw new UsageError(
      `too many arguments: ${positionals.slice(2).join(' ')}`
    );
  }

  let host = DEFAULT_HOST;
  let port = DEFAULT_PORT;
  const [first, second] = positionals;
  if (first !== undefined && second === undefined && /^\d+$/.test(first)) {
    port = integer('port', first, 0, 65535);
  } else {
    if (first !== undefined) {
      if (first.trim() === '')
        throw new UsageError('invalid host "" (expected an address)');
      host = first;
    }
    if (second !== undefined) port = integer('port', second, 0, 65535);
  }

  const level = values['log-level'] ?? 'chat';
  if (!isLogLevel(level)) {
    throw new UsageError(
      `invalid log level "${level}" (expected one of ${Object.keys(LOG_LEVELS).join(', ')})`
    );
  }
  const logFile = values['log-file'];
  if (logFile === '')
    throw new UsageError('invalid log file "" (expected a path)');

  return {
    kind: 'run',
    config: {
      host,
      port,
      logLevel: level,
      logFile,
      limits: parseLimits(values)
    }
  };
}
