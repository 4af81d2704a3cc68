#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import readline from 'node:readline';
import {
  describeSystemError as describeError,
  errorCode
} from '../app/errors.js';
import { formatAddress } from '../protocol/address.js';
import {
  CLIENT_EXIT,
  CLIENT_HELP,
  CLIENT_USAGE,
  parseClientArgs
} from './client-args.js';
import { formatUnsent, trackSentLines } from '../tools/client/client-lines.js';
import { packageVersion } from './version.js';
import { isEntryPoint } from './entry-point.js';
import {
  createInputView,
  type InputView
} from '../tools/client/terminal-input.js';
import {
  INITIAL_SESSION,
  formatPrompt,
  nickRequested,
  readServerLine
} from '../tools/client/session-state.js';
import {
  highlightPrivate,
  wantsColour
} from '../tools/client/private-highlight.js';

const PROGRAM = 'chat-client';
/** How long a leaving client waits for the server to close before it stops waiting. */
const LEAVE_WAIT_MS = 2000;
/** Grace for stdout to flush before the process is made to exit. */
const EXIT_GRACE_MS = 500;
/**
 * With no first line from the server this long after connecting, the client
 * sends one blank line, which the server ignores [CHAT-IN-3]. In a
 * reconnect storm the server's kernel may finish a handshake with a SYN
 * cookie and then drop our last ACK because its accept queue is full: the
 * connection then exists on our side only, and as the server speaks first,
 * nothing would ever reveal it. A byte from us completes it (the cookie is
 * checked again) or draws a reset we can report (docs/performance.md,
 * "Reconnect storm").
 */
const GREETING_POKE_MS = 3000;

/** The streams the client talks through; the CLI passes the process's own. */
export interface ClientIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & {
    readonly isTTY?: boolean;
    readonly columns?: number;
  };
  readonly stderr: NodeJS.WritableStream;
  /** Read for NO_COLOR and TERM; none means colour on a terminal. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type ClientState = 'connecting' | 'online' | 'leaving' | 'closed';

/** Whether the server let us in: its first line is the greeting or an `Error:`. */
type Admission = 'waiting' | 'joined' | 'refused';

