import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'vitest';
import type { Cleanups } from './cleanup.js';

/**
 * A real Redis for tests and the bench: REDIS_URL when set, otherwise our own
 * redis-server on a free loopback port with its own temporary directory
 * (never the machine's Redis on 6379, which CI may not have).
 */

/** What a suite needs: any Redis, or one we start ourselves (restart/kill). */
export type RedisNeed = 'any' | 'own';

const NOT_FOUND =
  'redis-server not found (apt-get install redis-server, or set REDIS_URL)';
const NOT_FOUND_OWN =
  'redis-server not found (apt-get install redis-server); these tests restart Redis, which REDIS_URL cannot do';
const READY_MS = 10_000;
const EXIT_MS = 5_000;
const LOG_KEEP = 16 * 1024;

/** redis-server on PATH, or null. */
function findRedisServer(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * Why real-Redis tests cannot run here, or null when they can.
 *
 * @param need 'own' when the suite restarts or kills Redis, which REDIS_URL
 *   cannot do: then only a redis-server binary will do.
 */
export function redisUnavailable(need: RedisNeed = 'any'): string | null {
  if (need === 'any' && process.env.REDIS_URL) return null;
  if (findRedisServer() !== null) return null;
  return need === 'own' ? NOT_FOUND_OWN : NOT_FOUND;
}

/**
 * `describe` for suites that need a real Redis. When there is none it skips
 * loudly: a `SKIPPED: real-Redis tests: <reason>` warning and a
 * `describe.skip`, so vitest counts the tests as skipped. With
 * REQUIRE_REDIS=1 (CI) it fails instead, with one test that throws the reason.
 *
 * @example
 * describeRedis('cluster', () => { it('...', async () => { ... }); });
 */
export function describeRedis(
  name: string,
  body: () => void,
  need: RedisNeed = 'any'
): void {
  const reason = redisUnavailable(need);
  if (reason === null) {
    describe(name, body);
  } else if (process.env.REQUIRE_REDIS === '1') {
    describe(name, () => {
      it('has a real Redis (REQUIRE_REDIS=1)', () => {
        throw new Error(`real-Redis tests cannot run: ${reason}`);
      });
    });
  } else {
    console.warn(`SKIPPED: real-Redis tests: ${reason}`);
    describe.skip(name, body);
  }
}

/** A Redis the tests talk to. */
export interface RedisRun {
  /** redis://127.0.0.1:PORT (or REDIS_URL as given). */
  readonly url: string;
  readonly port: number;
  /** True when we started it (restart/kill work); false for REDIS_URL. */
  readonly own: boolean;
  /**
   * Stops it (SIGKILL by default, or SHUTDOWN NOSAVE with how 'shutdown'),
   * stays down for `downMs` (default 0) and starts it again on the same port;
   * with persistence 'aof' its data survives.
   */
  restart(options?: {
    downMs?: number;
    how?: 'kill' | 'shutdown';
  }): Promise<void>;
  /** Kills it (SIGKILL) and leaves it down. */
  kill(): Promise<void>;
  /** Starts it again after kill(), same port, same dir. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory; safe to call twice. */
  stop(): Promise<void>;
  /** The last of what redis-server wrote (its log), for failure messages. */
  log(): string;
}

const live = new Set<ChildProcess>();
let exitHookAdded = false;

/** A dying test worker takes its redis-servers with it. */
function killLiveOnExit(): void {
  if (exitHookAdded) return;
  exitHookAdded = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** A port nothing listens on right now (it may be taken again later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command; resolves with the first reply line, or null. */
function ask(port: number, command: string, ms = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (value: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), ms);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf('\r\n');
      if (end !== -1) done(reply.slice(0, end));
    });
    socket.once('error', () => done(null));
    socket.once('close', () => done(reply === '' ? null : reply));
  });
}

function parsePort(url: string): number {
  const port = new URL(url).port;
  return port === '' ? 6379 : Number(port);
}

function external(url: string): RedisRun {
  const refuse = (what: string) => (): Promise<void> =>
    Promise.reject(
      new Error(`cannot ${what} the Redis at REDIS_URL (${url}): not ours`)
    );
  return {
    url,
    port: parsePort(url),
    own: false,
    restart: refuse('restart'),
    kill: refuse('kill'),
    start: refuse('start'),
    stop: () => Promise.resolve(),
    log: () => ''
  };
}

