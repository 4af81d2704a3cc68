import type { ChatRun } from '../../../bench/fanout.js';

/**
 * A passed actor-chat run of 100 clients at a window of 10, 2 s measured,
 * for the report tests; `overrides` make it the run a test needs.
 */
export function passedRun(overrides: Partial<ChatRun> = {}): ChatRun {
  return {
    workload: 'fanout',
    kind: 'actor-chat',
    clients: 100,
    window: 10,
    messagesPerSec: null,
    roomSize: null,
    moveSeconds: null,
    logLevel: 'info',
    seconds: 2,
    deliveriesPerSec: 1_000_000,
    latencyMs: { p50: 2, p99: 10, max: 20, samples: 100 },
    serverCpuSeconds: 1,
    cpuMsPer100k: 10,
    peakRssMb: 100,
    generatorCpuPercent: 50,
    generatorSaturated: false,
    backgroundCpuPercent: 0,
    stuckDisconnected: null,
    stuckLeftAfterSeconds: null,
    serverOutputMbPerSec: 0,
    ok: true,
    failures: [],
    ...overrides
  };
}
