/**
 * `npm run bench` (issue 6): our daemon beside the raw `node:net` reference
 * servers (bench/raw-server.ts, flushing per tick as `raw` and per event-loop
 * turn as `raw-turn`) on the same workloads in the same run: fan-out at full
 * speed, a fixed rate, one stuck reader, ours with console logging on, idle
 * connections, churn and a reconnect storm; and ours with 1,000 clients in 100 rooms beside
 * the same clients in one room (issue 17); and ours with the fan-out's clients
 * on plain TCP, TLS, WebSocket and a mix (issue 18). Prints what was pinned, markdown tables with ratios
 * and the targets, then the JSON; writes bench.json, bench.md and bench.svg.
 * Exits 1 when any correctness check failed (after writing everything).
 *
 * Idle connections (issues 6 and 19) run as a memory curve (10, 1,000,
 * 2,000 and in --full 10,000 connections, ours and raw; ours at 10,000 once
 * more with the inspector's monitor attached; and a bounded attempt at
 * 100,000 in --full), and `startup` times how long the daemon takes to
 * listen. Writes scale.svg (KB per connection against connections) too.
 *
 *   npm run bench                  (quick: about 5 minutes)
 *   npm run bench -- --full        (longer runs, the 10,000 and 100,000 idle)
 *   npm run bench -- --only fanout,fixed --out DIR
 *   npm run bench -- --only rooms --rooms-clients 200
 *   npm run bench -- --only transports
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderChart } from './chart.js';
import { renderScaleChart } from './scale-chart.js';
import { churn } from './churn.js';
import { storm, stormSection } from './storm.js';
import { clusterBench, type ClusterSettings } from './cluster.js';
import {
  fanout,
  fixedRate,
  inRooms,
  overTransports,
  stuckReader,
  withLogging,
  type ChatRun,
  type Timing
} from './fanout.js';
import { PINNED, type ServerKind } from './load.js';
import {
  KINDS,
  churnSection,
  clusterSection,
  computeTargets,
  noMeasurements,
  fanoutSection,
  fixedSection,
  headerSection,
  loggingSection,
  markdown,
  notesSection,
  roomsSection,
  stuckSection,
  targetsSection,
  type BenchReport
} from './report.js';
import { idleScale, type ScaleTarget } from './scale.js';
import { startupBench } from './startup.js';
import { TRANSPORTS, type Transport } from './chat-links.js';
import { makeThrowawayCert, tlsAndWsArgs } from './throwaway-cert.js';
import { transportLabel, transportsSection } from './transports-report.js';
import { scaleSection, startupSection } from './scale-report.js';

const WORKLOADS = [
  'fanout',
  'fixed',
  'stuck',
  'logging',
  'scale',
  'startup',
  'churn',
  'storm',
  'cluster',
  'rooms',
  'transports'
] as const;
type WorkloadName = (typeof WORKLOADS)[number];

/**
 * Idle connections, churn and the storm do not depend on how writes are flushed, so
 * they run against ours and `raw` only (raw-turn would add time, not news).
 */
const CONNECTION_KINDS: readonly ServerKind[] = ['actor-chat', 'raw'];

/** The memory curve's small points, quick enough for every mode. */
const SMALL_SCALE: readonly ScaleTarget[] = [
  { target: 10, timeoutSec: 20 },
  { target: 1_000, timeoutSec: 30 },
  // 2,000 joins are 2 M join notices (N(N-1)/2): a few seconds.
  { target: 2_000, timeoutSec: 40 }
];

/** One reconnect storm of `npm run bench`. */
interface StormSetting {
  clients: number;
  timeoutSec: number;
  kinds: readonly ServerKind[];
}

/** How long each workload runs in each mode. */
interface ModeSettings {
  fanout: Timing;
  fanoutClients: readonly number[];
  window: number;
  fixed: Timing;
  fixedClients: number;
  fixedRate: number;
  /** The stuck reader, the logging run and the baseline before each. */
  paired: Timing;
  pairedClients: number;
  /** Idle-connection targets per server kind, each with its own time budget. */
  scaleTargets: Readonly<Record<'actor-chat' | 'raw', readonly ScaleTarget[]>>;
  /** Runs of each way of starting the daemon (time to listen). */
  startupRuns: number;
  churnSeconds: number;
  churnConcurrency: number;
  /** Idle clients dropped and reconnected at once, and each phase's bound. */
  /** Each storm: how many clients, its bound, and which servers. */
  storms: readonly StormSetting[];
  /** Single node, then 1, 2 and 3 nodes through Redis (issue 7). */
  cluster: ClusterSettings;
  /** Many rooms beside one room of the same clients (issue 17). */
  rooms: RoomsSettings;
  /** The fan-out over each transport and a mix (issue 18). */
  transports: TransportsSettings;
}