/**
 * Runs the chat client: connects, relays lines both ways and resolves with
 * the exit code (CLIENT_EXIT: 0 after leaving, 1 when the server refused or
 * closed the session or the connection failed, 2 on bad arguments, 3 after
 * leaving when the server refused some of our lines). Aborting `stop` leaves
 * the same way Ctrl+D does.
 *
 * ```
 * connecting --connect--> online --Ctrl+C/Ctrl+D/EOF: end()--> leaving --server closes--> closed
 *     |                     |                                    |   exit 0 (3 if a line was refused),
 *     +--error-- exit 1     +--server end/close/reset-- exit 1   |   or exit 1 if the server never let
 *                                                                |   us in or left lines unanswered
 *                                                                +--2 s without a close--> exit 0 (3)
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
    return Promise.resolve(CLIENT_EXIT.left);
  }
  if (args.kind === 'version') {
    io.stdout.write(`${packageVersion()}\n`);
    return Promise.resolve(CLIENT_EXIT.left);
  }
  if (args.kind === 'invalid') {
    io.stderr.write(`${PROGRAM}: ${args.reason} (${CLIENT_USAGE})\n`);
    return Promise.resolve(CLIENT_EXIT.usage);
  }
  const address = formatAddress(args.host, args.port);
  const interactive = io.stdin.isTTY === true && io.stdout.isTTY === true;
  const colour = wantsColour(io.stdout, io.env ?? {});

  return new Promise<number>((resolve) => {
    let state: ClientState = 'connecting';
    let admission: Admission = 'waiting';
    let input: readline.Interface | undefined;
    let view: InputView | undefined;
    let leaveTimer: NodeJS.Timeout | undefined;
    let pokeTimer: NodeJS.Timeout | undefined;
    let drawPending = false;
    /** The user sent `/quit`: the server closing is then its own leave. */
    let quitAsked = false;
    /** Our room and name, as the server has said them: the prompt shows them. */
    let session = INITIAL_SESSION;
    const lines = trackSentLines();
    let ca: Buffer | undefined;
    try {
      ca = args.tls?.ca === undefined ? undefined : readFileSync(args.tls.ca);
    } catch (err) {
      io.stderr.write(
        `${PROGRAM}: cannot read CA file ${args.tls?.ca}: ${describeError(err)}\n`
      );
      resolve(CLIENT_EXIT.failed);
      return;
    }
    if (args.tls?.insecure === true)
      io.stderr.write(
        `${PROGRAM}: warning: --insecure: the server's certificate is not verified; anyone in between can read and change the chat\n`
      );
    const socket: net.Socket = args.tls
      ? tls.connect({
          host: args.host,
          port: args.port,
          // SNI takes a host name, never an address.
          ...(net.isIP(args.host) === 0 && { servername: args.host }),
          ...(ca && { ca }),
          rejectUnauthorized: !args.tls.insecure
        })
      : net.connect({ host: args.host, port: args.port });

    /** Prints a line: above the prompt on a terminal, plainly otherwise. */
    function show(line: string): void {
      if (view !== undefined) view.printAbove(line);
      else io.stdout.write(`${line}\n`);
    }

    /** How a session the user ended exits: 3 when a line was refused. */
    function leftCode(): number {
      return lines.refused() > 0 ? CLIENT_EXIT.linesRefused : CLIENT_EXIT.left;
    }

    function finish(code: number, problem?: string): void {
      if (state === 'closed') return;
      state = 'closed';
      clearTimeout(leaveTimer);
      clearTimeout(pokeTimer);
      stop?.removeEventListener('abort', leave);
      io.stdout.removeListener('resize', stdoutOnResize);
      io.stdin.removeListener('keypress', inputOnKeypress);
      view?.erase();
      view = undefined;
      input?.close();
      socket.destroy();
      if (code === CLIENT_EXIT.left || code === CLIENT_EXIT.linesRefused) {
        io.stdout.write('exit\n');
      }
      if (code === CLIENT_EXIT.linesRefused) {
        problem ??= `${plural(lines.refused(), 'line was', 'lines were')} not sent`;
      }
      if (problem !== undefined) io.stderr.write(`${PROGRAM}: ${problem}\n`);
      resolve(code);
    }

    function leave(): void {
      if (state === 'connecting') finish(CLIENT_EXIT.left);
      if (state !== 'online') return;
      view?.erase();
      view = undefined;
      state = 'leaving';
      input?.close();
      // Half-close and let the server close its side, so its last lines
      // (such as `[You] text` for a piped final line) still arrive.
      socket.end();
      leaveTimer = setTimeout(() => finish(leftCode()), LEAVE_WAIT_MS);
    }

    /**
     * The server closed (or reset) the connection. It ended the session,
     * unless we were leaving, it had let us in and it answered every line.
     */
    function serverClosed(problem: string): void {
      if (state === 'closed') return;
      const unanswered = lines.unanswered();
      for (const text of unanswered) show(formatUnsent(text));
      if (admission !== 'joined') {
        finish(CLIENT_EXIT.failed, `${problem} before joining the chat`);
      } else if ((state === 'online' && !quitAsked) || unanswered.length > 0) {
        const lost =
          unanswered.length === 0
            ? ''
            : `; ${plural(unanswered.length, 'line was', 'lines were')} not sent`;
        finish(CLIENT_EXIT.failed, `${problem}${lost}`);
      } else {
        finish(leftCode());
      }
    }

    function inputOnLine(text: string): void {
      if (state !== 'online') return;
      socket.write(`${text}\n`);
      const input = lines.sent(text);
      // `/quit`: the server closing after it is the user's own leave.
      if (input?.type === 'cmd.quit') quitAsked = true;
      // Only the server's answer renames us; this is what it answers.
      if (input?.type === 'cmd.nick')
        session = nickRequested(session, input.name);
      // The server echoes it back as `[You] text`. [CHAT-MSG-1]
      view?.draw();
    }

    /** Redraws the input once per turn, however many keys a paste brought. */
    function inputOnKeypress(
      _text: string | undefined,
      key: { ctrl?: boolean; name?: string } | undefined
    ): void {
      if (view === undefined) return;
      if (key?.ctrl === true && key.name === 'l') {
        io.stdout.write('\x1b[1;1H\x1b[0J');
        view.forget();
      }
      if (drawPending) return;
      drawPending = true;
      setImmediate(() => {
        drawPending = false;
        view?.draw();
      });
    }

    /** No greeting yet: one blank line (see GREETING_POKE_MS). */
    function pokeServer(): void {
      if (state === 'online' && admission === 'waiting') socket.write('\n');
    }

    function serverOnLine(line: string): void {
      if (state === 'closed') return;
      if (admission === 'waiting') {
        admission = line.startsWith('Error: ') ? 'refused' : 'joined';
        clearTimeout(pokeTimer);
      }
      session = readServerLine(session, line);
      // Drawn by show(), below the line that changed it.
      view?.setPrompt(formatPrompt(session));
      show(colour ? highlightPrivate(line) : line);
      const answer = lines.answer(line);
      if (answer.kind === 'refused') {
        show(formatUnsent(answer.text, answer.certain));
      }
    }

    function socketOnConnect(): void {
      state = 'online';
      pokeTimer = setTimeout(pokeServer, GREETING_POKE_MS);
      // readline does the framing: a line split over several TCP chunks, or
      // a UTF-8 character split between them, comes out whole. [CHAT-WIRE-2]
      const serverLines = readline.createInterface({
        input: socket,
        crlfDelay: Infinity
      });
      serverLines.on('line', serverOnLine);
      // readline re-emits its input's errors; socketOnError reports them.
      serverLines.on('error', () => undefined);
      // On a terminal readline edits the line (keys, history) but draws
      // nothing: it has no output, and the view draws from its state.
      input = readline.createInterface({
        input: io.stdin,
        terminal: interactive,
        crlfDelay: Infinity
      });
      input.on('line', inputOnLine);
      input.on('SIGINT', leave);
      input.on('close', leave);
      input.on('error', (err: Error) => {
        finish(CLIENT_EXIT.failed, `cannot read input: ${describeError(err)}`);
      });
      if (interactive) {
        view = createInputView(io.stdout, formatPrompt(session), input);
        // Added after readline's own listener, so it sees the edited line.
        io.stdin.on('keypress', inputOnKeypress);
        view.draw();
      }
    }

    function socketOnError(err: Error): void {
      if (state === 'connecting') {
        finish(
          CLIENT_EXIT.failed,
          `cannot connect to ${address}: ${describeConnectError(err)}`
        );
      } else if (errorCode(err) === 'ECONNRESET') {
        serverClosed('connection reset by the server');
      } else {
        serverClosed(`connection lost: ${describeError(err)}`);
      }
    }

    function socketOnClose(): void {
      if (state === 'connecting') {
        finish(
          CLIENT_EXIT.failed,
          `cannot connect to ${address}: connection closed`
        );
      } else {
        serverClosed('connection closed by the server');
      }
    }

    function stdoutOnResize(): void {
      view?.draw();
    }

    socket.on(args.tls ? 'secureConnect' : 'connect', socketOnConnect);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    io.stdout.on('resize', stdoutOnResize);
    stop?.addEventListener('abort', leave, { once: true });
  });
}

/**
 * A connect error in words; a TLS verification failure as node:tls words
 * it, with OpenSSL's code: `self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`.
 */
function describeConnectError(err: unknown): string {
  const code = errorCode(err);
  if (
    err instanceof Error &&
    code !== undefined &&
    (/CERT|SELF_SIGNED|UNABLE_TO|ERR_SSL|ERR_TLS/.test(code) ||
      code.startsWith('HOSTNAME'))
  )
    return `TLS: ${err.message.split('\n', 1)[0] ?? code} (${code})`;
  return describeError(err);
}

/** `1 line was`, `2 lines were`. */
function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
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
