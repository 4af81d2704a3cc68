/**
 * The cluster workload of `npm run bench` (issue 7): what sharing the room
 * through Redis costs. The same two runs, a fixed rate (p99 latency) and
 * fan-out with a window of lines in flight (deliveries/s), against four
 * setups: the single node with its in-process room, one node with
 * `--redis`, then two and three nodes sharing one room. The load
 * generator's clients are spread round-robin over the nodes and checked as
 * one room (bench/loadgen.ts): every line to every client exactly once, in
 * one order everywhere, greetings counting 1..N across the nodes.
 *
 * Every run starts fresh nodes under a cluster name of its own on one
 * private redis-server (test/support/redis.ts, no persistence), then
 * removes that name's keys. On a 2-core machine redis-server and every node
 * share core 0 with each other and the load generator has core 1, so the
 * cluster gets the same one core the single node had: the numbers show what
 * Redis and extra nodes cost, not what more machines would add.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import {
  redisUnavailable,
  startRedis,
  type RedisRun
} from '../test/support/redis.js';
import type { Timing } from './fanout.js';
import {
  PINNED,
  cpuSeconds,
  startServer,
  stopAndWait,
  type BenchServer,
  machineBusySeconds
} from './load.js';
import {
  runLoad,
  type Latency,
  type LoadResult,
  type Pace
} from './loadgen.js';

/** The setups in table order; the first is what the others are compared with. */
export const CLUSTER_SETUPS = [
  { name: 'single', label: 'single node', nodes: 1, redis: false },
  { name: 'redis-1', label: '1 node + Redis', nodes: 1, redis: true },
  { name: 'redis-2', label: '2 nodes + Redis', nodes: 2, redis: true },
  { name: 'redis-3', label: '3 nodes + Redis', nodes: 3, redis: true }
] as const;

/** One of the four setups. */
export type ClusterSetup = (typeof CLUSTER_SETUPS)[number];

/** How long and how hard the cluster runs go. */
export interface ClusterSettings {
  fixed: Timing;
  fixedClients: number;
  /** Lines per second in total. */
  fixedRate: number;
  fanout: Timing;
  fanoutClients: number;
  window: number;
}

/** One measured run against one setup. */
export interface ClusterRun {
  setup: ClusterSetup['name'];
  label: string;
  nodes: number;
  redis: boolean;
  workload: 'fixed' | 'fanout';
  clients: number;
  window: number | null;
  messagesPerSec: number | null;
  seconds: number;
  deliveriesPerSec: number;
  latencyMs: Latency;
  /** CPU (user + system) of every node over the measured interval. */
  nodeCpuSeconds: number;
  /** redis-server's CPU over the measured interval; null when not ours. */
  redisCpuSeconds: number | null;
  /** Nodes' and redis-server's CPU per 100,000 deliveries, ms. */
  cpuMsPer100k: number;
  generatorCpuPercent: number;
  generatorSaturated: boolean;
  /**
   * CPU other processes used over the measured interval, % of one core
   * (as in bench/fanout.ts): when high, the machine was shared.
   */
  backgroundCpuPercent: number;
  ok: boolean;
  failures: string[];
}

/** The whole cluster workload. */
export interface ClusterReport {
  /** Where redis-server, the nodes and the generator ran. */
  pinning: string;
  /** Which Redis the runs used. */
  redis: string;
  /** Why the Redis setups did not run, or null when they did. */
  skipped: string | null;
  runs: ClusterRun[];
}

/** The server core when pinned (bench/load.ts puts every server there). */
const SERVER_CORE = '0';

/** Pins every thread of `pid` to the servers' core; false when it could not. */
function pinToServerCore(pid: number): boolean {
  if (!PINNED) return false;
  try {
    execFileSync('taskset', ['-a', '-cp', SERVER_CORE, String(pid)], {
      stdio: 'ignore'
    });
    return true;
  } catch {
    return false;
  }
}

