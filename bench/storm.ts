/**
 * Reconnect storm (issue 19, target 3): N idle clients dropped and
 * reconnected at once; how long until all are back with the right count,
 * and what it does to the latency of the clients who stayed.
 *
 * On a fresh server (ours with room for N + 100 and no idle timeout, as in
 * bench/scale.ts), client processes (bench/scale-client.ts) connect N idle
 * clients from 127.0.0.2… and wait for every greeting and join notice. Then
 * BYSTANDERS clients in this process join and chat at a low fixed rate,
 * timing their own lines: write to `[You]` echo, and write to arrival at
 * the other bystanders. After BEFORE_MS of that, every client process
 * resets all its connections at once (an RST each: a network blip as the
 * clients see it) and opens them all again, by default all at once too
 * (`--reconnect-concurrency 0` = N: a real storm does not queue politely;
 * give a number to pace it like the first connect's 256).
 *
 * Measured from the drop:
 * - `allBackSeconds`: to the last greeting of the reconnected clients;
 * - `settledSeconds`: to the last join or leave notice a bystander saw,
 *   once its running count (from its greeting and every notice since) had
 *   seen every leave and every rejoin and stood at N + BYSTANDERS;
 * - the counts: every notice's `(N users online)` must equal the running
 *   count, and a fresh check connection afterwards must be greeted with
 *   N + BYSTANDERS + 1;
 * - the kernel's counters over the storm (machine-wide): accept-queue
 *   overflows (`ListenOverflows`, `ListenDrops`), SYN retransmissions
 *   (`TCPSynRetrans`: each one a client waiting 1 s, 3 s, … more), SYN
 *   cookies sent, softnet drops (bench/scale.ts);
 * - the server's CPU seconds from the drop to settled, and its RSS before
 *   and after;
 * - the bystanders' latency for lines written before the drop and between
 *   the drop and settled. Every line must reach every bystander.
 *
 * Why the bystanders chat slowly: each of their lines goes to all N idle
 * clients too (one room), so 5 clients at a line every 50 ms would be 1 M
 * deliveries a second at 10,000, a load of its own before any storm; by
 * default (`--interval-ms 0`) each says a line every N/4 ms, about 20,000
 * deliveries a second in all whatever N. They
 * share the load generator's core with the client processes, so their
 * latency includes waiting for that core; raw beside ours shows that floor.
 *
 *   npx tsx bench/storm.ts [--kinds actor-chat,raw] [--clients 10000]
 *     [--timeout 120] [--server-args='--listen-backlog 4096']
 *     [--raw-backlog 4096] [--reconnect-concurrency 0] [--interval-ms 0]
 *     [--poke-ms 0]
 *
 * Both listen with a backlog of 4096 by default (ours' `--listen-backlog`
 * default and raw's `--backlog`); `--server-args='--listen-backlog 511'
 * --raw-backlog 511` shows what Node's own default does.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  machineBusySeconds,
  open,
  percentile,
  rssMb,
  startKind,
  stopAndWait,
  type ServerKind
} from './load.js';
import { ms, ratio, table } from './report-format.js';
import type { ScaleClientReport } from './scale-client.js';
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
import { softnetDrops } from './scale.js';

/** Latency of the bystanders' lines written in one phase, in ms. */
export interface StormLatency {
  lines: number;
  echoP50Ms: number;
  echoP99Ms: number;
  echoMaxMs: number;
  /** Write to arrival at each other bystander. */
  arrivalP50Ms: number;
  arrivalP99Ms: number;
  arrivalMaxMs: number;
}

/** What the kernel counted over the storm (machine-wide, /proc/net). */
export interface StormKernel {
  listenOverflows: number;
  listenDrops: number;
  synRetrans: number;
  syncookiesSent: number;
  softnetDrops: number;
}

