import { basename } from 'node:path';
import { UsageError } from '../app/errors.js';
import type { ClusterOptions } from '../cluster/cluster-options.js';
import type { RoomLimits } from '../app/daemon.js';
import type { Limits } from '../app/limits.js';
import {
  DEFAULT_LOG_ROTATION,
  LOG_LEVELS,
  isLogLevel,
  type LogLevel,
  type LogRotation
} from '../app/logger.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import {
  ADMIN_OPTIONS,
  ADMIN_USAGE,
  parseAdminArgs,
  type AdminConfig
} from './admin-args.js';
import { parseHost } from './address.js';
import {
  CLUSTER_OPTIONS,
  CLUSTER_USAGE,
  parseClusterArgs
} from './cluster-args.js';
import { parseCommandLine } from './command-line.js';
import {
  LIMITS_USAGE,
  LIMIT_OPTIONS,
  integer,
  parseLimits
} from './limit-args.js';
import { ROOMS_USAGE, ROOM_OPTIONS, parseRoomArgs } from './room-args.js';
import { formatSize, sizeOption } from './size.js';
import { WS_OPTIONS, WS_USAGE, parseWsArgs } from './ws-args.js';
import {
  TLS_OPTIONS,
  TLS_USAGE,
  parseTlsArgs,
  type TlsConfig
} from './tls-args.js';

/** The server's settings, from the command line. */
export interface ServerConfig {
  host: string;
  port: number;
  logLevel: LogLevel;
  logFile: string | undefined;
  /** How the log file rotates; the defaults without `--log-file`. */
  logRotation: LogRotation;
  limits: Limits;
  /** The admin listener and the Stately relay, when asked for. */
  inspection: AdminConfig;
  /** The cluster to join, with `--redis`. */
  cluster: ClusterOptions | undefined;
  /** The room limits asked for; the defaults when undefined. */
  rooms: Partial<RoomLimits> | undefined;
  /** The TLS listener, and whether the plain one stays. */
  listeners: TlsConfig;
}

/** What the command line asked for: run, or print help or the version. */
export type ServerCommand =
  | { kind: 'run'; config: ServerConfig }
  | { kind: 'help' }
  | { kind: 'version' };

/** The `--help` text. */
export const SERVER_USAGE = `Usage: chat-server [HOST] [PORT] [options]

Runs the actor-chat daemon: a multi-user TCP chat, one line per message,
with names, rooms and private messages.

Arguments:
  HOST                        address to listen on (default ${DEFAULT_HOST});
                              0.0.0.0, ::1 (or [::1]) or a host name work too
  PORT                        TCP port, 0-65535 (default ${DEFAULT_PORT}; 0 picks a
                              free one). A single all-digit argument is
                              taken as PORT.

Options:
  --log-level LEVEL           error | warn | info | chat | debug (default
                              chat). chat shows every relayed message like
                              the original console; info hides them; debug
                              adds every state change.
  --log-file PATH             also write JSON lines with structured fields,
                              to files rotated daily and by size: for
                              chat.log, chat-DATE.log, then chat-DATE.1.log
                              and so on (DATE in UTC); PATH itself links to
                              the current file
  --log-max-size SIZE         start a new log file once it passes SIZE,
                              1KiB to 1024GiB, such as 500k, 10m or 1g
                              (default ${formatSize(DEFAULT_LOG_ROTATION.maxBytes)})
  --log-max-files N|Nd        log files kept, the current one included, or
                              with a d, days kept; 0 = keep all (default ${formatKeep(DEFAULT_LOG_ROTATION.keep)})
  -h, --help                  show this help
  -v, --version               show the version

${LIMITS_USAGE}

${ROOMS_USAGE}

${TLS_USAGE}

${WS_USAGE}

${ADMIN_USAGE}

${CLUSTER_USAGE}

Signals: SIGINT or SIGTERM shut down gracefully (every client gets
"Server shutting down"); a second one exits at once. SIGHUP reloads the TLS
certificate and key.
Protocol: docs/protocol.md. Exit codes: 0 after a clean shutdown, 1 when the
daemon cannot start or fails, 2 for bad arguments.`;

const KIB = 1024;
const LOG_MAX_BYTES_CAP = KIB ** 4;
const LOG_MAX_FILES_CAP = 100_000;
const LOG_MAX_DAYS_CAP = 36_500;

function formatKeep(keep: LogRotation['keep']): string {
  return 'days' in keep ? `${keep.days}d` : String(keep.files);
}

