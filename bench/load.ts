/**
 * What the benchmarks share: the built daemon as a child process (pinned to
 * core 0 when `taskset` is there, the load generator to core 1), chatting
 * clients that keep a window of lines in flight, and percentiles.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export const HOST = '127.0.0.1';

/** True when this process and the server it starts are pinned to separate cores. */
export const PINNED = pinSelf();

function pinSelf(): boolean {
  if (!existsSync('/usr/bin/taskset')) return false;
  try {
    execFileSync('taskset', ['-cp', '1', String(process.pid)], {
      stdio: 'ignore'
    });
    return true;
  } catch {
    return false;
  }
}

/** A daemon started for a benchmark. */
export interface BenchServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** The admin listener's port, when `--admin` was given. */
  readonly adminPort: number | null;
  /** Everything the daemon wrote to stdout and stderr so far. */
  output(): string;
  stop(): void;
}

/**
 * Starts `dist/cli/server.js` on a free port with `--log-level info` (no
 * per-message logging) and no flood pacing, plus `args`; resolves once it
 * listens (and its admin listener, if asked for, does too).
 */
export function startServer(args: readonly string[]): Promise<BenchServer> {
  const argv = [
    'dist/cli/server.js',
    HOST,
    '0',
    '--log-level',
    'info',
    '--flood-rate',
    '0',
    ...args
  ];
  const child = PINNED
    ? spawn('taskset', ['-c', '0', process.execPath, ...argv], {
        stdio: ['ignore', 'pipe', 'pipe']
      })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const wantsAdmin = args.includes('--admin');
  let out = '';
  return new Promise((resolve, reject) => {
    const ready = (): void => {
      const port = /started on port (\d+)/.exec(out)?.[1];
      const admin = /admin listening url="http:\/\/[^"]*:(\d+)\//.exec(
        out
      )?.[1];
      if (port === undefined || (wantsAdmin && admin === undefined)) return;
      resolve({
        child,
        port: Number(port),
        adminPort: admin === undefined ? null : Number(admin),
        output: () => out,
        stop: () => child.kill('SIGKILL')
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        ready();
      });
    }
    child.once('exit', (code) =>
      reject(new Error(`server exited with ${code}: ${out.slice(-500)}`))
    );
  });
}

/** The resident set of a process, in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/**
 * CPU seconds (user + system) a process has used so far, from
 * /proc/PID/stat in clock ticks (100 a second on Linux).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A connected client socket. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** What the chatting clients of one run saw. */
export interface ChatStats {
  received: number;
  latencies: number[];
}

/**
 * One chatting client until `until` (epoch ms): keeps `window` own lines in
 * flight (its `[You]` echo frees a slot), counts every line it receives and
 * the latency of its own.
 */
export function chat(
  socket: Socket,
  stats: ChatStats,
  until: number,
  window: number
): Promise<void> {
  let inFlight = 0;
  let partial = '';
  let seq = 0;
  const send = (): void => {
    while (inFlight < window && Date.now() < until) {
      inFlight += 1;
      socket.write(`${process.hrtime.bigint()} ${seq++}\n`);
    }
  };
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stats.received += 1;
      if (line.startsWith('[You] ')) {
        inFlight -= 1;
        const sent = BigInt(line.slice(6).split(' ', 1)[0] ?? '0');
        stats.latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
      }
    }
    send();
  });
  return new Promise((resolve) => {
    socket.once('data', () => send());
    setTimeout(resolve, until - Date.now());
  });
}

/** The `p` quantile (0..1) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
  );
}

/** Throughput and latency of `chatters` clients chatting for `seconds`. */
export interface ChatResult {
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** Connects `chatters` clients to `port`, lets them chat for `seconds`, closes them. */
export async function chatRun(
  port: number,
  chatters: number,
  seconds: number,
  window: number
): Promise<ChatResult> {
  const sockets = await Promise.all(
    Array.from({ length: chatters }, () => open(port))
  );
  const stats: ChatStats = { received: 0, latencies: [] };
  const started = Date.now();
  const until = started + seconds * 1000;
  await Promise.all(sockets.map((s) => chat(s, stats, until, window)));
  const elapsed = (Date.now() - started) / 1000;
  for (const s of sockets) s.destroy();
  const sorted = stats.latencies.sort((a, b) => a - b);
  return {
    deliveriesPerSec: Math.round(stats.received / elapsed),
    p50Ms: Math.round(percentile(sorted, 0.5) * 10) / 10,
    p99Ms: Math.round(percentile(sorted, 0.99) * 10) / 10
  };
}