/** One reconnect storm against one server. */
export interface StormResult {
  kind: ServerKind;
  clients: number;
  bystanders: number;
  /** Ours: the extra arguments (`--listen-backlog N`); raw: `--backlog N`. */
  serverArgs: string[];
  /** Connections waiting for their greeting at once when reconnecting. */
  reconnectConcurrency: number;
  /** Clients send a blank line when not greeted this long after their handshake; 0 = never. */
  pokeMs: number;
  /** The first connect of all N, to the last notice. */
  connectSeconds: number;
  /** Drop to the last reconnected greeting, or null when not all came back. */
  allBackSeconds: number | null;
  /** Drop to the last notice, once the count stood right again; null when it never did. */
  settledSeconds: number | null;
  /** Clients greeted again. */
  reconnected: number;
  /** Connects that failed while reconnecting, by code. */
  failures: Record<string, number>;
  /**
   * Reconnects given up on at the timeout: still without a SYN-ACK, or
   * connected as far as the client knows but never greeted (a final ACK
   * the server dropped after a SYN cookie: the client waits forever).
   */
  stuck: ScaleClientReport['stuck'];
  /** Every notice's count matched, every leave and rejoin was seen, the check connection's count was right. */
  countsCorrect: boolean;
  /** Bystander lines that missed a bystander. */
  linesLost: number;
  errors: string[];
  kernel: StormKernel;
  /** Server CPU seconds from the drop to settled. */
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** CPU other processes used from the drop to settled, in % of one core. */
  otherCpuPercent: number;
  intervalMs: number;
  before: StormLatency;
  during: StormLatency;
}

/** How a storm is run. */
export interface StormOptions {
  clients: number;
  timeoutSec: number;
  /** Extra arguments for ours. */
  serverArgs?: readonly string[];
  /** Raw's listen backlog; default 4096, ours' default too. */
  rawBacklog?: number;
  /** 0 = all at once. */
  reconnectConcurrency?: number;
  /** Each bystander says a line this often; 0 = defaultInterval. */
  intervalMs?: number;
  /**
   * A client not greeted this long after its handshake sends one blank
   * line, as chat-client does; 0 (the default) = clients that only read.
   */
  pokeMs?: number;
}

const BYSTANDERS = 5;
/** How long the bystanders chat before the drop. */
const BEFORE_MS = 3000;
/** How long the bystanders' last lines get to arrive. */
const DRAIN_MS = 3000;
const COMMAND_WAIT_MS = 15_000;
/** What the bystanders' lines cost the server, in deliveries a second. */
const DELIVERIES_PER_SEC = 20_000;
const GREETING = /^Connected to the chat server \((\d+) users? online\)$/;
const NOTICE =
  /^(?:New user \S+ entered|The user \S+ left) \((\d+) users? online\)$/;
const PROBE = /^\[([^\]]+)\] storm-probe (\d+) (\d+)$/;

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The TcpExt counters of /proc/net/netstat by name (empty where absent). */
function tcpExt(): Map<string, number> {
  const counters = new Map<string, number>();
  try {
    const rows = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((row) => row.startsWith('TcpExt:'));
    const names = rows[0]?.split(' ').slice(1) ?? [];
    const values = rows[1]?.split(' ').slice(1) ?? [];
    names.forEach((name, i) => counters.set(name, Number(values[i] ?? 0)));
  } catch {
    // No /proc: the counters stay 0.
  }
  return counters;
}

function kernelNow(): StormKernel {
  const ext = tcpExt();
  return {
    listenOverflows: ext.get('ListenOverflows') ?? 0,
    listenDrops: ext.get('ListenDrops') ?? 0,
    synRetrans: ext.get('TCPSynRetrans') ?? 0,
    syncookiesSent: ext.get('SyncookiesSent') ?? 0,
    softnetDrops: softnetDrops()
  };
}

function kernelSince(from: StormKernel): StormKernel {
  const to = kernelNow();
  return {
    listenOverflows: to.listenOverflows - from.listenOverflows,
    listenDrops: to.listenDrops - from.listenDrops,
    synRetrans: to.synRetrans - from.synRetrans,
    syncookiesSent: to.syncookiesSent - from.syncookiesSent,
    softnetDrops: to.softnetDrops - from.softnetDrops
  };
}

/** One timed bystander line: when written, and when each copy arrived. */
interface Probe {
  writtenAt: number;
  echoMs: number | null;
  arrivalMs: number[];
}

/**
 * The clients who stay: they chat, time their lines, and the first keeps a
 * running count from its greeting and every notice since.
 */
