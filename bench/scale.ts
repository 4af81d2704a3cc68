/**
 * Idle-connection scale (issues 6 and 19): how much memory an idle
 * connection costs and how long it takes to accept and greet N of them, for
 * our daemon (with or without the inspector's monitor, `--admin`) and the
 * raw reference; then one chat line fanned out to all of them, and with the
 * monitor the admin listener's answers at that size (bench/scale-probes.ts).
 *
 * For each target a fresh server is started with room for it (open files up
 * to the hard limit, `--max-connections`, no idle timeout), and client
 * processes (bench/scale-client.ts, at most 15,000 connections each, their
 * soft open-file limit raised with `ulimit -n`, on the load generator's core;
 * bench/scale-process.ts) open `target` connections,
 * 256 waiting for their greeting at a time, spread over source addresses
 * 127.0.0.2… (10,000 each) so ephemeral ports never run out.
 *
 * What is measured:
 * - `greetSeconds`: first connect to the last greeting received. Every join
 *   also sends `New user … entered` to everyone already in the room, so
 *   greeting N connections makes the server write N(N-1)/2 notices (50 M at
 *   10,000, 1.25 G at 50,000), one write each: Node accepts one connection
 *   per event-loop turn, so not even a per-turn flush batches notices of
 *   different joins. The time to greet N therefore grows with N², and this
 *   time includes it. The clients read every notice (an idle client still
 *   reads); `notices` says how many arrived, `noticeSeconds` when the last
 *   did, `serverWrites` how many write calls the server made for them.
 * - `rssBaseMb`: the server's RSS once it listens and settles (300 ms);
 *   `rssMb`: once everyone is greeted and the server's CPU has gone idle;
 *   `kbPerConnection` = (rssMb - rssBaseMb) × 1024 / reached.
 * - Counts: the greetings must say exactly 1..target, every notice must
 *   arrive, and one more check connection's greeting must say target + 1.
 * - `fanOut`: one idle connection says one line; the time from its write to
 *   the last of the open connections receiving it (the speaker's echo
 *   included). A line that misses anyone is an error.
 * - `backgroundCpuPercent`: what other processes used meanwhile; a busy
 *   machine stretches every time here.
 * - Where it stops and why (`stoppedBy`): connections refused or closed
 *   unanswered, the server dying, or `timeoutSec` (with where the rate was
 *   heading). One process may not have more open files than the hard limit
 *   (`ulimit -Hn`), which only CAP_SYS_RESOURCE can raise: the server is
 *   capped there, and a Node server out of descriptors closes the
 *   connections it cannot take unanswered.
 *
 *   npx tsx bench/scale.ts [--kinds actor-chat,raw] [--targets 10000,50000] [--timeout 120] [--admin]
 */
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  rssMb,
  startKind,
  stopAndWait,
  type BenchServer,
  type ServerKind,
  machineBusySeconds
} from './load.js';
import type { ScaleClientReport } from './scale-client.js';
import {
  adminProbe,
  fanOutProbe,
  type AdminTiming,
  type FanOutProbe
} from './scale-probes.js';
import {
  hardFileLimit,
  isCheck,
  isReport,
  roomFor,
  roundUp,
  shards,
  sleep,
  startClient,
  stopClient,
  type ClientProcess
} from './scale-process.js';
import { fdLimitNote } from './scale-report.js';

/** One target of the idle-connection scale workload. */
export interface ScaleResult {
  kind: ServerKind;
  /** Ours with `--admin 127.0.0.1:0`: the inspector's monitor attached. */
  admin: boolean;
  target: number;
  /** Connections greeted and still open. */
  reached: number;
  greetSeconds: number;
  rssBaseMb: number;
  rssMb: number;
  kbPerConnection: number;
  /** Why `reached` fell short of `target`, or null. */
  stoppedBy: string | null;
  /** Correctness violations (counts, notices, dropped idle connections), one line each. */
  errors: string[];
  /** `New user … entered` lines the clients received (N(N-1)/2 expected). */
  notices: number;
  /** First connect to the last notice, when they all arrived. */
  noticeSeconds: number | null;
  /** The server's peak RSS (VmHWM), in MB. */
  rssPeakMb: number;
  /** Open files the server may have (capped by this process's hard limit). */
  serverFdLimit: number;
  /** CPU seconds the server used from its start until everyone was greeted and notified. */
  serverCpuSeconds: number;
  /** CPU seconds the client process used for the same. */
  clientCpuSeconds: number;
  /** Write system calls the server made for the same (/proc/PID/io syscw): notices per write shows batching. */
  serverWrites: number;
  /** Packets dropped by the kernel meanwhile (softnetDrops; machine-wide). */
  packetDrops: number;
  /** Wall time of this target, start to stop. */
  seconds: number;
  /** This process's hard limit on open files: what the server and each client may raise theirs to. */
  hardFdLimit: number;
  /**
   * CPU other processes used while connecting and notifying, in % of one
   * core (machine busy time less the server's, the clients' and the bench's).
   */
  backgroundCpuPercent: number;
  /** One chat line from one idle connection to all of them, once greeted; null when not run. */
  fanOut: FanOutProbe | null;
  /** The admin listener's answers at this size (`admin` only). */
  adminTimings: AdminTiming[];
}

