import { noMeasurements, type computeTargets } from '../../../bench/report.js';
import type { ScaleResult } from '../../../bench/scale.js';

/** What `computeTargets` reads. */
export type MeasuredReport = Parameters<typeof computeTargets>[0];

/** A report of one quick run in which nothing ran, with `fields` filled in. */
export function reportWith(fields: Partial<MeasuredReport>): MeasuredReport {
  const empty: MeasuredReport = {
    timestamp: '',
    mode: 'quick',
    machine: {
      pinned: false,
      pinning: '',
      node: '',
      cpuModel: '',
      cores: 2,
      loadAverage: []
    },
    workloads: [],
    ...noMeasurements()
  };
  return Object.assign(empty, fields);
}

/**
 * A passed actor-chat idle-connection run of 1,000 connections without the
 * monitor, for the report tests; `overrides` make it the run a test needs.
 */
export function passedScale(overrides: Partial<ScaleResult> = {}): ScaleResult {
  return {
    kind: 'actor-chat',
    admin: false,
    target: 1000,
    reached: 1000,
    greetSeconds: 1.5,
    rssBaseMb: 60,
    rssMb: 80,
    kbPerConnection: 20.48,
    stoppedBy: null,
    errors: [],
    notices: 499_500,
    noticeSeconds: 1.6,
    rssPeakMb: 90,
    serverFdLimit: 2000,
    serverCpuSeconds: 1,
    clientCpuSeconds: 1,
    serverWrites: 1000,
    packetDrops: 0,
    seconds: 3,
    hardFdLimit: 20_000,
    backgroundCpuPercent: 5,
    fanOut: { recipients: 1000, received: 1000, seconds: 0.012 },
    adminTimings: [],
    ...overrides
  };
}
