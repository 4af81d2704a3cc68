/**
 * Runs the chat-chaos program from source (through tsx), as a user would,
 * for the chaos tests.
 */
import { spawn } from 'node:child_process';
import type { Cleanups } from './cleanup.js';

/** How a chat-chaos run ended, and what it printed. */
export interface ChaosExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `chat-chaos ARGS`; `cleanups` kills it if the test ends first, and
 * with `killAfterMs` it is killed once that long has passed.
 */
export async function runChaosCli(
  args: readonly string[],
  cleanups: Cleanups,
  killAfterMs?: number
): Promise<ChaosExit> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/chaos.ts', ...args],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const killer =
    killAfterMs === undefined
      ? null
      : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  cleanups.add(() => {
    if (killer !== null) clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (c) => resolve(c))
  );
  if (killer !== null) clearTimeout(killer);
  return { code, stdout, stderr };
}
