import { describe, expect, it } from 'vitest';
import {
  planSchedule,
  MAX_CHURN_CONNECTIONS
} from '../../../../src/tools/chaos/schedule.js';
import {
  FAULT_KINDS,
  type ChaosOptions
} from '../../../../src/tools/chaos/types.js';

const OPTIONS: ChaosOptions = {
  host: '127.0.0.1',
  port: 3333,
  scenarios: FAULT_KINDS,
  durationMs: 30_000,
  clients: 20,
  observers: 5,
  rate: 2,
  seed: 42,
  maxConnections: 200,
  maxBytes: 64 * 1024 * 1024
};

describe('planSchedule', () => {
  it('gives a deep-equal schedule for the same options and seed', () => {
    expect(planSchedule({ ...OPTIONS })).toEqual(planSchedule({ ...OPTIONS }));
  });

  it('gives a different schedule for a different seed', () => {
    expect(planSchedule({ ...OPTIONS, seed: 43 })).not.toEqual(
      planSchedule(OPTIONS)
    );
  });

  it('plans one fault per client, numbered in start order', () => {
    const schedule = planSchedule(OPTIONS);
    expect(schedule).toHaveLength(20);
    expect(schedule.map((a) => a.client)).toEqual([...Array(20).keys()]);
    const times = schedule.map((a) => a.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('injects every kind asked for when there are enough clients', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const kinds = new Set(
        planSchedule({ ...OPTIONS, seed, clients: 11 }).map((a) => a.kind)
      );
      expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
    }
  });

  it('keeps to the kinds asked for', () => {
    const schedule = planSchedule({
      ...OPTIONS,
      scenarios: ['flood', 'churn']
    });
    expect(new Set(schedule.map((a) => a.kind))).toEqual(
      new Set(['flood', 'churn'])
    );
  });

  it('starts and ends every fault within the run and bounds storms', () => {
    for (const seed of [7, 8, 9]) {
      const options = {
        ...OPTIONS,
        seed,
        durationMs: 3000,
        clients: 200,
        maxConnections: 60
      };
      for (const action of planSchedule(options)) {
        expect(action.atMs).toBeGreaterThanOrEqual(0);
        expect(action.atMs).toBeLessThan(options.durationMs * 0.75);
        const hold = action.params['holdMs'];
        if (typeof hold === 'number')
          expect(action.atMs + hold).toBeLessThanOrEqual(options.durationMs);
        if (action.kind === 'churn') {
          const n = action.params['connections'] as number;
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(
            Math.min(MAX_CHURN_CONNECTIONS, (60 - 5 - 1) / 4)
          );
        }
      }
    }
  });

  it('plans nothing without clients or scenarios', () => {
    expect(planSchedule({ ...OPTIONS, clients: 0 })).toEqual([]);
    expect(planSchedule({ ...OPTIONS, scenarios: [] })).toEqual([]);
  });
});
