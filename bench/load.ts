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

/** A server started for a benchmark: ours or the raw reference. */
export interface BenchServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** The admin listener's port, when `--admin` was given. */
  readonly adminPort: number | null;
  /** The TLS listener's port, when `--tls` was given. */
  readonly tlsPort: number | null;
  /** The WebSocket listener's port, when `--ws` was given. */
  readonly wsPort: number | null;
  /** The last 64 KiB the server wrote to stdout and stderr. */
  output(): string;
  /** How many bytes the server wrote to stdout and stderr in all. */
  outputBytes(): number;
  stop(): void;
}

/**
 * Which server a workload runs against: ours, or the raw reference flushing
 * per tick (`raw`, the reference) or per event-loop turn (`raw-turn`).
 */
export type ServerKind = 'actor-chat' | 'raw' | 'raw-turn';

/** How to start a server beyond its kind. */
export interface StartOptions {
  /** Extra command-line arguments (ours only). */
  args?: readonly string[];
  /** Extra command-line arguments for the raw reference (`--backlog N`). */
  rawArgs?: readonly string[];
  /** Open-file limit of the server process (through `prlimit`). */
  fdLimit?: number;
}

/**
 * Starts `dist/cli/server.js` on a free port with `--log-level info` (no
 * per-message logging) and no flood pacing, plus `args`; resolves once it
 * listens (and its admin listener, if asked for, does too).
 */
export function startServer(
  args: readonly string[],
  options: Omit<StartOptions, 'args'> = {}
): Promise<BenchServer> {
  return startProcess(
    [
      'dist/cli/server.js',
      HOST,
      '0',
      '--log-level',
      'info',
      '--flood-rate',
      '0',
      ...args
    ],
    options.fdLimit,
    {
      admin: args.includes('--admin'),
      tls: args.includes('--tls'),
      ws: args.includes('--ws')
    }
  );
}

/** Starts the raw `node:net` reference server (bench/raw-server.ts). */
export function startRawServer(
  flush: 'tick' | 'turn',
  options: Omit<StartOptions, 'args'> = {}
): Promise<BenchServer> {
  return startProcess(
    [
      '--import',
      'tsx',
      'bench/raw-server.ts',
      HOST,
      '0',
      '--flush',
      flush,
      ...(options.rawArgs ?? [])
    ],
    options.fdLimit,
    { admin: false, tls: false, ws: false }
  );
}

/** Starts a server of either kind. */
export function startKind(
  kind: ServerKind,
  options: StartOptions = {}
): Promise<BenchServer> {
  if (kind === 'actor-chat') return startServer(options.args ?? [], options);
  return startRawServer(kind === 'raw' ? 'tick' : 'turn', options);
}

/** How much of a server's output a `BenchServer` keeps: the last 64 KiB. */
const OUTPUT_KEPT_BYTES = 64 * 1024;

/** Which listeners beside the chat one to wait for. */
interface Wanted {
  admin: boolean;
  tls: boolean;
  ws: boolean;
}

/** The port in the first match of `pattern` in `head`, or undefined. */
function portIn(head: string, pattern: RegExp): number | undefined {
  const port = pattern.exec(head)?.[1];
  return port === undefined ? undefined : Number(port);
}

function startProcess(
  argv: readonly string[],
  fdLimit: number | undefined,
  wants: Wanted
): Promise<BenchServer> {
  let command = [process.execPath, ...argv];
  if (PINNED) command = ['taskset', '-c', '0', ...command];
  if (fdLimit !== undefined)
    command = ['prlimit', `--nofile=${fdLimit}:${fdLimit}`, ...command];
  const [file = process.execPath, ...rest] = command;
  const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  // With per-message logging on, a server writes gigabytes: keep the first
  // lines until it is ready (for the port) and then only a bounded tail.
  let head = '';
  let started = false;
  const tail = new OutputTail(OUTPUT_KEPT_BYTES);
  return new Promise((resolve, reject) => {
    const ready = (): void => {
      const port = portIn(head, /(?:started on port|listening on port) (\d+)/);
      const admin = portIn(head, /admin listening url="http:\/\/[^"]*:(\d+)\//);
      const tls = portIn(head, /listening for tls .*? port=(\d+)\s/);
      const ws = portIn(head, /listening for websocket .*? port=(\d+)\s/);
      if (
        port === undefined ||
        (wants.admin && admin === undefined) ||
        (wants.tls && tls === undefined) ||
        (wants.ws && ws === undefined)
      )
        return;
      started = true;
      head = '';
      resolve({
        child,
        port,
        adminPort: admin ?? null,
        tlsPort: tls ?? null,
        wsPort: ws ?? null,
        output: () => tail.text(),
        outputBytes: () => tail.total,
        stop: () => child.kill('SIGKILL')
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        tail.push(chunk);
        if (started || head.length >= OUTPUT_KEPT_BYTES) return;
        head += chunk.toString('utf8');
        ready();
      });
    }
    child.once('exit', (code) =>
      reject(
        new Error(`server exited with ${code}: ${tail.text().slice(-500)}`)
      )
    );
  });
}

/** The last `limit` bytes written to a stream, kept as the chunks that came. */
class OutputTail {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  /** Every byte pushed, kept or not. */
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.total += chunk.length;
    for (;;) {
      const first = this.chunks[0];
      if (first === undefined || this.bytes - first.length < this.limit) break;
      this.chunks.shift();
      this.bytes -= first.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/**
 * Stops a server (SIGKILL) and resolves once it has exited, so the next
 * run's server does not share its core with this one's last moments.
 */
export function stopAndWait(
  server: BenchServer,
  timeoutMs = 5000
): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.stop();
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

/**
 * User + system + nice seconds of the whole machine so far (the first line
 * of /proc/stat, in clock ticks); 0 where there is no /proc.
 */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]
      ?.trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user = 0, nice = 0, system = 0] = fields ?? [];
    return (user + nice + system) / 100;
  } catch {
    return 0;
  }
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
