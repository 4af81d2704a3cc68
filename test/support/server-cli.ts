import { spawn, type ChildProcess } from 'node:child_process';
import type { Cleanups } from './cleanup.js';
import { until } from './wait.js';

/** chat-server running from source in a child process. */
export interface ServerRun {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout so far. */
  stdout(): string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Resolves with the chat port once the start line is out; fails if it exits first. */
  started(): Promise<number>;
}

/**
 * Runs `src/cli/server.ts` through tsx with `args`; `cleanups` kills it if a
 * test leaves it running.
 */
export function runServerCli(args: string[], cleanups: Cleanups): ServerRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/server.ts', ...args],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  );
  cleanups.add(() => {
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
  });
  const started = async (): Promise<number> => {
    await until(
      () => /started on port \d+\./.test(out) || child.exitCode !== null,
      'the start line',
      15_000,
      () => `stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`
    );
    const port = /started on port (\d+)\./.exec(out)?.[1];
    if (port === undefined)
      throw new Error(`chat-server exited before starting: ${err}`);
    return Number(port);
  };
  return { child, stdout: () => out, stderr: () => err, exited, started };
}
