#!/usr/bin/env node
import { createProgress } from '../tools/chaos/progress.js';
import { renderReport } from '../tools/chaos/report.js';
import { runChaos } from '../tools/chaos/run.js';
import type { ChaosOptions } from '../tools/chaos/types.js';
import { joinHostPort } from './address.js';
import { CHAOS_USAGE, parseChaosArgs } from './chaos-args.js';
import { exitOnFailure, isEntryPoint } from './entry-point.js';
import { packageVersion } from './version.js';

const PROGRAM = 'chat-chaos';

/** The streams and process hooks chat-chaos uses; injectable for tests. */
export interface ChaosIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** True when stderr is a terminal: progress is a bar, not lines. */
  stderrIsTty: boolean;
  /** Ends the program with this exit code. */
  exit: (code: number) => void;
  /** Aborted on SIGINT/SIGTERM: the faults stop early, the checks still run. */
  signal?: AbortSignal;
}

async function run(
  options: ChaosOptions,
  json: boolean,
  io: ChaosIo
): Promise<void> {
  const progress = createProgress(io.stderr, io.stderrIsTty);
  io.stderr.write(
    `${PROGRAM}: ${joinHostPort(options.host, options.port)} over ${options.transport ?? 'tcp'}, seed ${options.seed}, ${options.scenarios.length} fault kinds, ${options.durationMs / 1000} s\n`
  );
  const report = await runChaos(options, {
    onProgress: (p) => {
      progress.update(p);
      if (p.elapsedMs >= p.totalMs)
        progress.done('faults stopped; settling and checking');
    },
    signal: io.signal
  });
  io.stdout.write(
    `${json ? JSON.stringify(report, null, 2) : renderReport(report)}\n`
  );
  io.exit(report.ok ? 0 : 1);
}

/**
 * Runs the `chat-chaos` program with `argv` (without node and script).
 * Exit codes: 0 no violations, 1 violations or a failed run, 2 bad arguments;
 * every failure is one line on stderr.
 */
export async function main(argv: string[], io: ChaosIo): Promise<void> {
  try {
    const command = parseChaosArgs(argv);
    if (command.kind === 'help') {
      io.stdout.write(`${CHAOS_USAGE}\n`);
      io.exit(0);
      return;
    }
    if (command.kind === 'version') {
      io.stdout.write(`${packageVersion()}\n`);
      io.exit(0);
      return;
    }
    await run(command.options, command.json, io);
  } catch (err) {
    exitOnFailure(PROGRAM, err, io);
  }
}

if (isEntryPoint(import.meta.url)) {
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) {
      process.stderr.write(`${PROGRAM}: second signal, exiting at once\n`);
      process.exit(1);
    }
    process.stderr.write(
      `${PROGRAM}: stopping the faults early; checking what happened so far\n`
    );
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTty: process.stderr.isTTY === true,
    exit: (code) => {
      // stdout to a pipe may still hold the report: exit once it is out.
      process.stdout.write('', () => process.exit(code));
    },
    signal: stop.signal
  });
}
