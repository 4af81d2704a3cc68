import { passedRun } from './chat-run.js';
import { passedScale, reportWith, type MeasuredReport } from './scale-run.js';
import { describe, expect, it } from 'vitest';
import type { ChurnResult } from '../../../bench/churn.js';
import type { ClusterRun } from '../../../bench/cluster.js';
import type { ChatRun } from '../../../bench/fanout.js';
import type { ServerKind } from '../../../bench/load.js';
import type { StormResult } from '../../../bench/storm.js';
import {
  computeTargets,
  cpuMicrosPerLine,
  roomsRatios,
  roomsSection,
  type Target
} from '../../../bench/report.js';

/** A passed rooms run of 1,000 clients at a window of 10. */
function run(overrides: Partial<ChatRun> = {}): ChatRun {
  return passedRun({
    workload: 'rooms',
    clients: 1000,
    roomSize: 10,
    moveSeconds: 0.5,
    seconds: 3,
    cpuMsPer100k: 40,
    ...overrides
  });
}

describe('cpuMicrosPerLine', () => {
  it('is the cost per delivery times the deliveries of one line', () => {
    // 40 ms per 100k deliveries is 0.4 µs each; a line is 10 or 1,000.
    expect(cpuMicrosPerLine(run())).toBeCloseTo(4);
    expect(cpuMicrosPerLine(run({ roomSize: null }))).toBeCloseTo(400);
  });
});

describe('roomsRatios', () => {
  it('divides each measure of the rooms run by the one-room run', () => {
    const rooms = run();
    const one = run({
      roomSize: null,
      deliveriesPerSec: 4_000_000,
      cpuMsPer100k: 10,
      latencyMs: { p50: 4, p99: 40, max: 50, samples: 100 }
    });

    const q = roomsRatios(rooms, one);

    expect(q.deliveriesPerSec).toBeCloseTo(0.25);
    expect(q.cpuPerDelivery).toBeCloseTo(4);
    expect(q.cpuPerLine).toBeCloseTo(0.04);
    expect(q.p50).toBeCloseTo(0.5);
    expect(q.p99).toBeCloseTo(0.25);
  });

  it('gives no ratio when either run failed its checks or is missing', () => {
    const failed = run({ ok: false, failures: ['lost 1 deliveries'] });

    expect(roomsRatios(failed, run({ roomSize: null })).p99).toBeNull();
    expect(roomsRatios(run(), undefined).deliveriesPerSec).toBeNull();
  });
});

