/**
 * `npm run test:chaos`: the bounded chaos runs CI makes against our own
 * server. Starts the built daemon (dist/) with its default limits on a free
 * loopback port, runs `chat-chaos --scenario all` against it, then a room
 * run (`--rooms 3`: rooms, names, private lines and a name race beside the
 * faults; issue 17), then one run over TLS (a throwaway certificate made
 * with openssl, verified with --ca) and one over WebSocket (issue 18), shuts
 * the daemon down with SIGTERM, and fails unless chat-chaos found no
 * violation in any run and the daemon exited 0.
 *
 *   npm run test:chaos          (seed 1, 30 s + 10 s of rooms + 10 s TLS + 10 s WebSocket)
 *   CHAOS_SEED=42 CHAOS_DURATION=10s CHAOS_ROOMS_DURATION=5s CHAOS_TRANSPORT_DURATION=5s npm run test:chaos
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSelfSignedCert, type CertFiles } from './self-signed.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const seed = process.env.CHAOS_SEED ?? '1';
const duration = process.env.CHAOS_DURATION ?? '30s';
const roomsDuration = process.env.CHAOS_ROOMS_DURATION ?? '10s';
const transportDuration = process.env.CHAOS_TRANSPORT_DURATION ?? '10s';
const STARTUP_MS = 10_000;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** A throwaway self-signed certificate for 127.0.0.1, valid one day. */
function makeCert(dir: string): CertFiles {
  return writeSelfSignedCert(dir, 'server');
}

/** The port of `listening for KIND` in the daemon's info log. */
function listeningFor(server: ChildProcess, kind: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const pattern = new RegExp(`listening for ${kind} .*port=(\\d+)`);
    const timer = setTimeout(
      () => reject(new Error(`no ${kind} listener within ${STARTUP_MS} ms`)),
      STARTUP_MS
    );
    server.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
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
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-ci-tls-'));
  const { cert, key } = makeCert(dir);
  const server = spawn(
    process.execPath,
    [
      'dist/cli/server.js',
      '127.0.0.1',
      '0',
      '--tls',
      '127.0.0.1:0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--ws',
      '127.0.0.1:0',
      '--log-level',
      'info'
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }
  );
  server.stdout?.setEncoding('utf8');
  try {
    const tlsPort = listeningFor(server, 'tls');
    const wsPort = listeningFor(server, 'websocket');
    const port = await startedOn(server);
    const run = async (extra: string[], runDuration: string, target = port) =>
      exited(
        spawn(
          process.execPath,
          [
            'dist/cli/chaos.js',
            '127.0.0.1',
            String(target),
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
    const tlsCode = await run(
      ['--tls', '--ca', cert],
      transportDuration,
      await tlsPort
    );
    const wsCode = await run(['--ws'], transportDuration, await wsPort);
    server.kill('SIGTERM');
    const serverCode = await exited(server);
    if (chaosCode !== 0)
      console.error(`chat-chaos exited ${String(chaosCode)}`);
    if (roomsCode !== 0)
      console.error(`chat-chaos --rooms 3 exited ${String(roomsCode)}`);
    if (tlsCode !== 0)
      console.error(`chat-chaos --tls exited ${String(tlsCode)}`);
    if (wsCode !== 0) console.error(`chat-chaos --ws exited ${String(wsCode)}`);
    if (serverCode !== 0)
      console.error(`chat-server exited ${String(serverCode)} after SIGTERM`);
    return [chaosCode, roomsCode, tlsCode, wsCode, serverCode].every(
      (code) => code === 0
    )
      ? 0
      : 1;
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
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
