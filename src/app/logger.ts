import winston from 'winston';
import {
  SHUTDOWN_NOTICE,
  formatJoinNotice,
  formatLeaveNotice,
  formatRelayed,
  formatStarted
} from '../protocol/format.js';

/**
 * Log levels, most severe first. `chat` sits between `info` and `debug`: the
 * relayed messages, on by default like the original console, and turned off
 * by `--log-level info`.
 */
export const LOG_LEVELS = { error: 0, warn: 1, info: 2, chat: 3, debug: 4 };

/** One of the daemon's log levels. */
export type LogLevel = keyof typeof LOG_LEVELS;

/** The daemon's logger. */
export type Logger = winston.Logger;

/** Where logs go. */
export interface LoggerOptions {
  /** Lowest level written; default `chat`. */
  level?: LogLevel;
  /** Human console lines: default stdout (warn and error to stderr); a stream; or `false` for none. */
  console?: NodeJS.WritableStream | false;
  /** A file of JSON lines with structured fields. */
  file?: string;
}

/** True when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LOG_LEVELS, value);
}

const FIXED_KEYS: ReadonlySet<string> = new Set([
  'level',
  'message',
  'service',
  'component'
]);

function field(info: winston.Logform.TransformableInfo, key: string): string {
  const value = info[key];
  return typeof value === 'string' ? value : String(value);
}

function count(info: winston.Logform.TransformableInfo): number {
  return Number(info['count']);
}

/**
 * Renders a record as the original server's console line where there is one
 * (`New user … entered (…)`, `[ADDR] text`, …), else as `level: message k=v`.
 */
export function renderConsoleLine(
  info: winston.Logform.TransformableInfo
): string {
  switch (info['event']) {
    case 'listen':
      return formatStarted(Number(info['port']));
    case 'join':
      return formatJoinNotice(field(info, 'remote'), count(info));
    case 'message':
      return formatRelayed(field(info, 'remote'), field(info, 'text'));
    case 'leave':
      return formatLeaveNotice(field(info, 'remote'), count(info));
    case 'closing':
      return SHUTDOWN_NOTICE;
    case 'exit':
      return 'exit';
  }
  const fields = Object.keys(info)
    .filter((key) => !FIXED_KEYS.has(key) && info[key] !== undefined)
    .map((key) => `${key}=${JSON.stringify(info[key])}`);
  return [`${info.level}: ${String(info.message)}`, ...fields].join(' ');
}

/**
 * Creates the daemon's root logger (`defaultMeta.service = 'actor-chat'`).
 * Modules take `logger.child({ component })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const consoleFormat = winston.format.printf(renderConsoleLine);
  const transports: winston.transport[] = [];
  if (options.console !== false) {
    transports.push(
      options.console === undefined
        ? new winston.transports.Console({
            format: consoleFormat,
            stderrLevels: ['error', 'warn']
          })
        : new winston.transports.Stream({
            stream: options.console,
            format: consoleFormat
          })
    );
  }
  if (options.file !== undefined) {
    transports.push(
      new winston.transports.File({
        filename: options.file,
        format: winston.format.combine(
          winston.format.timestamp(),
          winston.format.json()
        )
      })
    );
  }
  return winston.createLogger({
    levels: LOG_LEVELS,
    level: options.level ?? 'chat',
    defaultMeta: { service: 'actor-chat' },
    silent: transports.length === 0,
    transports
  });
}