/**
 * The transports workload: `clients` all on TCP, all on TLS, all on
 * WebSocket, then a third on each, at full speed (a window per client) and
 * at a fixed total rate.
 */
interface TransportsSettings {
  clients: number;
  window: number;
  /** Lines per second in total. */
  rate: number;
  timing: Timing;
}

/**
 * The multi-room workload: `clients` in rooms of `roomSize`, then the same
 * clients all in `#lobby`, each at full speed (a window per client) and at
 * a fixed total rate.
 */
interface RoomsSettings {
  clients: number;
  roomSize: number;
  window: number;
  /** Lines per second in total, the same in both layouts. */
  rate: number;
  timing: Timing;
}

/** The most clients `--rooms-clients` takes: each is a socket on both sides. */
const MAX_ROOMS_CLIENTS = 5_000;

const QUICK: ModeSettings = {
  fanout: { warmupSeconds: 0.5, seconds: 2 },
  fanoutClients: [10, 100, 500],
  window: 10,
  fixed: { warmupSeconds: 0.5, seconds: 5 },
  fixedClients: 100,
  fixedRate: 200,
  paired: { warmupSeconds: 0.5, seconds: 2 },
  pairedClients: 100,
  // 10,000 joins make the server send 50 M join notices (N²/2), and Node
  // accepts one connection per turn of the event loop, so no batching can
  // merge them: minutes, not seconds. Quick mode measures up to 2,000 (2 M
  // notices) and says so.
  scaleTargets: { 'actor-chat': SMALL_SCALE, raw: SMALL_SCALE },
  startupRuns: 3,
  churnSeconds: 5,
  churnConcurrency: 50,
  // Connecting N (N²/2 join notices), then dropping and reconnecting them
  // (as many leave and join notices again), per kind. At 2,000 raw alone
  // took 30 s to connect and 42 s for the storm here (one write per
  // notice), so quick mode runs 1,000 (a quarter of that); a reconnect that
  // never completes waits out its bound.
  storms: [{ clients: 1_000, timeoutSec: 30, kinds: CONNECTION_KINDS }],
  // Four setups, each a fixed-rate and a fan-out run on fresh nodes (about
  // 1 s each to start, connect and drain): under 25 s in all.
  cluster: {
    fixed: { warmupSeconds: 0.5, seconds: 2 },
    fixedClients: 100,
    fixedRate: 200,
    fanout: { warmupSeconds: 0.5, seconds: 1 },
    fanoutClients: 100,
    window: 10
  },
  // Each of the four runs connects 1,000 clients (half a million join
  // notices in #lobby, as many leave notices when they move): 10-30 s each.
  // A window of 1: with 10, one room of 1,000 queues 10 M deliveries and its
  // latency is seconds of queue. 500 lines/s is 0.5 M deliveries/s in one
  // room, under what it carries at full speed.
  rooms: {
    clients: 1_000,
    roomSize: 10,
    window: 1,
    rate: 500,
    timing: { warmupSeconds: 1, seconds: 3 }
  },
  // Eight runs of 100 clients (four layouts, two paces), about 1 s each to
  // start, connect and drain: under 30 s in all.
  transports: {
    clients: 100,
    window: 10,
    rate: 200,
    timing: { warmupSeconds: 0.5, seconds: 2 }
  }
};