class Bystanders {
  readonly probes = new Map<string, Probe>();
  readonly errors: string[] = [];
  count = 0;
  joins = 0;
  leaves = 0;
  lastNoticeAt = 0;
  countWrong = 0;
  #sockets: Socket[] = [];
  #timer: NodeJS.Timeout | null = null;

  /** Connects them one by one; the i-th must be greeted with `first + i`. */
  async join(port: number, first: number): Promise<void> {
    for (let i = 0; i < BYSTANDERS; i += 1) {
      const socket = await open(port);
      this.#sockets.push(socket);
      const greeting = await this.#listen(socket, i);
      if (greeting !== first + i)
        this.errors.push(
          `bystander ${i} greeted with ${greeting}, expected ${first + i}`
        );
    }
  }

  /** Reads `socket`'s lines; resolves with its greeting's count (NaN if none in 5 s). */
  #listen(socket: Socket, index: number): Promise<number> {
    return new Promise((resolve) => {
      let partial = '';
      let greeted = false;
      const timer = setTimeout(() => resolve(NaN), 5000);
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        const at = now();
        for (const raw of lines) {
          const line = raw.replace(/\r$/, '');
          if (greeted) this.#onLine(index, line, at);
          else {
            greeted = true;
            clearTimeout(timer);
            const count = Number(GREETING.exec(line)?.[1] ?? NaN);
            if (index === 0) this.count = count;
            resolve(count);
          }
        }
      });
      socket.on('error', (err) =>
        this.errors.push(`bystander ${index}: ${err.message}`)
      );
      socket.on('close', () =>
        this.errors.push(`bystander ${index} disconnected`)
      );
    });
  }

  #onLine(index: number, line: string, at: number): void {
    const probe = PROBE.exec(line);
    if (probe !== null) {
      const [, from, speaker, seq] = probe;
      const sent = this.probes.get(`${speaker} ${seq}`);
      if (sent === undefined) return;
      if (from === 'You') sent.echoMs = at - sent.writtenAt;
      else sent.arrivalMs.push(at - sent.writtenAt);
      return;
    }
    const notice = NOTICE.exec(line);
    if (notice === null) {
      this.errors.push(`bystander ${index}: unexpected "${line.slice(0, 80)}"`);
      return;
    }
    if (index !== 0) return;
    if (line.startsWith('New')) {
      this.joins += 1;
      this.count += 1;
    } else {
      this.leaves += 1;
      this.count -= 1;
    }
    this.lastNoticeAt = at;
    if (Number(notice[1]) !== this.count) {
      if (this.countWrong === 0)
        this.errors.push(
          `notice count differs from the running count: "${line}" (running ${this.count})`
        );
      this.countWrong += 1;
    }
  }

  /** Starts chatting: one bystander after another, each every `intervalMs`. */
  chat(intervalMs: number): void {
    let turn = 0;
    this.#timer = setInterval(
      () => {
        const speaker = turn % BYSTANDERS;
        const seq = Math.floor(turn / BYSTANDERS);
        turn += 1;
        this.probes.set(`${speaker} ${seq}`, {
          writtenAt: now(),
          echoMs: null,
          arrivalMs: []
        });
        this.#sockets[speaker]?.write(`storm-probe ${speaker} ${seq}\n`);
      },
      Math.max(1, Math.round(intervalMs / BYSTANDERS))
    );
  }

  stopChat(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
  }

  /** Lines that have not reached every bystander yet. */
  unfinished(): number {
    let n = 0;
    for (const p of this.probes.values())
      if (p.echoMs === null || p.arrivalMs.length < BYSTANDERS - 1) n += 1;
    return n;
  }

  /** The latency of the lines written in [from, to). */
  latency(from: number, to: number): StormLatency {
    const echo: number[] = [];
    const arrival: number[] = [];
    let lines = 0;
    for (const p of this.probes.values()) {
      if (p.writtenAt < from || p.writtenAt >= to) continue;
      lines += 1;
      if (p.echoMs !== null) echo.push(p.echoMs);
      arrival.push(...p.arrivalMs);
    }
    echo.sort((a, b) => a - b);
    arrival.sort((a, b) => a - b);
    const round = (n: number): number => Math.round(n * 10) / 10;
    return {
      lines,
      echoP50Ms: round(percentile(echo, 0.5)),
      echoP99Ms: round(percentile(echo, 0.99)),
      echoMaxMs: round(percentile(echo, 1)),
      arrivalP50Ms: round(percentile(arrival, 0.5)),
      arrivalP99Ms: round(percentile(arrival, 0.99)),
      arrivalMaxMs: round(percentile(arrival, 1))
    };
  }

  close(): void {
    this.stopChat();
    for (const socket of this.#sockets)
      socket.removeAllListeners('close').destroy();
  }
}

