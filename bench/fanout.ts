/**
 * The chatting workloads of `npm run bench` (issue 6): fan-out at full
 * speed, a fixed message rate, one stuck reader among the chatters, ours
 * with per-message console logging on, and ours with the chatters spread
 * over many rooms (issue 17), and ours with the chatters on plain TCP, TLS,
 * WebSocket or a mix of them (issue 18). Each run starts a fresh server of
 * the kind asked for, drives it with bench/loadgen.ts and stops it.
 */
import {
  cpuSeconds,
  rssMb,
  startKind,
  stopAndWait,
  type ServerKind,
  machineBusySeconds
} from './load.js';
import type { Endpoint, Transport } from './chat-links.js';
import {
  runLoad,
  type Latency,
  type LoadResult,
  type Pace
} from './loadgen.js';

/** Our server's log level in every run but the logging one: no per-message lines. */
export const QUIET_LOG_LEVEL = 'info';
/** Our server's default level: one console line per relayed message. */
export const CHAT_LOG_LEVEL = 'chat';

/** Which workload a run belongs to. */
export type Workload =
  'fanout' | 'fixed' | 'stuck' | 'logging' | 'rooms' | 'transports';

/** One measured run of a chatting workload against one server. */
export interface ChatRun {
  workload: Workload;
  kind: ServerKind;
  clients: number;
  /** Lines in flight per client, or null at a fixed rate. */
  window: number | null;
  /** Messages per second in total, at a fixed rate. */
  messagesPerSec: number | null;
  /** Members per room after `/join`, or null: everyone in `#lobby`. */
  roomSize: number | null;
  /**
   * The transports the chatters were spread over in turn (client k on
   * `transports[k % length]`); absent: all plain TCP (every workload but
   * `transports`).
   */
  transports?: readonly Transport[];
  /** Seconds the moves into the rooms took, or null. */
  moveSeconds: number | null;
  /** Our server's `--log-level`; null for the references. */
  logLevel: string | null;
  /** The measured interval, seconds. */
  seconds: number;
  deliveriesPerSec: number;
  latencyMs: Latency;
  /** Server CPU (user + system) over the measured interval. */
  serverCpuSeconds: number;
  /** Server CPU per 100,000 deliveries, ms. */
  cpuMsPer100k: number;
  /** Highest server RSS seen, sampled every 100 ms. */
  peakRssMb: number;
  generatorCpuPercent: number;
  generatorSaturated: boolean;
  /**
   * CPU other processes used over the measured interval (user + system of
   * the whole machine minus the server and the generator), % of one core:
   * when it is high, the machine was shared and the numbers are lower.
   */
  backgroundCpuPercent: number;
  /** With a stuck reader: did the chatters see it leave (disconnected)? */
  stuckDisconnected: boolean | null;
  /** Seconds from the first line sent until they saw it leave. */
  stuckLeftAfterSeconds: number | null;
  /** What the server wrote to stdout and stderr in the measured interval, MB/s. */
  serverOutputMbPerSec: number;
  ok: boolean;
  failures: string[];
}

/** How long each run sends. */
export interface Timing {
  warmupSeconds: number;
  seconds: number;
}

interface Spec extends Timing {
  workload: Workload;
  kind: ServerKind;
  clients: number;
  pace: Pace;
  logLevel?: string;
  stuckReaders?: number;
  roomSize?: number | null;
  /** Spread the chatters over these, in turn; needs `serverArgs` for TLS and WS. */
  transports?: readonly Transport[];
  /** More arguments for our server (the TLS and WebSocket listeners). */
  serverArgs?: readonly string[];
  /** Longest wait for every client to connect, be greeted (and move). */
  connectTimeoutMs?: number;
}