/** redis-server's process id, from `INFO server`, when it runs here. */
async function redisPidOf(client: Redis): Promise<number | null> {
  const info = await client.info('server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? NaN);
  return Number.isInteger(pid) && existsSync(`/proc/${pid}`) ? pid : null;
}

/** Removes one cluster name's keys (`NAME:…`), so the next run starts empty. */
async function forget(client: Redis, cluster: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${cluster}:*`,
      'COUNT',
      1000
    );
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

/** The Redis every run of one workload shares, with what it needs to measure it. */
interface SharedRedis {
  run: RedisRun;
  client: Redis;
  /** Its process, when it runs on this machine and we started it. */
  pid: number | null;
}

function selfCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function safeCpu(pid: number | null): number {
  if (pid === null) return 0;
  try {
    return cpuSeconds(pid);
  } catch {
    return 0; // It is gone; the run reports it.
  }
}

/** Starts each node of `setup`; on any failure stops those that started. */
async function startNodes(
  setup: ClusterSetup,
  redis: SharedRedis | null,
  cluster: string
): Promise<BenchServer[]> {
  const started = await Promise.allSettled(
    Array.from({ length: setup.nodes }, (_, k) =>
      startServer(
        setup.redis && redis !== null
          ? [
              '--redis',
              redis.run.url,
              '--node-id',
              `n${k + 1}`,
              '--cluster',
              cluster
            ]
          : []
      )
    )
  );
  const servers = started.flatMap((s) =>
    s.status === 'fulfilled' ? [s.value] : []
  );
  const failure = started.find((s) => s.status === 'rejected');
  if (failure === undefined) return servers;
  await Promise.all(servers.map((s) => stopAndWait(s)));
  throw failure.reason instanceof Error
    ? failure.reason
    : new Error(String(failure.reason));
}

/** One run: fresh nodes, the load generator over all of them, the nodes stopped. */
async function measure(
  setup: ClusterSetup,
  workload: ClusterRun['workload'],
  settings: ClusterSettings,
  redis: SharedRedis | null
): Promise<ClusterRun> {
  const fixed = workload === 'fixed';
  const pace: Pace = fixed
    ? { kind: 'rate', messagesPerSec: settings.fixedRate }
    : { kind: 'window', window: settings.window };
  const timing = fixed ? settings.fixed : settings.fanout;
  const run: ClusterRun = {
    setup: setup.name,
    label: setup.label,
    nodes: setup.nodes,
    redis: setup.redis,
    workload,
    clients: fixed ? settings.fixedClients : settings.fanoutClients,
    window: fixed ? null : settings.window,
    messagesPerSec: fixed ? settings.fixedRate : null,
    seconds: timing.seconds,
    deliveriesPerSec: 0,
    latencyMs: { p50: 0, p99: 0, max: 0, samples: 0 },
    nodeCpuSeconds: 0,
    redisCpuSeconds: null,
    cpuMsPer100k: 0,
    generatorCpuPercent: 0,
    generatorSaturated: false,
    backgroundCpuPercent: 0,
    ok: false,
    failures: []
  };
  const cluster = `bench-${randomBytes(4).toString('hex')}`;
  let servers: BenchServer[];
  try {
    servers = await startNodes(setup, redis, cluster);
  } catch (err) {
    run.failures.push(`nodes did not start: ${String(err).trim()}`);
    return run;
  }
  const pids = servers.map((s) => s.child.pid ?? null);
  const redisPid = setup.redis ? (redis?.pid ?? null) : null;
  const nodesCpu = (): number =>
    pids.reduce<number>((n, pid) => n + safeCpu(pid), 0);
  let nodeFrom = 0;
  let redisFrom = 0;
  let busyFrom = 0;
  let selfFrom = 0;
  let others = 0;
  let load: LoadResult | null = null;
  try {
    load = await runLoad({
      port: servers[0]?.port ?? 0,
      ports: servers.map((s) => s.port),
      clients: run.clients,
      pace,
      ...timing,
      hooks: {
        start: () => {
          nodeFrom = nodesCpu();
          redisFrom = safeCpu(redisPid);
          busyFrom = machineBusySeconds();
          selfFrom = selfCpuSeconds();
        },
        stop: () => {
          const node = nodesCpu() - nodeFrom;
          const redisCpu = safeCpu(redisPid) - redisFrom;
          const self = selfCpuSeconds() - selfFrom;
          others = machineBusySeconds() - busyFrom - node - redisCpu - self;
          run.nodeCpuSeconds = round(node);
          if (redisPid !== null) run.redisCpuSeconds = round(redisCpu);
        }
      }
    });
  } catch (err) {
    run.failures.push(String(err).trim());
  }
  servers.forEach((s, k) => {
    const exited = s.child.exitCode ?? s.child.signalCode;
    if (exited !== null)
      run.failures.push(
        `node n${k + 1} exited mid-run (${exited}): ${s.output().slice(-300).trim()}`
      );
  });
  await Promise.all(servers.map((s) => stopAndWait(s)));
  if (redis !== null && setup.redis) await forget(redis.client, cluster);
  if (load === null) return run;
  const cpu = run.nodeCpuSeconds + (run.redisCpuSeconds ?? 0);
  const deliveries = load.deliveriesPerSec * load.seconds;
  run.seconds = load.seconds;
  run.deliveriesPerSec = load.deliveriesPerSec;
  run.latencyMs = load.latencyMs;
  run.cpuMsPer100k =
    deliveries > 0 ? Math.round((cpu / deliveries) * 1e8 * 10) / 10 : 0;
  run.generatorCpuPercent = load.generatorCpuPercent;
  run.generatorSaturated = load.generatorSaturated;
  run.backgroundCpuPercent =
    load.seconds > 0
      ? Math.max(0, Math.round((others / load.seconds) * 1000) / 10)
      : 0;
  run.failures.push(...load.failures);
  run.ok = run.failures.length === 0;
  return run;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Runs every setup at the fixed rate and at full speed. Without a Redis
 * (no redis-server, no REDIS_URL) only the single node runs and `skipped`
 * says why.
 */
export async function clusterBench(
  settings: ClusterSettings,
  progress: (line: string) => void = () => undefined
): Promise<ClusterReport> {
  const skipped = redisUnavailable();
  let redis: SharedRedis | null = null;
  const report: ClusterReport = {
    pinning: PINNED
      ? 'redis-server and every node on core 0, the load generator on core 1: the cluster shares the one core the single node had'
      : 'not pinned (no taskset): redis-server, the nodes and the load generator share every core',
    redis: 'none',
    skipped,
    runs: []
  };
  try {
    if (skipped === null) {
      // Our own redis-server whenever there is one, so that nothing else
      // shares it; REDIS_URL only when there is none.
      const run = await startRedis({
        persistence: 'none',
        own: redisUnavailable('own') === null
      });
      const client = new Redis(run.url, { maxRetriesPerRequest: 1 });
      redis = { run, client, pid: null };
      if (run.own) {
        redis.pid = await redisPidOf(client);
        const pinned = redis.pid !== null && pinToServerCore(redis.pid);
        report.redis = `our redis-server on ${run.url}, no persistence${pinned ? ', pinned to core 0' : PINNED ? ', NOT pinned (taskset failed)' : ''}`;
      } else {
        report.redis = `REDIS_URL ${run.url}: not ours, not pinned, its CPU not counted`;
      }
    }
    for (const setup of CLUSTER_SETUPS) {
      if (setup.redis && redis === null) continue;
      for (const workload of ['fixed', 'fanout'] as const) {
        progress(`cluster ${setup.label}, ${workload}`);
        const run = await measure(setup, workload, settings, redis);
        progress(
          run.ok
            ? `  ${run.deliveriesPerSec} deliveries/s, p99 ${run.latencyMs.p99} ms`
            : `  FAILED: ${run.failures.join(' | ')}`
        );
        report.runs.push(run);
      }
    }
  } finally {
    redis?.client.disconnect();
    await redis?.run.stop();
  }
  return report;
}
