import path from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { describeSystemError } from './errors.js';
import {
  SHUTDOWN_NOTICE,
  formatJoinNotice,
  formatLeaveNotice,
  formatRelayed,
  formatStarted
} from '../protocol/format.js';
import { memberLabel, speakerName } from '../protocol/command-format.js';
import { LOBBY } from '../protocol/constants.js';

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

/** When the log file starts a new file, and how many it keeps. */
export interface LogRotation {
  /** A new file starts once the current one passes this size, in bytes (whole KiB). */
  maxBytes: number;
  /** Files kept, the current one included, or days kept; `{ files: 0 }` deletes none. */
  keep: { files: number } | { days: number };
}

/** The default rotation: 10 MiB files, the last 10 of them kept. */
export const DEFAULT_LOG_ROTATION: Readonly<LogRotation> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  keep: Object.freeze({ files: 10 })
});

/** Where logs go. */
export interface LoggerOptions {
  /** Lowest level written; default `chat`. */
  level?: LogLevel;
  /** Human console lines: default stdout (warn and error to stderr); a stream; or `false` for none. */
  console?: NodeJS.WritableStream | false;
  /**
   * JSON lines with structured fields, in rotated files next to this path
   * (see `logFileNames`); the path itself is a link to the current file.
   */
  file?: string;
  /** How `file` rotates; default `DEFAULT_LOG_ROTATION`. */
  rotation?: LogRotation;
}

/** The files a log `file` option stands for. */
export interface LogFileNames {
  /** The file name pattern: `%DATE%` is the UTC day, a size rotation adds `.N`. */
  pattern: string;
  /** The extension every file ends with, after the `.N`: that of the path. */
  extension: string;
  /** The path itself: a symbolic link to the file being written. */
  link: string;
  /**
   * winston-daily-rotate-file's audit file, `.NAME-audit.json` beside the
   * path: the files it wrote, which are the only ones rotation deletes (it
   * never deletes a file it did not write). Left where the library's users
   * have it: moved, the files it lists would never be deleted. Not written
   * when every file is kept.
   */
  audit: string;
}

/**
 * Names the files behind `--log-file PATH`: `/var/log/chat.log` is written as
 * `/var/log/chat-2025-01-31.log`, then `chat-2025-01-31.1.log`, … once a file
 * is full, a new day starting again without a number; `/var/log/chat.log`
 * links to the current one (so `tail -F` follows it) and the hidden
 * `/var/log/.chat.log-audit.json` lists the files rotation may delete
 * (docs/events.md, "Log files").
 */
export function logFileNames(file: string): LogFileNames {
  const full = path.resolve(file);
  const dir = path.dirname(full);
  const base = path.basename(full);
  const extension = path.extname(base);
  const stem = base.slice(0, base.length - extension.length);
  return {
    pattern: path.join(dir, `${stem}-%DATE%`),
    extension,
    link: full,
    audit: path.join(dir, `.${base}-audit.json`)
  };
}

/**
 * winston-daily-rotate-file, finishing only once its file has the last
 * record, and failing without taking the daemon down.
 *
 * - Its own transport finishes as soon as the last record is handed to the
 *   file stream, before it is written, and `close()` ends that stream only
 *   when the logger unpipes it: a process that exits on 'finish' lost the
 *   last records.
 * - Its file stream's errors (a full disk, a directory where the day's file
 *   should be) are 'error' events nobody listens to, and re-emitted on the
 *   transport they would be the logger's: either kills the process with a
 *   stack trace. The first one goes to `onFailure` instead, and the file is
 *   written no more; the other transports carry on.
 */
class RotatingFile extends DailyRotateFile {
  #failed = false;

  constructor(
    options: DailyRotateFile.DailyRotateFileTransportOptions,
    private readonly onFailure: (err: unknown) => void
  ) {
    super(options);
    this.logStream.on('error', (err: unknown) => this.fail(err));
  }

  override log(info: unknown, callback: () => void): void {
    try {
      super.log?.(info, callback);
    } catch (err) {
      // Rotation opens the next file within the write, synchronously.
      this.fail(err);
      callback();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#failed) callback();
    else this.logStream.end(() => callback());
  }

  override close(): void {
    this.end();
  }

  private fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.silent = true;
    this.onFailure(err);
  }
}