/** Starts client processes of at most CLIENT_SHARE connections each. */
function startClients(
  port: number,
  clients: number,
  timeoutSec: number,
  hardLimit: number,
  pokeMs: number
): ClientProcess[] {
  return shards(clients, hardLimit).map((shard) =>
    startClient(port, shard, timeoutSec, pokeMs)
  );
}

/** Every client's next report, or null for those that gave none in `ms`. */
async function reports(
  clients: readonly ClientProcess[],
  ms: number
): Promise<(ScaleClientReport | null)[]> {
  return Promise.all(
    clients.map(async (c) => {
      const line = await c.next(ms);
      return isReport(line) ? line : null;
    })
  );
}

function serverArgs(kind: ServerKind, options: StormOptions): string[] {
  if (kind !== 'actor-chat')
    return ['--backlog', String(options.rawBacklog ?? 4096)];
  return [...roomFor(options.clients), ...(options.serverArgs ?? [])];
}

/**
 * A bystander line every this many ms each: their lines then add about
 * DELIVERIES_PER_SEC deliveries a second whatever N (every 500 ms at
 * 2,000, 2.5 s at 10,000), at least every 50 ms.
 */
function defaultInterval(clients: number): number {
  return Math.max(
    50,
    Math.round((BYSTANDERS * clients * 1000) / DELIVERIES_PER_SEC)
  );
}

