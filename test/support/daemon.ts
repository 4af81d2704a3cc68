import { PassThrough } from 'node:stream';
import {
  startDaemon,
  type Daemon,
  type DaemonOptions
} from '../../src/app/daemon.js';
import { createLogger, type LogLevel } from '../../src/app/logger.js';

/** Daemon options a test may set; host defaults to 127.0.0.1 and the port is always 0. */
export interface TestDaemonOptions extends Omit<
  DaemonOptions,
  'logger' | 'port'
> {
  level?: LogLevel;
}

/** A daemon on a free port whose console log is captured in memory. */
export interface TestDaemon {
  readonly daemon: Daemon;
  readonly port: number;
  /** Every console line written so far, without its `\n`. */
  consoleLines(): string[];
  /** Only the lines in one of the original server's five shapes (see `parseConsoleLine`). */
  chatConsoleLines(): string[];
  /** Resolves with the first console line (from the start) that matches. */
  waitForConsole(
    match: string | ((line: string) => boolean),
    timeoutMs?: number
  ): Promise<string>;
}

/** A console line of the original server's shape. */
export type ConsoleEvent =
  | { kind: 'started'; port: number }
  | { kind: 'join'; addr: string; count: number }
  | { kind: 'message'; addr: string; text: string }
  | { kind: 'leave'; addr: string; count: number }
  | { kind: 'exit' };

const ADDR = String.raw`(\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-fA-F:.]+\]:\d+)`;
const COUNT = String.raw`(\d+) users? online`;
const STARTED_RE = /^Chat Server started on port (\d+)\.$/;
const JOIN_RE = new RegExp(`^New user ${ADDR} entered \\(${COUNT}\\)$`);
const LEAVE_RE = new RegExp(`^The user ${ADDR} left \\(${COUNT}\\)$`);
const MESSAGE_RE = new RegExp(`^\\[${ADDR}\\] (.*)$`, 's');

/**
 * Reads a console line in one of the original server's shapes:
 * `Chat Server started on port P.`, `New user ADDR entered (N users online)`,
 * `[ADDR] text`, `The user ADDR left (N users online)`, `exit`. Anything else
 * (warnings, debug records, `Server shutting down`) gives `null`.
 */
export function parseConsoleLine(line: string): ConsoleEvent | null {
  if (line === 'exit') return { kind: 'exit' };
  let m = STARTED_RE.exec(line);
  if (m) return { kind: 'started', port: Number(m[1]) };
  m = JOIN_RE.exec(line);
  if (m) return { kind: 'join', addr: m[1] as string, count: Number(m[2]) };
  m = LEAVE_RE.exec(line);
  if (m) return { kind: 'leave', addr: m[1] as string, count: Number(m[2]) };
  m = MESSAGE_RE.exec(line);
  if (m) return { kind: 'message', addr: m[1] as string, text: m[2] as string };
  return null;
}

/**
 * Starts a daemon on `host` (default 127.0.0.1) port 0 with its console log
 * going to an in-memory stream. Registers nothing: the caller closes
 * `daemon` (normally from a cleanups list).
 */
export async function startTestDaemon(
  options: TestDaemonOptions = {}
): Promise<TestDaemon> {
  const { level, ...rest } = options;
  const stream = new PassThrough();
  const lines: string[] = [];
  let partial = '';
  const wakers = new Set<() => void>();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of [...wakers]) wake();
  });

  const logger = createLogger({ level: level ?? 'chat', console: stream });
  const daemon = await startDaemon({
    // Most tests send faster than a person types; the fault suite and the
    // pacing tests turn flood pacing on explicitly.
    floodRate: 0,
    ...rest,
    host: rest.host ?? '127.0.0.1',
    port: 0,
    logger
  });

  const waitForConsole = (
    match: string | ((line: string) => boolean),
    timeoutMs = 5000
  ): Promise<string> => {
    const test =
      typeof match === 'string' ? (line: string) => line === match : match;
    return new Promise((resolve, reject) => {
      let checked = 0;
      const check = (): void => {
        for (; checked < lines.length; checked++) {
          const line = lines[checked] as string;
          if (test(line)) {
            finish();
            resolve(line);
            return;
          }
        }
      };
      const finish = (): void => {
        clearTimeout(timer);
        wakers.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        const what =
          typeof match === 'string' ? JSON.stringify(match) : 'a matching line';
        const shown = lines.slice(-60);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for console ${what}; last console lines: ${JSON.stringify(shown, null, 1)}`
          )
        );
      }, timeoutMs);
      wakers.add(check);
      check();
    });
  };

  return {
    daemon,
    port: daemon.port,
    consoleLines: () => [...lines],
    chatConsoleLines: () =>
      lines.filter((line) => parseConsoleLine(line) !== null),
    waitForConsole
  };
}

/**
 * Polls `check` every 10 ms until it is true; rejects after `timeoutMs` with
 * `what` and, if given, `detail()` (the state seen last).
 */
export async function pollUntil(
  check: () => boolean,
  what: string,
  timeoutMs = 5000,
  detail?: () => string
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}${detail ? `; ${detail()}` : ''}`
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