/** `--log-max-size`: a size (`size.ts`) from 1 KiB to 1024 GiB. */
function logMaxSize(raw: string): number {
  return sizeOption('log max size', raw, KIB, LOG_MAX_BYTES_CAP);
}

/** `--log-max-files`: a count of files, or of days with a `d`. */
function logMaxFiles(raw: string): LogRotation['keep'] {
  const [, digits, days] = /^(\d+)(d?)$/.exec(raw) ?? [];
  const n = Number(digits);
  if (days === 'd' && n >= 1 && n <= LOG_MAX_DAYS_CAP) return { days: n };
  if (days === '' && n <= LOG_MAX_FILES_CAP) return { files: n };
  throw new UsageError(
    `invalid log max files "${raw}" (expected a number of files from 0 to ${LOG_MAX_FILES_CAP}, 0 keeping all, or of days from 1d to ${LOG_MAX_DAYS_CAP}d)`
  );
}

/** The rotation the options ask for: `DEFAULT_LOG_ROTATION` itself if none. */
function parseLogRotation(
  maxSize: string | undefined,
  maxFiles: string | undefined
): LogRotation {
  if (maxSize === undefined && maxFiles === undefined)
    return DEFAULT_LOG_ROTATION;
  return {
    maxBytes:
      maxSize === undefined
        ? DEFAULT_LOG_ROTATION.maxBytes
        : logMaxSize(maxSize),
    keep:
      maxFiles === undefined ? DEFAULT_LOG_ROTATION.keep : logMaxFiles(maxFiles)
  };
}

/**
 * Rejects a log path winston-daily-rotate-file would throw on: control
 * characters or `" < > |` anywhere, `: * ? \` in the file name.
 */
function checkLogFile(file: string): void {
  // eslint-disable-next-line no-control-regex
  if (/["<>|\x00-\x1f]/.test(file) || /[:*?\\]/.test(basename(file))) {
    throw new UsageError(
      `invalid log file ${JSON.stringify(file)} (a path may not hold control characters or " < > |, nor a file name : * ? \\)`
    );
  }
}

/**
 * Parses the server's arguments; throws `UsageError` with a one-line message.
 *
 * @example parseServerArgs(['0.0.0.0', '4000', '--stall-timeout', '10s'])
 */
export function parseServerArgs(argv: string[]): ServerCommand {
  const { values, positionals } = parseCommandLine(argv, {
    'log-level': { type: 'string' },
    'log-file': { type: 'string' },
    'log-max-size': { type: 'string' },
    'log-max-files': { type: 'string' },
    ...LIMIT_OPTIONS,
    ...ADMIN_OPTIONS,
    ...CLUSTER_OPTIONS,
    ...ROOM_OPTIONS,
    ...TLS_OPTIONS,
    ...WS_OPTIONS,
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' }
  });
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
  // A lone `-5` cannot be a host: say what is wrong with it as a port.
  if (first !== undefined && second === undefined && /^-?\d+$/.test(first)) {
    port = integer('port', first, 0, 65535);
  } else {
    if (first !== undefined) host = parseHost(first);
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
  if (logFile !== undefined) checkLogFile(logFile);
  const logRotation = parseLogRotation(
    values['log-max-size'],
    values['log-max-files']
  );
  if (logFile === undefined && logRotation !== DEFAULT_LOG_ROTATION) {
    // Most likely a typo in the command line: say so rather than ignore it.
    throw new UsageError(
      '--log-max-size and --log-max-files apply to --log-file; give it too'
    );
  }

  return {
    kind: 'run',
    config: {
      host,
      port,
      logLevel: level,
      logFile,
      logRotation,
      limits: parseLimits(values),
      inspection: parseAdminArgs(values),
      cluster: parseClusterArgs(values),
      rooms: parseRoomArgs(values),
      listeners: parseListeners(values)
    }
  };
}

/**
 * The listeners asked for: plain TCP unless `--no-plain`, TLS, WebSocket;
 * at least one of them.
 */
function parseListeners(
  values: Parameters<typeof parseTlsArgs>[0] & Parameters<typeof parseWsArgs>[0]
): TlsConfig {
  const config = parseTlsArgs(values);
  const ws = parseWsArgs(values);
  if (!config.plain && config.tls === undefined && ws === undefined)
    throw new UsageError('--no-plain needs another listener: --tls or --ws');
  return { ...config, ...(ws && { ws }) };
}