function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Starts a server, runs the load generator against it, stops it. */
async function measure(spec: Spec): Promise<ChatRun> {
  const logLevel =
    spec.kind === 'actor-chat' ? (spec.logLevel ?? QUIET_LOG_LEVEL) : null;
  const base: Omit<
    ChatRun,
    | 'deliveriesPerSec'
    | 'latencyMs'
    | 'serverCpuSeconds'
    | 'cpuMsPer100k'
    | 'peakRssMb'
    | 'generatorCpuPercent'
    | 'generatorSaturated'
    | 'backgroundCpuPercent'
    | 'stuckDisconnected'
    | 'stuckLeftAfterSeconds'
    | 'serverOutputMbPerSec'
    | 'moveSeconds'
    | 'ok'
    | 'failures'
  > = {
    workload: spec.workload,
    kind: spec.kind,
    clients: spec.clients,
    window: spec.pace.kind === 'window' ? spec.pace.window : null,
    messagesPerSec: spec.pace.kind === 'rate' ? spec.pace.messagesPerSec : null,
    roomSize: spec.roomSize ?? null,
    ...(spec.transports === undefined ? {} : { transports: spec.transports }),
    logLevel,
    seconds: spec.seconds
  };
  let server;
  try {
    server = await startKind(spec.kind, {
      args: [
        ...(logLevel === null ? [] : ['--log-level', logLevel]),
        ...(spec.serverArgs ?? [])
      ]
    });
  } catch (err) {
    return failed(base, `server did not start: ${String(err)}`);
  }
  const pid = server.child.pid ?? 0;
  let peakRss = 0;
  let cpuFrom = 0;
  let cpuTo = 0;
  let busyFrom = 0;
  let busyTo = 0;
  let selfFrom = 0;
  let selfTo = 0;
  let outputFrom = 0;
  let outputTo = 0;
  const sample = (): void => {
    try {
      peakRss = Math.max(peakRss, rssMb(pid));
    } catch {
      // The server is gone; the run reports it.
    }
  };
  let load: LoadResult;
  try {
    sample();
    const endpoints =
      spec.transports === undefined
        ? undefined
        : endpointsFor(spec.transports, server);
    load = await runLoad({
      port: server.port,
      ...(endpoints === undefined ? {} : { endpoints }),
      clients: spec.clients,
      pace: spec.pace,
      warmupSeconds: spec.warmupSeconds,
      seconds: spec.seconds,
      stuckReaders: spec.stuckReaders ?? 0,
      roomSize: spec.roomSize ?? null,
      ...(spec.connectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: spec.connectTimeoutMs }),
      hooks: {
        sample,
        start: () => {
          cpuFrom = cpuSeconds(pid);
          busyFrom = machineBusySeconds();
          selfFrom = processCpuSeconds();
          outputFrom = server.outputBytes();
        },
        stop: () => {
          cpuTo = cpuSeconds(pid);
          busyTo = machineBusySeconds();
          selfTo = processCpuSeconds();
          outputTo = server.outputBytes();
        }
      }
    });
  } catch (err) {
    const exited = server.child.exitCode ?? server.child.signalCode;
    const why =
      exited === null
        ? String(err)
        : `${String(err)}; server exited (${exited}): ${server.output().slice(-300)}`;
    await stopAndWait(server);
    return failed(base, why);
  }
  const exited = server.child.exitCode ?? server.child.signalCode;
  await stopAndWait(server);
  const failures = [...load.failures];
  if (exited !== null) failures.push(`server exited mid-run (${exited})`);
  const serverCpu = cpuTo - cpuFrom;
  const interval = load.seconds;
  const background = busyTo - busyFrom - serverCpu - (selfTo - selfFrom);
  const deliveries = load.deliveriesPerSec * interval;
  return {
    ...base,
    seconds: interval,
    deliveriesPerSec: load.deliveriesPerSec,
    latencyMs: load.latencyMs,
    serverCpuSeconds: Math.round(serverCpu * 100) / 100,
    cpuMsPer100k:
      deliveries > 0
        ? Math.round(((serverCpu * 1000) / deliveries) * 100_000 * 10) / 10
        : 0,
    peakRssMb: peakRss,
    generatorCpuPercent: load.generatorCpuPercent,
    generatorSaturated: load.generatorSaturated,
    backgroundCpuPercent:
      interval > 0
        ? Math.max(0, Math.round((background / interval) * 1000) / 10)
        : 0,
    stuckDisconnected:
      (spec.stuckReaders ?? 0) > 0 ? load.stuckLeaveNotices > 0 : null,
    stuckLeftAfterSeconds: load.stuckLeftAfterSeconds,
    serverOutputMbPerSec:
      interval > 0
        ? Math.round(((outputTo - outputFrom) / 1e6 / interval) * 100) / 100
        : 0,
    moveSeconds: load.moveSeconds,
    ok: failures.length === 0,
    failures
  };
}