const FULL: ModeSettings = {
  ...QUICK,
  fanout: { warmupSeconds: 1, seconds: 10 },
  fixed: { warmupSeconds: 1, seconds: 20 },
  paired: { warmupSeconds: 1, seconds: 10 },
  // 100,000 cannot finish here (20,000 descriptors at most, and 5 G join
  // notices): a bounded attempt that reports where it stopped and why, ours
  // only; the reference takes 5-7 minutes for 10,000 already and would stop
  // at the same descriptor limit.
  scaleTargets: {
    'actor-chat': [
      ...SMALL_SCALE,
      { target: 10_000, timeoutSec: 900 },
      { target: 10_000, timeoutSec: 900, admin: true },
      { target: 100_000, timeoutSec: 600 }
    ],
    raw: [...SMALL_SCALE, { target: 10_000, timeoutSec: 900 }]
  },
  startupRuns: 5,
  churnSeconds: 15,
  // Raw at 10,000 would take minutes to connect alone (one write per
  // notice: 50 M join notices), so 10,000 is ours only; 2,000 compares.
  storms: [
    { clients: 2_000, timeoutSec: 60, kinds: CONNECTION_KINDS },
    { clients: 10_000, timeoutSec: 120, kinds: ['actor-chat'] }
  ],
  cluster: {
    ...QUICK.cluster,
    fixed: { warmupSeconds: 1, seconds: 20 },
    fanout: { warmupSeconds: 1, seconds: 10 }
  },
  rooms: { ...QUICK.rooms, timing: { warmupSeconds: 1, seconds: 10 } },
  transports: {
    ...QUICK.transports,
    timing: { warmupSeconds: 1, seconds: 10 }
  }
};

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: tsx bench/run.ts [--quick | --full] [--out DIR] [--only ${WORKLOADS.join(',')}] [--skip-scale] [--rooms-clients N]\n`
  );
  process.exit(2);
}

function parse(): {
  mode: 'quick' | 'full';
  out: string;
  only: Set<WorkloadName>;
  roomsClients: number | null;
} {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        out: { type: 'string', default: 'bench-results' },
        only: { type: 'string' },
        'skip-scale': { type: 'boolean', default: false },
        'rooms-clients': { type: 'string' }
      }
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  if (values.quick && values.full)
    usage('--quick and --full exclude each other');
  const only = new Set<WorkloadName>();
  for (const name of (values.only ?? WORKLOADS.join(',')).split(',')) {
    const w = WORKLOADS.find((x) => x === name.trim());
    if (w === undefined) usage(`unknown workload ${name}`);
    only.add(w);
  }
  if (values['skip-scale']) {
    only.delete('scale');
    only.delete('churn');
    only.delete('storm');
  }
  let roomsClients: number | null = null;
  if (values['rooms-clients'] !== undefined) {
    roomsClients = Number(values['rooms-clients']);
    if (
      !Number.isInteger(roomsClients) ||
      roomsClients < 2 ||
      roomsClients > MAX_ROOMS_CLIENTS
    )
      usage(
        `--rooms-clients must be a whole number from 2 to ${MAX_ROOMS_CLIENTS}, got ${values['rooms-clients']}`
      );
  }
  return {
    mode: values.full ? 'full' : 'quick',
    out: values.out,
    only,
    roomsClients
  };
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? 'unknown CPU';
  } catch {
    return cpus()[0]?.model ?? 'unknown CPU';
  }
}

function progress(line: string): void {
  const at = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`[bench ${at} s] ${line}\n`);
}

function print(section: string): void {
  if (section !== '') process.stdout.write(`\n${section}\n`);
}

function brief(run: ChatRun): string {
  return run.ok
    ? `${run.deliveriesPerSec} deliveries/s, p99 ${run.latencyMs.p99} ms`
    : `FAILED: ${run.failures.join(' | ')}`;
}

const started = Date.now();
const { mode, out, only, roomsClients } = parse();
const settings = mode === 'full' ? FULL : QUICK;
const report: BenchReport = {
  timestamp: new Date().toISOString(),
  mode,
  machine: {
    pinned: PINNED,
    pinning: PINNED
      ? 'server on core 0, load generator on core 1'
      : 'not pinned (no taskset)',
    node: process.version,
    cpuModel: cpuModel(),
    cores: cpus().length,
    loadAverage: loadavg()
  },
  workloads: [...only],
  ...noMeasurements(),
  targets: [],
  ok: true
};
print(headerSection(report));

if (only.has('fanout')) {
  for (const clients of settings.fanoutClients) {
    for (const kind of KINDS) {
      progress(`fan-out ${kind}, ${clients} clients`);
      const run = await fanout(kind, clients, settings.window, settings.fanout);
      progress(`  ${brief(run)}`);
      report.fanout.push(run);
    }
  }
  print(fanoutSection(report.fanout));
}

if (only.has('fixed')) {
  for (const kind of KINDS) {
    progress(`fixed rate ${kind}`);
    const run = await fixedRate(
      kind,
      settings.fixedClients,
      settings.fixedRate,
      settings.fixed
    );
    progress(`  ${brief(run)}`);
    report.fixed.push(run);
  }
  print(fixedSection(report.fixed));
}

/**
 * The stuck reader and the logging run are each compared with a fan-out run
 * of the same size made right before them, so that drift in the machine's
 * load between the workloads does not pass for their cost.
 */
if (only.has('stuck') || only.has('logging')) {
  for (const kind of KINDS) {
    const stuck = only.has('stuck');
    const logging = only.has('logging') && kind === 'actor-chat';
    if (!stuck && !logging) continue;
    progress(`baseline fan-out ${kind}, ${settings.pairedClients} clients`);
    const base = await fanout(
      kind,
      settings.pairedClients,
      settings.window,
      settings.paired
    );
    progress(`  ${brief(base)}`);
    report.baselines.push(base);
    if (stuck) {
      progress(`stuck reader ${kind}`);
      const run = await stuckReader(
        kind,
        settings.pairedClients,
        settings.window,
        settings.paired
      );
      progress(
        `  ${brief(run)}, stuck reader disconnected: ${run.stuckDisconnected === true ? 'yes' : 'no'}`
      );
      report.stuck.push(run);
    }
    if (logging) {
      progress('actor-chat with --log-level chat');
      const run = await withLogging(
        settings.pairedClients,
        settings.window,
        settings.paired
      );
      progress(`  ${brief(run)}`);
      report.logging.push(run);
    }
  }
  print(stuckSection(report.stuck, report.baselines));
  print(loggingSection(report.logging, report.baselines));
}

if (only.has('scale')) {
  for (const kind of CONNECTION_KINDS) {
    const targets =
      kind === 'raw'
        ? settings.scaleTargets.raw
        : settings.scaleTargets['actor-chat'];
    progress(
      `idle connections ${kind}: ${targets.map((t) => `${t.target}${t.admin === true ? ' + monitor' : ''}`).join(', ')}`
    );
    for (const target of targets) {
      try {
        const [r] = await idleScale(kind, [target]);
        if (r === undefined) continue;
        progress(
          `  ${r.target}${r.admin ? ' + monitor' : ''}: reached ${r.reached}, ${r.kbPerConnection.toFixed(1)} KB/connection, greeted in ${r.greetSeconds.toFixed(2)} s, one line to all ${r.fanOut?.seconds ?? '–'} s, other CPU ${r.backgroundCpuPercent}%${r.stoppedBy === null ? '' : `, stopped: ${r.stoppedBy.slice(0, 160)}`}${r.errors.length > 0 ? `, FAILED: ${r.errors.join(' | ')}` : ''}`
        );
        report.scale.push(r);
      } catch (err) {
        report.errors.push(
          `idle connections ${kind} ${target.target} crashed: ${String(err)}`
        );
      }
    }
  }
  print(scaleSection(report.scale));
}

if (only.has('startup')) {
  progress(
    `time to listen, ${settings.startupRuns} runs each, and import costs`
  );
  try {
    report.startup = await startupBench(settings.startupRuns);
    for (const l of report.startup.listen)
      progress(`  ${l.command}: median ${l.medianMs ?? 'FAILED'} ms`);
  } catch (err) {
    report.errors.push(`startup crashed: ${String(err)}`);
  }
  print(startupSection(report.startup));
}

if (only.has('churn')) {
  for (const kind of CONNECTION_KINDS) {
    progress(`churn ${kind}`);
    try {
      const result = await churn(kind, {
        seconds: settings.churnSeconds,
        concurrency: settings.churnConcurrency
      });
      progress(
        `  ${result.connectionsPerSec.toFixed(0)} connections/s, counts ${result.countsCorrect ? 'correct' : 'WRONG'}`
      );
      report.churn.push(result);
    } catch (err) {
      report.errors.push(`churn ${kind} crashed: ${String(err)}`);
    }
  }
  print(churnSection(report.churn));
}

if (only.has('storm')) {
  for (const { clients, timeoutSec, kinds } of settings.storms)
    for (const kind of kinds) {
      progress(`reconnect storm ${kind}, ${clients} clients`);
      try {
        const result = await storm(kind, { clients, timeoutSec });
        progress(
          `  all back in ${result.allBackSeconds ?? 'FAILED'} s, counts ${result.countsCorrect ? 'correct' : 'WRONG'}`
        );
        report.storm.push(result);
      } catch (err) {
        report.errors.push(`storm ${kind} crashed: ${String(err)}`);
      }
    }
  print(stormSection(report.storm));
}

if (only.has('cluster')) {
  try {
    report.cluster = await clusterBench(settings.cluster, progress);
    if (report.cluster.skipped !== null && process.env.REQUIRE_REDIS === '1')
      report.errors.push(
        `cluster: REQUIRE_REDIS=1 but ${report.cluster.skipped}`
      );
  } catch (err) {
    report.errors.push(`cluster crashed: ${String(err)}`);
  }
  print(clusterSection(report.cluster));
}

if (only.has('rooms')) {
  const r = settings.rooms;
  const clients = roomsClients ?? r.clients;
  const layouts = [r.roomSize, null] as const;
  const paces = [
    { kind: 'window', window: r.window },
    { kind: 'rate', messagesPerSec: r.rate }
  ] as const;
  for (const pace of paces) {
    for (const roomSize of layouts) {
      progress(
        `${clients} clients ${roomSize === null ? 'in one room' : `in rooms of ${roomSize}`}, ${pace.kind === 'window' ? `window ${pace.window}` : `${pace.messagesPerSec} lines/s`}`
      );
      const run = await inRooms(clients, roomSize, pace, r.timing);
      progress(
        `  ${brief(run)}${run.moveSeconds === null ? '' : `, moved in ${run.moveSeconds} s`}`
      );
      report.rooms.push(run);
    }
  }
  print(roomsSection(report.rooms));
}

if (only.has('transports')) {
  const t = settings.transports;
  const layouts: readonly (readonly Transport[])[] = [
    ...TRANSPORTS.map((x) => [x]),
    TRANSPORTS
  ];
  const paces = [
    { kind: 'window', window: t.window },
    { kind: 'rate', messagesPerSec: t.rate }
  ] as const;
  try {
    const cert = makeThrowawayCert();
    try {
      for (const pace of paces) {
        for (const layout of layouts) {
          progress(
            `${t.clients} clients on ${transportLabel(layout)}, ${pace.kind === 'window' ? `window ${pace.window}` : `${pace.messagesPerSec} lines/s`}`
          );
          const run = await overTransports(
            t.clients,
            layout,
            pace,
            tlsAndWsArgs(cert),
            t.timing
          );
          progress(`  ${brief(run)}`);
          report.transports.push(run);
        }
      }
    } finally {
      cert.remove();
    }
  } catch (err) {
    report.errors.push(`transports crashed: ${String(err)}`);
  }
  print(transportsSection(report.transports));
}

report.targets = computeTargets(report);
report.ok =
  report.errors.length === 0 &&
  [
    ...report.fanout,
    ...report.fixed,
    ...report.baselines,
    ...report.stuck,
    ...report.logging,
    ...report.rooms,
    ...report.transports
  ].every((r) => r.ok) &&
  report.scale.every((s) => s.errors.length === 0) &&
  (report.startup?.listen ?? []).every((l) => l.failures.length === 0) &&
  report.churn.every((c) => c.countsCorrect && c.errors.length === 0) &&
  report.storm.every((s) => s.countsCorrect && s.errors.length === 0) &&
  (report.cluster?.runs ?? []).every((r) => r.ok);
print(targetsSection(report.targets));
print(notesSection(report));

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(out, 'bench.md'), markdown(report));
writeFileSync(join(out, 'bench.svg'), renderChart(report.fanout));
if (report.scale.length > 0)
  writeFileSync(join(out, 'scale.svg'), renderScaleChart(report.scale));
process.stdout.write(`\n${JSON.stringify(report)}\n`);
progress(
  `wrote ${join(out, 'bench.json')}, bench.md, bench.svg${report.scale.length > 0 ? ', scale.svg' : ''} in ${((Date.now() - started) / 1000).toFixed(0)} s${report.ok ? '' : '; some checks FAILED'}`
);
process.exitCode = report.ok ? 0 : 1;
// Everything is closed by now; should anything still hold the loop, do not hang.
setTimeout(() => process.exit(), 2000).unref();
