import type { LoadOptions } from '../../../bench/loadgen.js';

/**
 * The load generator's options for a short unit-test run of `clients`
 * against the test chat server on `port`: two lines in flight each, no
 * warm-up, 0.3 s of load, and timeouts short enough that a broken server
 * fails the run in about a second.
 */
export function shortRun(port: number, clients: number): LoadOptions {
  return {
    port,
    clients,
    pace: { kind: 'window', window: 2 },
    warmupSeconds: 0,
    seconds: 0.3,
    drainTimeoutMs: 500,
    connectTimeoutMs: 1000
  };
}
