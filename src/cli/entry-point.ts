import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ChatError, UsageError, describeSystemError } from '../app/errors.js';

/**
 * True when the module at `moduleUrl` is the script node was started with.
 * npm links bins through symlinks, so the script path is resolved first.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** Where a program reports a failure. */
export interface FailureIo {
  stderr: NodeJS.WritableStream;
  exit: (code: number) => void;
}

/**
 * Ends `program` on `err` with one line on stderr: exit code 2 and a pointer
 * to `--help` for a `UsageError`, 1 for anything else (a `ChatError` says
 * what went wrong itself; other errors are described, never dumped).
 */
export function exitOnFailure(
  program: string,
  err: unknown,
  io: FailureIo
): void {
  if (err instanceof UsageError) {
    io.stderr.write(`${program}: ${err.message}; see ${program} --help\n`);
    io.exit(2);
    return;
  }
  const message =
    err instanceof ChatError ? err.message : describeSystemError(err);
  io.stderr.write(`${program}: ${message}\n`);
  io.exit(1);
}