/** One target of the workload: how many, how long at most, with the monitor or not. */
export interface ScaleTarget {
  target: number;
  timeoutSec: number;
  /** Ours only: with `--admin 127.0.0.1:0` (the monitor attached). */
  admin?: boolean;
}

/** Bounds on the waits around the client's own `timeoutSec`. */
const IDLE_WAIT_MS = 10_000;
const COMMAND_WAIT_MS = 15_000;
/** Bound on the fan-out probe's one line reaching everyone. */
const FAN_OUT_WAIT_MS = 60_000;

/**
 * Runs the idle-connection workload against a fresh `kind` server per
 * target; `timeoutSec` bounds each target's connecting and notices.
 */
export async function idleScale(
  kind: ServerKind,
  targets: readonly ScaleTarget[]
): Promise<ScaleResult[]> {
  const results: ScaleResult[] = [];
  for (const target of targets) results.push(await scaleOne(kind, target));
  return results;
}

function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function serverArgs(
  kind: ServerKind,
  target: number,
  admin: boolean
): string[] {
  if (kind !== 'actor-chat') return [];
  return [...roomFor(target), ...(admin ? ['--admin', '127.0.0.1:0'] : [])];
}

/** Peak RSS (VmHWM) of a process, in MB. */
function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return (
      Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 102.4) / 10
    );
  } catch {
    return 0;
  }
}

/**
 * Where a timed-out run was heading: greeting N costs N(N-1)/2 notices, so
 * the time to greet grows with the square of N.
 */
function extrapolate(
  target: number,
  greeted: number,
  greetSeconds: number,
  notices: number
): string {
  const needed = (target * (target - 1)) / 2;
  const head = `join notices grow as N(N-1)/2: ${(notices / 1e6).toFixed(1)} M so far, ${(needed / 1e6).toFixed(1)} M for ${target}`;
  if (greeted < 100) return head;
  const seconds = greetSeconds * (target / greeted) ** 2;
  const when =
    seconds < 120
      ? `${Math.round(seconds)} s`
      : seconds < 7200
        ? `${Math.round(seconds / 60)} min`
        : `${(seconds / 3600).toFixed(1)} h`;
  return `${head}; at this rate all ${target} would take about ${when}`;
}

/**
 * Packets the kernel dropped so far because a CPU's input backlog was full
 * (/proc/net/softnet_stat, second column, all CPUs). On loopback a drop is
 * a retransmission later: 200 ms for data, 1 s and more for a SYN. The
 * count is machine-wide, so other traffic adds to it.
 */
export function softnetDrops(): number {
  try {
    return readFileSync('/proc/net/softnet_stat', 'utf8')
      .trim()
      .split('\n')
      .reduce((n, row) => n + parseInt(row.split(' ')[1] ?? '0', 16), 0);
  } catch {
    return 0;
  }
}