/** Each transport's listener on `server`; throws when one is not there. */
function endpointsFor(
  transports: readonly Transport[],
  server: { port: number; tlsPort: number | null; wsPort: number | null }
): Endpoint[] {
  return transports.map((transport) => {
    const port =
      transport === 'tcp'
        ? server.port
        : transport === 'tls'
          ? server.tlsPort
          : server.wsPort;
    if (port === null)
      throw new Error(`the server has no ${transport} listener`);
    return { transport, port };
  });
}

function failed(
  base: Pick<
    ChatRun,
    | 'workload'
    | 'kind'
    | 'clients'
    | 'window'
    | 'messagesPerSec'
    | 'roomSize'
    | 'transports'
    | 'logLevel'
    | 'seconds'
  >,
  why: string
): ChatRun {
  return {
    ...base,
    deliveriesPerSec: 0,
    latencyMs: { p50: 0, p99: 0, max: 0, samples: 0 },
    serverCpuSeconds: 0,
    cpuMsPer100k: 0,
    peakRssMb: 0,
    generatorCpuPercent: 0,
    generatorSaturated: false,
    backgroundCpuPercent: 0,
    stuckDisconnected: null,
    stuckLeftAfterSeconds: null,
    serverOutputMbPerSec: 0,
    moveSeconds: null,
    ok: false,
    failures: [why]
  };
}

/** Every client as fast as a window of `window` lines in flight allows. */
export function fanout(
  kind: ServerKind,
  clients: number,
  window: number,
  timing: Timing
): Promise<ChatRun> {
  return measure({
    workload: 'fanout',
    kind,
    clients,
    pace: { kind: 'window', window },
    ...timing
  });
}

/** `clients` clients sending `messagesPerSec` lines a second in total, evenly staggered. */
export function fixedRate(
  kind: ServerKind,
  clients: number,
  messagesPerSec: number,
  timing: Timing
): Promise<ChatRun> {
  return measure({
    workload: 'fixed',
    kind,
    clients,
    pace: { kind: 'rate', messagesPerSec },
    ...timing
  });
}

/**
 * Fan-out with one more client that gets its greeting and then never reads;
 * it is left out of every check, and the run reports whether the chatters
 * saw it leave (our server disconnects it as a slow consumer).
 */
export function stuckReader(
  kind: ServerKind,
  clients: number,
  window: number,
  timing: Timing
): Promise<ChatRun> {
  return measure({
    workload: 'stuck',
    kind,
    clients,
    pace: { kind: 'window', window },
    stuckReaders: 1,
    ...timing
  });
}

/** Our server at full speed with its default per-message console logging. */
export function withLogging(
  clients: number,
  window: number,
  timing: Timing
): Promise<ChatRun> {
  return measure({
    workload: 'logging',
    kind: 'actor-chat',
    clients,
    pace: { kind: 'window', window },
    logLevel: CHAT_LOG_LEVEL,
    ...timing
  });
}

/**
 * Ours with the `clients` chatters moved into rooms of `roomSize` by `/join`
 * (issue 17), at `pace`, every check per room; `roomSize` null keeps them
 * all in `#lobby`, the single-room run of the same size it is compared with.
 * The default room limits suffice: each client creates at most one room
 * (`--room-creates-per-minute` 5), and 1,000 clients make 100 (`--max-rooms`
 * 10,000).
 */
export function inRooms(
  clients: number,
  roomSize: number | null,
  pace: Pace,
  timing: Timing
): Promise<ChatRun> {
  return measure({
    workload: 'rooms',
    kind: 'actor-chat',
    clients,
    pace,
    roomSize,
    // 1,000 joins make half a million notices before the last greeting: a
    // few seconds alone, but a shared machine stretches it past the
    // default 15 s bound.
    connectTimeoutMs: 60_000,
    ...timing
  });
}

/**
 * Ours with the `clients` chatters spread over `transports` in turn (one
 * transport: all of them on it), at `pace`, with every fan-out check across
 * them all (issue 18). `serverArgs` give the server its TLS and WebSocket
 * listeners (bench/throwaway-cert.ts); every run of the workload gets all
 * of them, so only the clients' transport differs between runs.
 */
export function overTransports(
  clients: number,
  transports: readonly Transport[],
  pace: Pace,
  serverArgs: readonly string[],
  timing: Timing
): Promise<ChatRun> {
  return measure({
    workload: 'transports',
    kind: 'actor-chat',
    clients,
    pace,
    transports,
    serverArgs,
    ...timing
  });
}