describe('roomsSection', () => {
  it('shows each layout and the ratio row per pace, and FAILED for a failed run', () => {
    const text = roomsSection([
      run(),
      run({ roomSize: null, deliveriesPerSec: 2_000_000 }),
      run({ window: null, messagesPerSec: 1000, ok: false }),
      run({ window: null, messagesPerSec: 1000, roomSize: null })
    ]);

    expect(text).toMatch(/^### Rooms: 1000 clients in rooms of 10/);
    expect(text).toContain('| window 10 | 100 rooms of 10 | 1.00 M |');
    expect(text).toContain('| window 10 | one room of 1000 | 2.00 M |');
    expect(text).toContain('| window 10 | **rooms ÷ one room** | 0.50× |');
    expect(text).toContain('| 1000 lines/s | 100 rooms of 10 | FAILED |');
    expect(text).toContain(
      '| 1000 lines/s | **rooms ÷ one room** | FAILED | FAILED | FAILED |'
    );
  });

  it('is empty when the workload did not run', () => {
    expect(roomsSection([])).toBe('');
  });
});

/** The targets of a report with only `fields` filled. */
function targetsOf(fields: Partial<MeasuredReport>): Target[] {
  return computeTargets(reportWith(fields));
}

function churned(kind: ServerKind, perSec: number): ChurnResult {
  return {
    kind,
    seconds: 5,
    cycles: perSec * 5,
    connectionsPerSec: perSec,
    countsCorrect: true,
    errors: [],
    serverCpuSeconds: 1,
    cycleP50Ms: 1,
    cycleP99Ms: 2,
    cycleMaxMs: 3,
    packetDrops: 0
  };
}

function clusterRun(
  setup: ClusterRun['setup'],
  workload: ClusterRun['workload'],
  deliveriesPerSec: number,
  p99: number
): ClusterRun {
  return {
    setup,
    label: setup,
    nodes: 1,
    redis: setup !== 'single',
    workload,
    clients: 100,
    window: null,
    messagesPerSec: null,
    seconds: 2,
    deliveriesPerSec,
    latencyMs: { p50: 1, p99, max: p99, samples: 100 },
    nodeCpuSeconds: 1,
    redisCpuSeconds: null,
    cpuMsPer100k: 10,
    generatorCpuPercent: 10,
    generatorSaturated: false,
    backgroundCpuPercent: 0,
    ok: true,
    failures: []
  };
}

function stormed(
  kind: ServerKind,
  clients: number,
  allBackSeconds: number | null
): StormResult {
  const latency = (p99: number) => ({
    lines: 10,
    echoP50Ms: 1,
    echoP99Ms: p99,
    echoMaxMs: p99,
    arrivalP50Ms: 1,
    arrivalP99Ms: p99,
    arrivalMaxMs: p99
  });
  return {
    kind,
    clients,
    bystanders: 5,
    serverArgs: [],
    reconnectConcurrency: clients,
    pokeMs: 0,
    connectSeconds: 1,
    allBackSeconds,
    settledSeconds: allBackSeconds,
    reconnected: allBackSeconds === null ? clients - 10 : clients,
    failures: {},
    stuck: { 'SYN unanswered': 0, 'connected, no greeting': 0 },
    countsCorrect: allBackSeconds !== null,
    linesLost: 0,
    errors: allBackSeconds === null ? ['timeout'] : [],
    kernel: {
      listenOverflows: 0,
      listenDrops: 0,
      synRetrans: 0,
      syncookiesSent: 0,
      softnetDrops: 0
    },
    serverCpuSeconds: 1,
    clientCpuSeconds: 1,
    rssBeforeMb: 100,
    rssAfterMb: 110,
    otherCpuPercent: 0,
    intervalMs: 500,
    before: latency(40),
    during: latency(1500)
  };
}

describe('the issue 19 targets', () => {
  const named = (targets: Target[], name: string): Target | undefined =>
    targets.find((t) => t.name === name);

  it('puts churn against raw, and fails it when a count was wrong', () => {
    const half = targetsOf({
      churn: [churned('actor-chat', 1500), churned('raw', 6000)]
    });
    expect(named(half, 'connection churn, counts checked')).toMatchObject({
      measured: '0.25× (1.5 k/s vs 6.0 k/s)',
      status: 'missed',
      note: 'short by 50%'
    });

    const wrong = targetsOf({
      churn: [
        { ...churned('actor-chat', 5000), countsCorrect: false },
        churned('raw', 6000)
      ]
    });
    expect(named(wrong, 'connection churn, counts checked')).toMatchObject({
      status: 'FAILED'
    });
  });

  it('puts active memory at 500 clients against raw-turn', () => {
    const targets = targetsOf({
      fanout: [
        passedRun({ clients: 500, peakRssMb: 120 }),
        passedRun({ kind: 'raw-turn', clients: 500, peakRssMb: 600 })
      ]
    });
    expect(named(targets, 'RSS with 500 active clients')).toMatchObject({
      measured: '0.20× (120 MB vs 600 MB)',
      status: 'met'
    });
  });

  it('puts one cluster node against the single node, fan-out and p99', () => {
    const targets = targetsOf({
      cluster: {
        pinning: '',
        redis: '',
        skipped: null,
        runs: [
          clusterRun('single', 'fanout', 1_000_000, 1),
          clusterRun('redis-1', 'fanout', 600_000, 1),
          clusterRun('single', 'fixed', 1, 4),
          clusterRun('redis-1', 'fixed', 1, 6)
        ]
      }
    });
    expect(named(targets, 'cluster fan-out, 1 node on Redis')).toMatchObject({
      status: 'missed'
    });
    expect(
      named(targets, 'cluster fan-out, 1 node on Redis')?.measured
    ).toMatch(/^0\.60× /);
    expect(
      named(targets, 'cluster p99 at the fixed rate, 1 node on Redis')
    ).toMatchObject({ measured: '1.50× (6.0 ms vs 4.0 ms)', status: 'met' });
  });

  it('reports the largest storm of ours, against raw at the same size', () => {
    const compared = targetsOf({
      storm: [
        stormed('actor-chat', 2000, 7),
        stormed('raw', 2000, 35),
        stormed('actor-chat', 1000, 3)
      ]
    });
    expect(
      named(compared, 'reconnect storm: all back, counts right (2000)')
    ).toMatchObject({
      measured: "7.0 s; 0.20× raw's time",
      status: 'reported',
      note: 'bystander p99 1500 ms during (40.0 ms before)'
    });

    const stranded = targetsOf({
      storm: [stormed('actor-chat', 10_000, null)]
    });
    expect(
      named(stranded, 'reconnect storm: all back, counts right (10000)')
    ).toMatchObject({ measured: '9990 of 10000 back', status: 'missed' });
  });

  it('reports the time to greet 10,000 without a goal', () => {
    const targets = targetsOf({
      scale: [
        passedScale({ target: 10_000, reached: 10_000, greetSeconds: 22.5 })
      ]
    });
    expect(named(targets, 'time to greet 10,000 (ours)')).toMatchObject({
      measured: '22.5 s',
      status: 'reported'
    });
  });
});
