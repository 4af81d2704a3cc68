#!/usr/bin/env node
import net from 'node:net';
import readline from 'node:readline';
import {
  describeSystemError as describeError,
  errorCode
} from '../app/errors.js';
import { formatAddress } from '../transport/address.js';
import { CLIENT_HELP, CLIENT_USAGE, parseClientArgs } from './client-args.js';
import { isEntryPoint } from './entry-point.js';

const PROGRAM = 'chat-client';
const PROMPT = '> ';
/** How long a leaving client waits for the server to close before it stops waiting. */
const LEAVE_WAIT_MS = 2000;
/** Grace for stdout to flush before the process is made to exit. */
const EXIT_GRACE_MS = 500;

/** The streams the client talks through; the CLI passes the process's own. */
export interface ClientIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & {
    readonly isTTY?: boolean;
    readonly columns?: number;
  };
  readonly stderr: NodeJS.WritableStream;
}

/** The part of a readline interface that redraws the user's input line. */
export interface PromptLine {
  getCursorPos(): { rows: number; cols: number };
  prompt(preserveCursor?: boolean): void;
}

type ClientState = 'connecting' | 'online' | 'leaving' | 'closed';

/** Erases the prompt and any partly typed input, leaving the cursor at the start of its first row. */
export function eraseInput(
  out: NodeJS.WritableStream,
  input: PromptLine
): void {
  readline.moveCursor(out, 0, -input.getCursorPos().rows);
  readline.cursorTo(out, 0);
  readline.clearScreenDown(out);
}

/**
 * Prints one server line; on a terminal (`input` given) it goes above the
 * prompt, and the partly typed input is redrawn with its cursor kept.
 */
export function printServerLine(
  out: NodeJS.WritableStream,
  line: string,
  input?: PromptLine
): void {
  if (input === undefined) {
    out.write(`${line}\n`);
    return;
  }
  const { rows } = input.getCursorPos();
  eraseInput(out, input);
  // readline's redraw first moves up by the cursor row it last drew on; the
  // blank rows give it room so it lands below our line instead of on it.
  out.write(`${line}\n${'\n'.repeat(rows)}`);
  input.prompt(true);
}

/**
 * Erases the line the user just submitted (readline has already moved to the
 * next row), because the server echoes it back as `[You] text`. [CHAT-MSG-1]
 * Width is counted in code points, so wide characters may leave a row behind;
 * `columns` 0 means unknown, which readline treats as never wrapping.
 */
export function eraseSubmittedLine(
  out: NodeJS.WritableStream,
  submitted: string,
  columns: number
): void {
  const width = [...`${PROMPT}${submitted}`].length;
  const wrapped = columns > 0 ? Math.floor(width / columns) : 0;
  readline.moveCursor(out, 0, -(wrapped + 1));
  readline.cursorTo(out, 0);
  readline.clearScreenDown(out);
}

/**
 * Runs the chat client: connects, relays lines both ways and resolves with
 * the exit code (0 after leaving, 1 on a connection failure, 2 on bad
 * arguments). Aborting `stop` leaves the same way Ctrl+D does.
 *
 * ```
 * connecting --connect--> online --Ctrl+C/Ctrl+D/EOF: end()--> leaving --server closes or 2 s--> closed (exit 0)
 *     |                     |
 *     +--error-- exit 1     +--server end/close/reset-- exit 1
 * ```
 */