/** Runs one reconnect storm against a fresh `kind` server. */
export async function storm(
  kind: ServerKind,
  options: StormOptions
): Promise<StormResult> {
  const { clients: n, timeoutSec } = options;
  const intervalMs = options.intervalMs || defaultInterval(n);
  const concurrency = options.reconnectConcurrency || n;
  const hardLimit = hardFileLimit();
  const args = serverArgs(kind, options);
  const server = await startKind(kind, {
    ...(kind === 'actor-chat' ? { args } : { rawArgs: args }),
    fdLimit: Math.min(hardLimit, roundUp(n + 1000, 1000))
  });
  const pid = server.child.pid ?? 0;
  const bystanders = new Bystanders();
  const errors = bystanders.errors;
  const result: StormResult = {
    kind,
    clients: n,
    bystanders: BYSTANDERS,
    serverArgs:
      kind === 'actor-chat' ? (options.serverArgs ?? []).slice() : args,
    reconnectConcurrency: concurrency,
    pokeMs: options.pokeMs ?? 0,
    connectSeconds: 0,
    allBackSeconds: null,
    settledSeconds: null,
    reconnected: 0,
    failures: {},
    stuck: { 'SYN unanswered': 0, 'connected, no greeting': 0 },
    countsCorrect: false,
    linesLost: 0,
    errors,
    kernel: {
      listenOverflows: 0,
      listenDrops: 0,
      synRetrans: 0,
      syncookiesSent: 0,
      softnetDrops: 0
    },
    serverCpuSeconds: 0,
    clientCpuSeconds: 0,
    rssBeforeMb: 0,
    rssAfterMb: 0,
    otherCpuPercent: 0,
    intervalMs,
    before: bystanders.latency(0, 0),
    during: bystanders.latency(0, 0)
  };
  const processes = startClients(
    server.port,
    n,
    timeoutSec,
    hardLimit,
    options.pokeMs ?? 0
  );
  const waitMs = timeoutSec * 1000 + COMMAND_WAIT_MS;
  try {
    const first = await reports(processes, waitMs);
    const greeted = first.reduce((s, r) => s + (r?.greeted ?? 0), 0);
    const duplicates = first.reduce((s, r) => s + (r?.duplicateCounts ?? 1), 0);
    const lastNotice = Math.max(
      ...first.map((r) => r?.noticesDoneAt ?? r?.lastGreetingAt ?? 0)
    );
    result.connectSeconds =
      Math.round(
        lastNotice - Math.min(...first.map((r) => r?.firstConnectAt ?? 0))
      ) / 1000;
    if (
      greeted !== n ||
      duplicates > 0 ||
      first.some((r) => r?.noticesDoneAt == null)
    ) {
      errors.push(
        `first connect: ${greeted} of ${n} greeted, ${duplicates} repeated counts: ${first.map((r) => r?.stoppedBy ?? 'no report').join(' | ')}`
      );
      return result;
    }
    await bystanders.join(server.port, n + 1);
    bystanders.chat(intervalMs);
    await sleep(BEFORE_MS);
    result.rssBeforeMb = rssMb(pid);
    const kernelFrom = kernelNow();
    const cpuFrom = cpuSeconds(pid);
    const busyFrom = machineBusySeconds();
    const ownFrom = process.cpuUsage();
    const clientCpuFrom = first.reduce((s, r) => s + (r?.cpuSeconds ?? 0), 0);
    const leavesFrom = bystanders.leaves;
    const joinsFrom = bystanders.joins;
    const dropAt = now();
    for (const p of processes) p.child.stdin?.write(`drop ${concurrency}\n`);
    const again = await reports(processes, waitMs);
    const dropped = again.reduce((s, r) => s + (r?.dropped ?? 0), 0);
    result.reconnected = again.reduce((s, r) => s + (r?.open ?? 0), 0);
    for (const r of again)
      for (const [code, count] of Object.entries(r?.failures ?? {}))
        result.failures[code] = (result.failures[code] ?? 0) + count;
    for (const r of again) {
      result.stuck['SYN unanswered'] += r?.stuck['SYN unanswered'] ?? 0;
      result.stuck['connected, no greeting'] +=
        r?.stuck['connected, no greeting'] ?? 0;
    }
    const drop = Math.min(...again.map((r) => r?.firstConnectAt ?? dropAt));
    if (result.reconnected === n && again.every((r) => r !== null))
      result.allBackSeconds =
        Math.round(
          Math.max(...again.map((r) => r?.lastGreetingAt ?? 0)) - drop
        ) / 1000;
    else
      errors.push(
        `reconnect: ${result.reconnected} of ${n} back (given up: ${result.stuck['SYN unanswered']} without a SYN-ACK, ${result.stuck['connected, no greeting']} connected but never greeted): ${again.map((r) => r?.stoppedBy ?? 'no report').join(' | ')}`
      );
    // Settled: the bystander saw every leave and every rejoin.
    const settled = (): boolean =>
      bystanders.leaves - leavesFrom >= dropped &&
      bystanders.joins - joinsFrom >= result.reconnected &&
      bystanders.count === result.reconnected + BYSTANDERS;
    const until = Date.now() + timeoutSec * 1000;
    while (!settled() && Date.now() < until) await sleep(20);
    const wasSettled = settled();
    const settledAt = wasSettled ? bystanders.lastNoticeAt : now();
    if (wasSettled)
      result.settledSeconds = Math.round(bystanders.lastNoticeAt - drop) / 1000;
    else
      errors.push(
        `not settled in ${timeoutSec} s: ${bystanders.leaves - leavesFrom} of ${dropped} leaves, ${bystanders.joins - joinsFrom} of ${result.reconnected} joins, running count ${bystanders.count}`
      );
    const wall = (now() - dropAt) / 1000;
    result.serverCpuSeconds =
      Math.round((cpuSeconds(pid) - cpuFrom) * 100) / 100;
    result.kernel = kernelSince(kernelFrom);
    const own = process.cpuUsage(ownFrom);
    result.clientCpuSeconds =
      Math.round(
        (again.reduce((s, r) => s + (r?.cpuSeconds ?? 0), 0) - clientCpuFrom) *
          100
      ) / 100;
    const others =
      machineBusySeconds() -
      busyFrom -
      result.serverCpuSeconds -
      result.clientCpuSeconds -
      (own.user + own.system) / 1e6;
    result.otherCpuPercent = Math.max(0, Math.round((others / wall) * 100));
    bystanders.stopChat();
    const drainUntil = Date.now() + DRAIN_MS;
    while (bystanders.unfinished() > 0 && Date.now() < drainUntil)
      await sleep(20);
    result.linesLost = bystanders.unfinished();
    if (result.linesLost > 0)
      errors.push(`${result.linesLost} bystander lines missed a bystander`);
    result.before = bystanders.latency(dropAt - BEFORE_MS, dropAt);
    result.during = bystanders.latency(dropAt, settledAt);
    result.rssAfterMb = rssMb(pid);
    const checker = processes[0];
    checker?.child.stdin?.write('check\n');
    const check = await checker?.next(COMMAND_WAIT_MS);
    const expected = n + BYSTANDERS + 1;
    const checkOk = isCheck(check) && check.count === expected;
    if (!checkOk)
      errors.push(
        `check connection: expected (${expected} users online), got ${isCheck(check) ? (check.line ?? check.error) : 'no answer'}`
      );
    result.countsCorrect =
      checkOk &&
      bystanders.countWrong === 0 &&
      wasSettled &&
      result.reconnected === n;
    return result;
  } finally {
    bystanders.close();
    await Promise.all(processes.map((p) => stopClient(p)));
    await stopAndWait(server);
  }
}