function rotatingFile(
  file: string,
  rotation: LogRotation,
  onFailure: (err: unknown) => void
): RotatingFile {
  const names = logFileNames(file);
  return new RotatingFile(
    {
      filename: names.pattern,
      extension: names.extension,
      datePattern: 'YYYY-MM-DD',
      utc: true,
      // A whole number of KiB: a number of bytes the library would round.
      maxSize: `${Math.max(1, Math.round(rotation.maxBytes / 1024))}k`,
      maxFiles:
        'days' in rotation.keep
          ? `${rotation.keep.days}d`
          : rotation.keep.files,
      auditFile: names.audit,
      createSymlink: true,
      symlinkName: path.basename(names.link),
      format: winston.format.combine(
        winston.format.timestamp(),
        winston.format.json()
      )
    },
    onFailure
  );
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
  // A member as the room names it, `NAME (ADDR)` once it has a nickname;
  // a room other than the lobby prefixes its lines, so the lobby's stay the
  // original program's. [CHAT-NICK-1]
  const nick = typeof info['nick'] === 'string' ? info['nick'] : undefined;
  const room =
    typeof info['room'] === 'string' && info['room'] !== LOBBY
      ? `#${info['room']}: `
      : '';
  switch (info['event']) {
    case 'listen':
      return formatStarted(Number(info['port']));
    case 'join':
      return (
        room +
        formatJoinNotice(memberLabel(field(info, 'remote'), nick), count(info))
      );
    case 'message':
      return (
        room +
        formatRelayed(
          speakerName(field(info, 'remote'), nick),
          field(info, 'text')
        )
      );
    case 'leave':
      return (
        room +
        formatLeaveNotice(memberLabel(field(info, 'remote'), nick), count(info))
      );
    case 'closing':
      return room + SHUTDOWN_NOTICE;
    case 'exit':
      return 'exit';
  }
  const fields = Object.keys(info)
    .filter((key) => !FIXED_KEYS.has(key) && info[key] !== undefined)
    .map((key) => `${key}=${JSON.stringify(info[key])}`);
  return [`${info.level}: ${String(info.message)}`, ...fields].join(' ');
}

/** Where triple-beam (winston's record format) keeps a record's level and its formatted line. */
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');

/** What `TurnConsole` writes to. */
export interface ConsoleStreams {
  /** Every record below `warn`. */
  stdout: NodeJS.WritableStream;
  /** `warn` and `error`. */
  stderr: NodeJS.WritableStream;
}

/**
 * winston's Console transport, except that the stdout lines of one turn of
 * the event loop go out in one write, at its end. Each write to a pipe or
 * a file is a system call, made while the daemon waits: with one per
 * record, the join and leave lines took 8% of the daemon's CPU under
 * connection churn (docs/performance.md, "Churn"), and every relayed line
 * at the default level paid one. A warning or an error writes the lines
 * before it first and then itself at once, so the record of a fault is
 * out before the process exits; ending the transport writes what is left.
 * A process killed outright loses at most the current turn's lines.
 */
export class TurnConsole extends winston.transports.Console {
  readonly #streams: ConsoleStreams;
  #pending = '';
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(
    options: winston.transports.ConsoleTransportOptions,
    streams: ConsoleStreams
  ) {
    super(options);
    this.#streams = streams;
  }

  override log(info: winston.Logform.TransformableInfo, next: () => void) {
    const line = `${String(info[MESSAGE])}\n`;
    const level = String(info[LEVEL]);
    if (level === 'error' || level === 'warn') {
      this.flush();
      this.#streams.stderr.write(line);
    } else {
      this.#pending += line;
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
    }
    next();
  }

  /** Writes the lines of this turn so far. */
  flush(): void {
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#streams.stdout.write(text);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    callback();
  }
}

/** Writes the console lines of this turn so far, before an exit that cannot wait for the turn's end. */
export function flushConsole(logger: Logger): void {
  for (const transport of logger.transports)
    if (transport instanceof TurnConsole) transport.flush();
}

/** The logger's own format: none (see `createLogger`). */
const PASS_THROUGH = winston.format((info) => info)();

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
        ? new TurnConsole(
            { format: consoleFormat },
            { stdout: process.stdout, stderr: process.stderr }
          )
        : new winston.transports.Stream({
            stream: options.console,
            format: consoleFormat
          })
    );
  }
  const { file } = options;
  if (file !== undefined) {
    transports.push(
      rotatingFile(file, options.rotation ?? DEFAULT_LOG_ROTATION, (err) => {
        // Only the console has it: the file is what failed.
        logger.error('log file failed; writing it no more', {
          file,
          err: describeSystemError(err)
        });
      })
    );
  }
  const logger = winston.createLogger({
    levels: LOG_LEVELS,
    level: options.level ?? 'chat',
    // Each transport formats for itself. Without this winston's default,
    // `json()`, serialises every record first, even one no transport
    // writes: a wasted stringify per relayed line at the default level.
    format: PASS_THROUGH,
    defaultMeta: { service: 'actor-chat' },
    silent: transports.length === 0,
    transports
  });
  return logger;
}
