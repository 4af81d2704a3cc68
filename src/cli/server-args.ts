import { parseArgs } from 'node:util';
import { UsageError, errorCode } from '../app/errors.js';
import type { Limits } from '../app/limits.js';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../app/logger.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import {
  LIMITS_USAGE,
  LIMIT_OPTIONS,
  integer,
  parseLimits
} from './limit-args.js';

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

${LIMITS_USAGE}

Signals: SIGINT or SIGTERM shut down gracefully (every client gets
"Server shutting down"); a second one exits at once.
Protocol: docs/protocol.md. Exit codes: 0 after a clean shutdown, 1 when the
daemon cannot start or fails, 2 for bad arguments.`;

/**
 * A parseArgs error as one line: its own messages run to several sentences.
 * Shared with the other programs' argument parsers.
 */
export function describeParseError(err: unknown): string {
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