/** The storms side by side, ours ÷ raw for the time until all are back. */
export function stormSection(results: readonly StormResult[]): string {
  if (results.length === 0) return '';
  /** Ours ÷ raw at the same size, when both had everyone back. */
  const versusRaw = (r: StormResult): string => {
    const raw = results.find(
      (x) => x.kind === 'raw' && x.clients === r.clients
    );
    return r.kind !== 'raw' && raw?.allBackSeconds && r.allBackSeconds !== null
      ? ratio(r.allBackSeconds, raw.allBackSeconds)
      : '';
  };
  const seconds = (s: number | null): string =>
    s === null ? 'FAILED' : s.toFixed(2);
  const rows = results.map((r) => [
    r.kind,
    [
      ...r.serverArgs,
      ...(r.pokeMs > 0 ? [`(clients poke after ${r.pokeMs} ms)`] : [])
    ].join(' ') || '–',
    String(r.clients),
    seconds(r.allBackSeconds),
    versusRaw(r),
    seconds(r.settledSeconds),
    `${r.kernel.listenOverflows} / ${r.kernel.synRetrans}`,
    r.serverCpuSeconds.toFixed(1),
    `${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)}`,
    `${ms(r.before.echoP50Ms)} / ${ms(r.before.echoP99Ms)} / ${ms(r.before.echoMaxMs)}`,
    `${ms(r.during.echoP50Ms)} / ${ms(r.during.echoP99Ms)} / ${ms(r.during.echoMaxMs)}`,
    String(r.otherCpuPercent),
    r.countsCorrect && r.errors.length === 0
      ? 'ok'
      : `FAILED ${r.errors.join('; ')}`
  ]);
  return [
    '### Reconnect storm',
    '',
    table(
      [
        'server',
        'args',
        'clients',
        'all back s',
        'all back, ours ÷ raw (lower is faster)',
        'settled s',
        'overflows / SYN retries',
        'server CPU s',
        'RSS MB',
        'bystander echo before p50/p99/max ms',
        'during',
        'other CPU %',
        'counts'
      ],
      rows,
      2
    )
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      kinds: { type: 'string', default: 'actor-chat,raw' },
      clients: { type: 'string', default: '10000' },
      timeout: { type: 'string', default: '120' },
      'server-args': { type: 'string', default: '' },
      'raw-backlog': { type: 'string', default: '4096' },
      'reconnect-concurrency': { type: 'string', default: '0' },
      'interval-ms': { type: 'string', default: '0' },
      'poke-ms': { type: 'string', default: '0' }
    }
  });
  const results: StormResult[] = [];
  for (const kind of values.kinds.split(',') as ServerKind[]) {
    const result = await storm(kind, {
      clients: Number(values.clients),
      timeoutSec: Number(values.timeout),
      serverArgs: values['server-args'].split(/\s+/).filter((a) => a !== ''),
      rawBacklog: Number(values['raw-backlog']),
      reconnectConcurrency: Number(values['reconnect-concurrency']),
      intervalMs: Number(values['interval-ms']),
      pokeMs: Number(values['poke-ms'])
    });
    console.log(JSON.stringify(result));
    results.push(result);
  }
  console.log(`\n${stormSection(results)}`);
}
