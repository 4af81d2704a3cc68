/**
 * `npm run test:chaos`: the bounded chaos runs CI makes against our own
 * server. Starts the built daemon (dist/) with its default limits on a free
 * loopback port, runs `chat-chaos --scenario all` against it, then a room
 * run (`--rooms 3`: rooms, names, private lines and a name race beside the
 * faults; issue 17), shuts the daemon down with SIGTERM, and fails unless
 * chat-chaos found no violation in either run and the daemon exited 0.
 *
 *   npm run test:chaos                       (seed 1, 30 s + 10 s of rooms)
 *   CHAOS_SEED=42 CHAOS_DURATION=10s CHAOS_ROOMS_DURATION=5s npm run test:chaos
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const seed = process.env.CHAOS_SEED ?? '1';
const duration = process.env.CHAOS_DURATION ?? '30s';
const roomsDuration = process.env.CHAOS_ROOMS_DURATION ?? '10s';
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
    const run = async (extra: string[], runDuration: string) =>
      exited(
        spawn(
          process.execPath,
          [
            'dist/cli/chaos.js',
            '127.0.0.1',
            String(port),
            '--scenario',
            'all',
            '--duration',
            runDuration,
            '--seed',
            seed,
            ...extra
          ],
          { cwd: root, stdio: 'inherit' }
        )
      );
    const chaosCode = await run([], duration);
    const roomsCode = await run(['--rooms', '3'], roomsDuration);
    server.kill('SIGTERM');
    const serverCode = await exited(server);
    if (chaosCode !== 0)
      console.error(`chat-chaos exited ${String(chaosCode)}`);
    if (roomsCode !== 0)
      console.error(`chat-chaos --rooms 3 exited ${String(roomsCode)}`);
    if (serverCode !== 0)
      console.error(`chat-server exited ${String(serverCode)} after SIGTERM`);
    return chaosCode === 0 && roomsCode === 0 && serverCode === 0 ? 0 : 1;
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
