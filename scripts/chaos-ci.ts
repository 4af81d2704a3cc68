/**
 * `npm run test:chaos`: the bounded chaos run CI makes against our own
 * server. Starts the built daemon (dist/) with its default limits on a free
 * loopback port, runs `chat-chaos --scenario all` against it, shuts the
 * daemon down with SIGTERM, and fails unless chat-chaos found no violation
 * and the daemon exited 0.
 *
 *   npm run test:chaos                       (seed 1, 30 s)
 *   CHAOS_SEED=42 CHAOS_DURATION=10s npm run test:chaos
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const seed = process.env.CHAOS_SEED ?? '1';
const duration = process.env.CHAOS_DURATION ?? '30s';
const STARTUP_MS = 10_000;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** The port the daemon prints in `Chat Server started on port P.`. */
function startedOn(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () =>
        reject(new Error(`the server did not start within ${STARTUP_MS} ms`)),
      STARTUP_MS
    );
    server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /Chat Server started on port (\d+)\./.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`the server exited with ${String(code)} before starting`)
      );
    });
  });
}

async function main(): Promise<number> {
  // stdout is read only for the port (--log-level info: no per-message
  // lines to read); warnings and errors go to the CI log through stderr.
  const server = spawn(
    process.execPath,
    ['dist/cli/server.js', '127.0.0.1', '0', '--log-level', 'info'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }
  );
  try {
    const port = await startedOn(server);
    const chaos = spawn(
      process.execPath,
      [
        'dist/cli/chaos.js',
        '127.0.0.1',
        String(port),
        '--scenario',
        'all',
        '--duration',
        duration,
        '--seed',
        seed
      ],
      { cwd: root, stdio: 'inherit' }
    );
    const chaosCode = await exited(chaos);
    server.kill('SIGTERM');
    const serverCode = await exited(server);
    if (chaosCode !== 0)
      console.error(`chat-chaos exited ${String(chaosCode)}`);
    if (serverCode !== 0)
      console.error(`chat-server exited ${String(serverCode)} after SIGTERM`);
    return chaosCode === 0 && serverCode === 0 ? 0 : 1;
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      `test:chaos: ${err instanceof Error ? err.message : String(err)}`
    );
    process.exit(1);
  }
);
