#!/usr/bin/env node
import { accessSync, constants, lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { startDaemon, type Daemon } from '../app/daemon.js';
import { ChatError, describeSystemError } from '../app/errors.js';
import { createLogger, flushConsole, type Logger } from '../app/logger.js';
import { connectStately } from '../admin/stately.js';
import { exitOnFailure, isEntryPoint } from './entry-point.js';
import {
  SERVER_USAGE,
  parseServerArgs,
  type ServerConfig
} from './server-args.js';
import { packageVersion } from './version.js';

const PROGRAM = 'chat-server';

/** The streams and process hooks the server program uses; injectable for tests. */
export interface ServerIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Ends the program with this exit code. */
  exit: (code: number) => void;
}

/**
 * Fails at startup, in one line, when the log cannot be written: the rotated
 * files are created in the directory of `path`, and `path` itself becomes
 * the link to the current one (`logFileNames`), so it must be free or a
 * link already.
 */
function checkWritable(path: string): void {
  let existing;
  try {
    // With `/.`, a file where the directory should be is ENOTDIR.
    accessSync(`${dirname(path)}/.`, constants.W_OK);
    existing = lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw new ChatError(
      `cannot open log file ${path}: ${describeSystemError(err)}`,
      { cause: err }
    );
  }
  if (existing !== undefined && !existing.isSymbolicLink()) {
    const what = existing.isDirectory() ? 'a directory' : 'a file';
    throw new ChatError(
      `cannot open log file ${path}: ${what} is where the link to the current log file goes; move it away`
    );
  }
}

/** How long the last log lines may take to reach the console and the file. */
const FLUSH_TIMEOUT_MS = 2000;

/** Resolves once what was written to `stream` so far has left the process. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/**
 * Ends the logger and waits, within FLUSH_TIMEOUT_MS, until its last lines
 * are out of the process: stdout to a pipe still buffers what
 * `process.exit` would drop.
 */
async function drainLogs(logger: Logger, io: ServerIo): Promise<void> {
  // The logger's own 'finish' comes before its transports have written the
  // last records (winston#1504); each transport finishes after its last one.
  const finished = Promise.all(
    logger.transports.map(
      (transport) => new Promise((resolve) => transport.once('finish', resolve))
    )
  );
  logger.end();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
  });
  await Promise.race([
    finished.then(() => Promise.all([drained(io.stdout), drained(io.stderr)])),
    deadline
  ]);
  clearTimeout(timer);
}

async function run(config: ServerConfig, io: ServerIo): Promise<void> {
  if (config.logFile !== undefined) checkWritable(config.logFile);
  const logger = createLogger({
    level: config.logLevel,
    file: config.logFile,
    rotation: config.logRotation
  });
  // Signals are handled from the start: one that arrives while the daemon
  // is still starting (its start line may already be out) shuts it down
  // once it is up, rather than killing it with connections half-accepted.
  let daemonUp!: (daemon: Daemon | undefined) => void;
  const daemon = new Promise<Daemon | undefined>((resolve) => {
    daemonUp = resolve;
  });
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await (await daemon)?.close();
    stately?.stop();
    await drainLogs(logger, io);
    io.exit(code);
  };
  const onSignal = (): void => {
    if (stopping) {
      flushConsole(logger);
      io.stderr.write(`${PROGRAM}: second signal, exiting at once\n`);
      io.exit(1);
      return;
    }
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // SIGHUP: new TLS certificate and key for new connections (a renewal's
  // deploy hook). Without TLS it does nothing rather than end the process.
  process.on('SIGHUP', () => {
    void daemon.then((up) => up?.reloadTls());
  });

  const { admin, stately: statelyUrl } = config.inspection;
  let stately: Awaited<ReturnType<typeof connectStately>> | undefined;
  try {
    stately =
      statelyUrl === undefined
        ? undefined
        : await connectStately(statelyUrl, logger);
    daemonUp(
      await startDaemon({
        logger,
        host: config.host,
        port: config.port,
        plain: config.listeners.plain,
        ...(config.listeners.tls && { tls: config.listeners.tls }),
        ...(config.listeners.ws && { ws: config.listeners.ws }),
        ...config.limits,
        admin,
        cluster: config.cluster,
        ...(config.rooms && { rooms: config.rooms }),
        inspect: stately?.inspect,
        onFault: () => void stop(1)
      })
    );
  } catch (err) {
    daemonUp(undefined);
    throw err;
  }

  const onFatal = (err: unknown): void => {
    const error = err instanceof Error ? err : new Error(String(err));
    // An error record writes the console's lines before it at once.
    logger.error('daemon fault', { err: error.stack ?? error.message });
    io.stderr.write(`${PROGRAM}: internal error: ${error.message}\n`);
    io.exit(1);
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
}

/**
 * Runs the `chat-server` program with `argv` (without node and script).
 * Every failure ends as one line on stderr and a non-zero exit.
 */
export async function main(argv: string[], io: ServerIo): Promise<void> {
  try {
    const command = parseServerArgs(argv);
    if (command.kind === 'help') {
      io.stdout.write(`${SERVER_USAGE}\n`);
      io.exit(0);
      return;
    }
    if (command.kind === 'version') {
      io.stdout.write(`${packageVersion()}\n`);
      io.exit(0);
      return;
    }
    await run(command.config, io);
  } catch (err) {
    exitOnFailure(PROGRAM, err, io);
  }
}

if (isEntryPoint(import.meta.url)) {
  void main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    exit: (code) => process.exit(code)
  });
}