/** Write system calls `pid` made so far (writev and sendmsg count too). */
function writeCalls(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/syscw:\s+(\d+)/.exec(io)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resolves once `pid` used under 20 ms of CPU in 500 ms, or after `maxMs`. */
async function cpuIdle(pid: number, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  while (Date.now() < until && existsSync(`/proc/${pid}`)) {
    await sleep(500);
    let now: number;
    try {
      now = cpuSeconds(pid);
    } catch {
      return;
    }
    if (now - last < 0.02) return;
    last = now;
  }
}

/**
 * Why the server is gone, or null while it runs. Node reaps a dead child
 * before its `exit` event fires: when /proc no longer has it, wait for that
 * event (bounded) so the reason and the output's tail are there.
 */
async function serverGone(server: BenchServer): Promise<string | null> {
  const pid = server.child.pid ?? 0;
  if (existsSync(`/proc/${pid}`)) return serverDied(server);
  if (serverDied(server) === null)
    await Promise.race([once(server.child, 'exit'), sleep(2000)]);
  return (
    serverDied(server) ??
    `server gone (pid ${pid}): ${server.output().trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`
  );
}

function serverDied(server: BenchServer): string | null {
  const { exitCode, signalCode } = server.child;
  if (exitCode === null && signalCode === null) return null;
  const tail = server.output().trim().split('\n').slice(-2).join(' | ');
  return `server exited (${signalCode ?? `code ${exitCode}`}): ${tail.slice(0, 300)}`;
}

/**
 * Waits for every client's report; once one stops short, tells the others
 * to stop too rather than wait for notices that will not come.
 */
async function reports(
  clients: readonly ClientProcess[],
  ms: number
): Promise<(ScaleClientReport | null)[]> {
  return Promise.all(
    clients.map(async (client) => {
      const report = await client.next(ms);
      if (!isReport(report)) return null;
      if (report.stoppedBy !== null)
        for (const other of clients)
          if (other !== client) other.child.stdin?.write('stop\n');
      return report;
    })
  );
}

/** What the client processes saw, together. */
function combine(
  result: ScaleResult,
  all: readonly ScaleClientReport[]
): { greeted: number; open: number; timedOut: boolean } {
  const { target, errors } = result;
  const greeted = all.reduce((n, r) => n + r.greeted, 0);
  const open = all.reduce((n, r) => n + r.open, 0);
  const first = Math.min(...all.map((r) => r.firstConnectAt));
  const lastGreeting = Math.max(...all.map((r) => r.lastGreetingAt));
  result.reached = open;
  result.greetSeconds =
    greeted === 0 ? 0 : Math.round(lastGreeting - first) / 1000;
  result.notices = all.reduce((n, r) => n + r.notices, 0);
  result.clientCpuSeconds =
    Math.round(all.reduce((n, r) => n + r.cpuSeconds, 0) * 100) / 100;
  const done = all.map((r) => r.noticesDoneAt);
  if (greeted === target && done.every((at) => at !== null))
    result.noticeSeconds =
      Math.round(Math.max(...done.map((at) => at ?? 0)) - first) / 1000;
  const seen = new Uint8Array(target + 1);
  let duplicates = all.reduce((n, r) => n + r.duplicateCounts, 0);
  for (const r of all) {
    const counts = Buffer.from(r.countsSeen, 'base64');
    for (let c = 1; c <= target; c += 1) {
      if (counts[c] !== 1) continue;
      if (seen[c] === 1) duplicates += 1;
      seen[c] = 1;
    }
  }
  if (greeted === target) {
    const missing = seen.subarray(1).filter((b) => b === 0).length;
    if (duplicates > 0 || missing > 0)
      errors.push(
        `greeting counts are not exactly 1..${target}: ${duplicates} repeated or out of range, ${missing} missing`
      );
    const expected = (target * (target - 1)) / 2;
    if (result.notices !== expected)
      errors.push(`${result.notices} join notices, expected ${expected}`);
  }
  const failures = new Map<string, number>();
  for (const r of all)
    for (const [code, n] of Object.entries(r.failures))
      failures.set(code, (failures.get(code) ?? 0) + n);
  // Connections lost after their greeting are failures of the server; those
  // that never got one only say where it stopped (stoppedBy).
  for (const code of ['closed by server', 'error line'])
    if (failures.has(code))
      errors.push(`idle connections dropped: ${code} ×${failures.get(code)}`);
  const timedOut = all.some((r) => r.stoppedBy?.startsWith('timeout'));
  if (failures.size > 0) {
    const sample = all.flatMap((r) => r.failureSamples)[0] ?? '';
    result.stoppedBy = `${open} of ${target} open, then ${[...failures].map(([code, n]) => `${code} ×${n}`).join(', ')} (first: ${sample})`;
  } else if (timedOut || open < target)
    result.stoppedBy = `timeout: ${greeted} of ${target} greeted in ${result.greetSeconds} s`;
  return { greeted, open, timedOut };
}

async function scaleOne(
  kind: ServerKind,
  { target, timeoutSec, admin = false }: ScaleTarget
): Promise<ScaleResult> {
  const begun = Date.now();
  const hardLimit = hardFileLimit();
  const fdLimit = Math.min(hardLimit, roundUp(target + 1000, 1000));
  const withAdmin = admin && kind === 'actor-chat';
  const server = await startKind(kind, {
    args: serverArgs(kind, target, withAdmin),
    fdLimit
  });
  const pid = server.child.pid ?? 0;
  const errors: string[] = [];
  const result: ScaleResult = {
    kind,
    admin: withAdmin,
    target,
    reached: 0,
    greetSeconds: 0,
    rssBaseMb: 0,
    rssMb: 0,
    kbPerConnection: 0,
    stoppedBy: null,
    errors,
    notices: 0,
    noticeSeconds: null,
    rssPeakMb: 0,
    serverFdLimit: fdLimit,
    serverCpuSeconds: 0,
    clientCpuSeconds: 0,
    serverWrites: 0,
    packetDrops: 0,
    seconds: 0,
    hardFdLimit: hardLimit,
    backgroundCpuPercent: 0,
    fanOut: null,
    adminTimings: []
  };
  const dropsBefore = softnetDrops();
  const clients: ClientProcess[] = [];
  try {
    await sleep(300);
    result.rssBaseMb = rssMb(pid);
    const busyFrom = machineBusySeconds();
    const serverFrom = cpuSeconds(pid);
    const ownFrom = ownCpuSeconds();
    const wallFrom = Date.now();
    for (const shard of shards(target, hardLimit))
      clients.push(startClient(server.port, shard, timeoutSec));
    const all = await reports(clients, timeoutSec * 1000 + COMMAND_WAIT_MS);
    const died = await serverGone(server);
    if (died === null) {
      result.serverCpuSeconds = cpuSeconds(pid);
      result.serverWrites = writeCalls(pid);
    }
    const got = all.filter((r): r is ScaleClientReport => r !== null);
    if (got.length < all.length) {
      const silent = clients[all.indexOf(null)];
      errors.push(
        `a client process gave no report: ${silent?.stderr().trim().split('\n').slice(-3).join(' | ') ?? ''}`
      );
    }
    const { greeted, open, timedOut } =
      got.length > 0
        ? combine(result, got)
        : { greeted: 0, open: 0, timedOut: false };
    const wall = (Date.now() - wallFrom) / 1000;
    const others =
      machineBusySeconds() -
      busyFrom -
      (result.serverCpuSeconds - serverFrom) -
      result.clientCpuSeconds -
      (ownCpuSeconds() - ownFrom);
    result.backgroundCpuPercent =
      wall > 0 ? Math.max(0, Math.round((others / wall) * 1000) / 10) : 0;
    if (died !== null) result.stoppedBy = died;
    else if (timedOut)
      result.stoppedBy += `; ${extrapolate(target, greeted, result.greetSeconds, result.notices)}`;
    if (fdLimit < target + 100 && result.stoppedBy !== null)
      result.stoppedBy = fdLimitNote(
        open,
        fdLimit,
        hardLimit,
        result.stoppedBy
      );
    if (died !== null || got.length < all.length) return result;
    await cpuIdle(pid, IDLE_WAIT_MS);
    const diedIdle = await serverGone(server);
    if (diedIdle !== null) {
      result.stoppedBy = diedIdle;
      errors.push(`the server died after the clients reported: ${diedIdle}`);
      return result;
    }
    result.rssMb = rssMb(pid);
    result.rssPeakMb = peakRssMb(pid);
    if (open > 0)
      result.kbPerConnection =
        Math.round((((result.rssMb - result.rssBaseMb) * 1024) / open) * 100) /
        100;
    const checker = clients[0];
    if (greeted === target && open === target && checker !== undefined) {
      checker.child.stdin?.write('check\n');
      const check = await checker.next(COMMAND_WAIT_MS);
      if (!isCheck(check)) errors.push('check connection: no answer');
      else if (check.count !== target + 1)
        errors.push(
          `check connection: expected (${target + 1} users online), got ${check.line ?? check.error ?? 'nothing'}`
        );
    }
    if (open > 0) {
      result.fanOut = await fanOutProbe(clients, FAN_OUT_WAIT_MS);
      if (result.fanOut === null)
        errors.push('fan-out probe: a client process did not answer');
      else if (result.fanOut.received < result.fanOut.recipients)
        errors.push(
          `fan-out probe: one line reached ${result.fanOut.received} of ${result.fanOut.recipients} idle connections in ${FAN_OUT_WAIT_MS / 1000} s`
        );
    }
    if (withAdmin && server.adminPort !== null) {
      result.adminTimings = await adminProbe(server.adminPort);
      for (const t of result.adminTimings.filter((x) => x.status !== 200))
        errors.push(
          `admin ${t.path}: status ${t.status || 'none'} after ${t.ms} ms`
        );
    }
    return result;
  } finally {
    await Promise.all(clients.map((client) => stopClient(client)));
    await stopAndWait(server);
    result.packetDrops = softnetDrops() - dropsBefore;
    result.seconds = Math.round((Date.now() - begun) / 100) / 10;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      kinds: { type: 'string', default: 'actor-chat,raw' },
      targets: { type: 'string', default: '10000' },
      timeout: { type: 'string', default: '120' },
      admin: { type: 'boolean', default: false }
    }
  });
  const targets = values.targets.split(',').map(Number);
  for (const kind of values.kinds.split(',') as ServerKind[]) {
    for (const target of targets) {
      const [result] = await idleScale(kind, [
        { target, timeoutSec: Number(values.timeout), admin: values.admin }
      ]);
      console.log(JSON.stringify(result));
    }
  }
}