export function main(
  argv: readonly string[],
  io: ClientIo,
  stop?: AbortSignal
): Promise<number> {
  const args = parseClientArgs(argv);
  if (args.kind === 'help') {
    io.stdout.write(CLIENT_HELP);
    return Promise.resolve(0);
  }
  if (args.kind === 'invalid') {
    io.stderr.write(`${PROGRAM}: ${args.reason} (${CLIENT_USAGE})\n`);
    return Promise.resolve(2);
  }
  const address = formatAddress(args.host, args.port);
  const interactive = io.stdin.isTTY === true && io.stdout.isTTY === true;

  return new Promise<number>((resolve) => {
    let state: ClientState = 'connecting';
    let input: readline.Interface | undefined;
    let leaveTimer: NodeJS.Timeout | undefined;
    const socket = net.connect({ host: args.host, port: args.port });

    const promptLine = (): PromptLine | undefined =>
      interactive && state === 'online' ? input : undefined;

    function finish(code: number, problem?: string): void {
      if (state === 'closed') return;
      const prompt = promptLine();
      state = 'closed';
      clearTimeout(leaveTimer);
      stop?.removeEventListener('abort', leave);
      if (prompt !== undefined) eraseInput(io.stdout, prompt);
      input?.close();
      socket.destroy();
      if (problem === undefined) io.stdout.write('exit\n');
      else io.stderr.write(`${PROGRAM}: ${problem}\n`);
      resolve(code);
    }

    function leave(): void {
      if (state === 'connecting') finish(0);
      if (state !== 'online') return;
      const prompt = promptLine();
      if (prompt !== undefined) eraseInput(io.stdout, prompt);
      state = 'leaving';
      input?.close();
      // Half-close and let the server close its side, so its last lines
      // (such as `[You] text` for a piped final line) still arrive.
      socket.end();
      leaveTimer = setTimeout(() => finish(0), LEAVE_WAIT_MS);
    }

    function inputOnLine(text: string): void {
      if (state !== 'online') return;
      socket.write(`${text}\n`);
      if (interactive && input !== undefined) {
        eraseSubmittedLine(io.stdout, text, io.stdout.columns ?? 0);
        input.prompt(true);
      }
    }

    function socketOnConnect(): void {
      state = 'online';
      // readline does the framing: a line split over several TCP chunks, or
      // a UTF-8 character split between them, comes out whole. [CHAT-WIRE-2]
      const serverLines = readline.createInterface({
        input: socket,
        crlfDelay: Infinity
      });
      serverLines.on('line', (line: string) => {
        if (state !== 'closed') printServerLine(io.stdout, line, promptLine());
      });
      // readline re-emits its input's errors; socketOnError reports them.
      serverLines.on('error', () => undefined);
      input = readline.createInterface({
        input: io.stdin,
        output: interactive ? io.stdout : undefined,
        terminal: interactive,
        prompt: PROMPT,
        crlfDelay: Infinity
      });
      input.on('line', inputOnLine);
      input.on('SIGINT', leave);
      input.on('close', leave);
      input.on('error', (err: Error) => {
        finish(1, `cannot read input: ${describeError(err)}`);
      });
      if (interactive) input.prompt();
    }

    function socketOnError(err: Error): void {
      if (state === 'connecting') {
        finish(1, `cannot connect to ${address}: ${describeError(err)}`);
      } else if (state === 'leaving') {
        finish(0);
      } else if (errorCode(err) === 'ECONNRESET') {
        finish(1, 'connection reset by the server');
      } else {
        finish(1, `connection lost: ${describeError(err)}`);
      }
    }

    function socketOnClose(): void {
      if (state === 'connecting') {
        finish(1, `cannot connect to ${address}: connection closed`);
      } else if (state === 'online') {
        finish(1, 'connection closed by the server');
      } else {
        finish(0);
      }
    }

    socket.on('connect', socketOnConnect);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    stop?.addEventListener('abort', leave, { once: true });
  });
}

function runCli(): void {
  const onFatal = (err: unknown): void => {
    process.stderr.write(
      `${PROGRAM}: unexpected error: ${describeError(err)}\n`
    );
    process.exit(1);
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  const stop = new AbortController();
  // `once`: a second Ctrl+C while leaving kills the process the default way.
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main(process.argv.slice(2), process, stop.signal).then((code) => {
    process.exitCode = code;
    // Everything is closed by now; this only guards against a stray handle.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  }, onFatal);
}

if (isEntryPoint(import.meta.url)) runCli();
