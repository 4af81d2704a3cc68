/**
 * The client processes of the idle-connection scale workload
 * (bench/scale-client.ts) as seen from the bench: started with a raised
 * open-file limit on the load generator's core, read as JSON lines, stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { HOST, PINNED } from './load.js';
import type {
  ScaleClientCheck,
  ScaleClientFanOut,
  ScaleClientReport
} from './scale-client.js';

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The scale client as a child process, answering in JSON lines. */
export interface ClientProcess {
  readonly child: ChildProcess;
  /** The next JSON line, or null after `ms` or the child's exit. */
  next(ms: number): Promise<unknown>;
  stderr(): string;
}

/** Which share of the connections one client process opens. */
export interface Shard {
  target: number;
  room: number;
  concurrency: number;
  /** The last byte of its first source address, 127.0.0.N. */
  firstAddress: number;
  /** Connections per source address. */
  perAddress: number;
  /** Its open-file limit. */
  fds: number;
}

/** Connections waiting for their greeting at once (under both servers' listen backlog). */
export const CONCURRENCY = 256;
/** Connections per client process, and per source address. */
const CLIENT_SHARE = 15_000;
const PER_ADDRESS = 10_000;

/**
 * Our daemon's arguments to hold `connections` idle connections and a
 * hundred more: no connection limit in the way (loopback is exempt from the
 * per-address one by default; said anyway) and no idle timeout.
 */
export function roomFor(connections: number): string[] {
  const room = String(connections + 100);
  return [
    '--max-connections',
    room,
    '--max-connections-per-ip',
    room,
    '--idle-timeout',
    '0'
  ];
}

export function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

/** The hard limit on open files this process may give its children (and servers). */
export function hardFileLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const hard = /Max open files\s+\S+\s+(\S+)/.exec(limits)?.[1];
    return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return Infinity;
  }
}

/**
 * Splits `target` connections over client processes of at most
 * CLIENT_SHARE connections each (one process may not hold more descriptors
 * than the hard limit), each with its own source addresses.
 */
export function shards(target: number, hardLimit: number): Shard[] {
  const share = Math.min(CLIENT_SHARE, hardLimit - 500);
  const count = Math.ceil(target / share);
  const each = Math.ceil(target / count);
  const addresses = Math.ceil(each / PER_ADDRESS);
  return Array.from({ length: count }, (_, i) => ({
    target: Math.min(each, target - i * each),
    room: target,
    concurrency: Math.ceil(CONCURRENCY / count),
    firstAddress: 2 + i * addresses,
    perAddress: PER_ADDRESS,
    fds: Math.min(hardLimit, roundUp(each + 1000, 1000))
  }));
}

/**
 * Starts one client process for `shard` of the connections to `port`, with
 * its open-file limit raised to `shard.fds` (at most the hard limit);
 * `pokeMs` > 0 makes its connections send a blank line when not greeted
 * that long after their handshake, as chat-client does.
 */
export function startClient(
  port: number,
  shard: Shard,
  timeoutSec: number,
  pokeMs = 0
): ClientProcess {
  let command = [
    process.execPath,
    '--import',
    'tsx',
    'bench/scale-client.ts',
    '--host',
    HOST,
    '--port',
    String(port),
    '--target',
    String(shard.target),
    '--room',
    String(shard.room),
    '--concurrency',
    String(shard.concurrency),
    '--timeout-ms',
    String(timeoutSec * 1000),
    '--first-address',
    String(shard.firstAddress),
    '--per-address',
    String(shard.perAddress),
    '--poke-ms',
    String(pokeMs)
  ];
  if (PINNED) command = ['taskset', '-c', '1', ...command];
  // The soft limit up to `fds` (never past the hard limit, which needs no
  // capability), through the shell: `prlimit` is not everywhere.
  const child = spawn(
    'sh',
    ['-c', 'ulimit -n "$0" && exec "$@"', String(shard.fds), ...command],
    { stdio: ['pipe', 'pipe', 'pipe'] }
  );
  const lines: unknown[] = [];
  const waiters: ((line: unknown) => void)[] = [];
  let exited = false;
  let err = '';
  const deliver = (line: unknown): void => {
    const waiter = waiters.shift();
    if (waiter === undefined) lines.push(line);
    else waiter(line);
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      deliver(JSON.parse(line));
    } catch {
      err += `${line}\n`;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-4000);
  });
  child.once('exit', () => {
    exited = true;
    for (const waiter of waiters.splice(0)) waiter(null);
  });
  return {
    child,
    stderr: () => err,
    next: (ms) => {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      if (exited) return Promise.resolve(null);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          const at = waiters.indexOf(waiter);
          if (at !== -1) waiters.splice(at, 1);
          resolve(null);
        }, ms);
        const waiter = (line: unknown): void => {
          clearTimeout(timer);
          resolve(line);
        };
        waiters.push(waiter);
      });
    }
  };
}

/** Whether `value` is an object whose `type` is `type`. */
function typed(value: unknown, type: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === type
  );
}

/** Whether a client's JSON line is its report. */
export function isReport(value: unknown): value is ScaleClientReport {
  return typed(value, 'ready');
}

/** Whether a client's JSON line answers `check`. */
export function isCheck(value: unknown): value is ScaleClientCheck {
  return typed(value, 'checked');
}

/** Ends the client process: `quit`, then SIGKILL if it lingers. */
export async function stopClient(client: ClientProcess): Promise<void> {
  if (client.child.exitCode !== null || client.child.signalCode !== null)
    return;
  const exited = new Promise<void>((resolve) =>
    client.child.once('exit', () => resolve())
  );
  client.child.stdin?.end('quit\n');
  await Promise.race([exited, sleep(5000)]);
  if (client.child.exitCode === null && client.child.signalCode === null) {
    client.child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

/** Whether a client's JSON line says it is armed for the fan-out probe. */
export function isArmed(value: unknown): boolean {
  return typed(value, 'armed');
}

/** Whether a client's JSON line answers `fanout`. */
export function isFanned(value: unknown): value is ScaleClientFanOut {
  return typed(value, 'fanned');
}
