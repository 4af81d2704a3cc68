/**
 * Property tests over the deterministic replay (issue 4, item 3): random
 * interleavings of joins, messages, faults and leaves against the real
 * machines keep I1, I2 and I4; a server that loses one line is caught, and
 * shrunk to the three steps that show it.
 *
 * To rerun a failure, take the `seed` and `path` fast-check printed:
 * `REPLAY_SEED=… REPLAY_PATH=… npx vitest run test/unit/replay`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectionPort } from '../../../src/machines/types.js';
import { replay } from '../../../src/replay/harness.js';
import type { ReplayStep } from '../../../src/replay/steps.js';
import {
  TEST_LIMITS,
  invariantProblems,
  runArb,
  scheduleArb
} from './schedules.js';

/** fc options: bounded runs, or exactly the failure named in the environment. */
function runParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['REPLAY_SEED'];
  const path = process.env['REPLAY_PATH'];
  if (seed === undefined) return { numRuns };
  return {
    numRuns,
    seed: Number(seed),
    ...(path === undefined ? {} : { path, endOnFailure: true })
  };
}

/** The invariants as a property: a failure lists every broken one. */
function keepsInvariants(
  schedule: ReplayStep[],
  run: { seed: number; slice: boolean },
  wrapPort?: (port: ConnectionPort, connId: string) => ConnectionPort
): void {
  const result = replay(schedule, {
    ...run,
    limits: TEST_LIMITS,
    ...(wrapPort && { wrapPort })
  });
  const problems = invariantProblems(result);
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** A port that loses the first chat line written to connection `victim`. */
function dropsOneLine(victim: string) {
  return (port: ConnectionPort, connId: string): ConnectionPort => {
    if (connId !== victim) return port;
    let dropped = false;
    return {
      remote: port.remote,
      get queuedBytes() {
        return port.queuedBytes;
      },
      write: (data) => {
        if (!dropped && data.toString().includes('] ')) {
          dropped = true;
          return;
        }
        port.write(data);
      },
      end: (farewell) => port.end(farewell),
      destroy: () => port.destroy(),
      pauseInput: () => port.pauseInput(),
      resumeInput: () => port.resumeInput(),
      attach: (sink) => port.attach(sink)
    };
  };
}

describe('replay properties', () => {
  it('keeps I1, I2 and I4 over random joins, messages, faults and leaves', () => {
    fc.assert(
      fc.property(scheduleArb, runArb, (schedule, run) =>
        keepsInvariants(schedule, run)
      ),
      runParameters(200)
    );
  });

  it('keeps them with an idle timeout cutting quiet members off', () => {
    fc.assert(
      fc.property(scheduleArb, runArb, (schedule, run) => {
        const result = replay(schedule, {
          ...run,
          limits: { ...TEST_LIMITS, idleTimeoutMs: 1500 }
        });
        const problems = invariantProblems(result);
        if (problems.length > 0) throw new Error(problems.join('\n'));
      }),
      runParameters(100)
    );
  });

  it('gives the same transcripts and stats for the same schedule and seed', () => {
    fc.assert(
      fc.property(scheduleArb, runArb, (schedule, run) => {
        const options = { ...run, limits: TEST_LIMITS };
        const first = replay(schedule, options);
        const second = replay(schedule, options);
        expect(second.connections).toEqual(first.connections);
        expect(second.window).toEqual(first.window);
        expect(second.final).toEqual(first.final);
      }),
      runParameters(50)
    );
  });

  it('reassembles lines sent in 1-7 byte pieces: slicing changes nothing', () => {
    fc.assert(
      fc.property(scheduleArb, fc.nat(), (schedule, seed) => {
        const whole = replay(schedule, { seed, limits: TEST_LIMITS });
        const sliced = replay(schedule, {
          seed,
          slice: true,
          limits: TEST_LIMITS
        });
        expect(sliced.connections).toEqual(whole.connections);
      }),
      runParameters(50)
    );
  });

  it('catches a server that drops one line, shrunk to join, join, say', () => {
    const details = fc.check(
      fc.property(scheduleArb, runArb, (schedule, run) =>
        keepsInvariants(schedule, run, dropsOneLine('c2'))
      ),
      { numRuns: 200, seed: 4242 }
    );
    expect(details.failed).toBe(true);
    const [schedule] = details.counterexample ?? [[]];
    // Print what a real failure would show, to replay it by seed and path.
    const shown = `seed ${details.seed} path ${details.counterexamplePath ?? ''}: ${JSON.stringify(schedule)}`;
    expect(
      schedule.map((step) => step.kind),
      shown
    ).toEqual(['join', 'join', 'say']);
    expect(String(details.errorInstance)).toMatch(/I1: /);
  });
});