/**
 * Starts a Redis for one test (or uses REDIS_URL, unless `own`); `cleanups`
 * stops it and removes its directory.
 *
 * @param options.persistence 'aof' (appendonly, fsync always) keeps the data
 *   over restart(); 'none' (default) starts empty each time.
 * @param options.own start our own redis-server even when REDIS_URL is set.
 * @example
 * const redis = await startRedis({ persistence: 'aof', cleanups });
 * await redis.restart({ downMs: 500 });
 */
export async function startRedis(
  options: {
    persistence?: 'none' | 'aof';
    own?: boolean;
    cleanups?: Cleanups;
  } = {}
): Promise<RedisRun> {
  const { persistence = 'none', own = false, cleanups } = options;
  const given = process.env.REDIS_URL;
  if (given && !own) return external(given);
  const binary = findRedisServer();
  if (binary === null) throw new Error(own ? NOT_FOUND_OWN : NOT_FOUND);

  const dir = mkdtempSync(join(tmpdir(), 'actor-chat-redis-'));
  let port = 0;
  let child: ChildProcess | null = null;
  let out = '';
  let stopped = false;

  const spawnOn = (at: number): ChildProcess => {
    // prettier-ignore
    const args = [
      '--port', String(at), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', persistence === 'aof' ? 'yes' : 'no',
      '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no',
      '--protected-mode', 'no'
    ];
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: string): void => {
      out = (out + d).slice(-LOG_KEEP);
    };
    proc.stdout?.setEncoding('utf8').on('data', keep);
    proc.stderr?.setEncoding('utf8').on('data', keep);
    proc.once('error', (err) => keep(`\nspawn error: ${err.message}\n`));
    live.add(proc);
    killLiveOnExit();
    proc.once('exit', () => live.delete(proc));
    return proc;
  };

  const exited = (proc: ChildProcess): boolean =>
    proc.exitCode !== null || proc.signalCode !== null;

  const waitExit = async (proc: ChildProcess, ms: number): Promise<boolean> => {
    const deadline = performance.now() + ms;
    while (!exited(proc) && performance.now() < deadline) await sleep(10);
    return exited(proc);
  };

  /** Waits for +PONG (not -LOADING); 'in use' when the port was taken. */
  const ready = async (proc: ChildProcess): Promise<'ok' | 'in use'> => {
    const deadline = performance.now() + READY_MS;
    while (performance.now() < deadline) {
      if (exited(proc)) {
        if (/address already in use/i.test(out)) return 'in use';
        throw new Error(
          `redis-server on port ${port} exited (${proc.exitCode ?? proc.signalCode}) before answering PING; its output:\n${out}`
        );
      }
      if ((await ask(port, 'PING')) === '+PONG') return 'ok';
      await sleep(20);
    }
    proc.kill('SIGKILL');
    throw new Error(
      `redis-server on port ${port} did not answer PING within ${READY_MS} ms; its output:\n${out}`
    );
  };

  const kill = async (): Promise<void> => {
    if (child === null || exited(child)) return;
    child.kill('SIGKILL');
    if (!(await waitExit(child, EXIT_MS)))
      throw new Error(`redis-server on port ${port} survived SIGKILL`);
  };

  /** Starts on `port`; a port taken meanwhile is retried a few times. */
  const startOnPort = async (): Promise<void> => {
    if (stopped) throw new Error('start: this Redis was stopped for good');
    if (child !== null && !exited(child))
      throw new Error(`start: redis-server on port ${port} is running`);
    for (let attempt = 1; ; attempt += 1) {
      out = '';
      child = spawnOn(port);
      if ((await ready(child)) === 'ok') return;
      if (attempt === 5)
        throw new Error(
          `redis-server: port ${port} stayed in use; its output:\n${out}`
        );
      await sleep(200);
    }
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  cleanups?.add(stop);

  try {
    // Another process may take the free port before redis-server binds it.
    for (let attempt = 1; child === null || exited(child); attempt += 1) {
      port = await freePort();
      out = '';
      child = spawnOn(port);
      if ((await ready(child)) === 'ok') break;
      if (attempt === 5)
        throw new Error(`redis-server: no free port after 5 tries:\n${out}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    own: true,
    async restart({ downMs = 0, how = 'kill' } = {}) {
      if (how === 'shutdown' && child !== null && !exited(child)) {
        await ask(port, 'SHUTDOWN NOSAVE');
        if (!(await waitExit(child, EXIT_MS))) await kill();
      } else {
        await kill();
      }
      if (downMs > 0) await sleep(downMs);
      await startOnPort();
    },
    kill,
    start: startOnPort,
    stop,
    log: () => out
  };
}
