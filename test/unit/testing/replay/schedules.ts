/**
 * fast-check arbitraries for replay schedules and the invariants every
 * replay must keep (I1, I2, I4 of issue 3), shared by the property tests.
 */
import fc from 'fast-check';
import type { Limits } from '../../../../src/app/limits.js';
import { checkTranscripts } from '../../../../src/tools/peers/transcript.js';
import type { ReplayResult } from '../../../../src/testing/replay/harness.js';
import type { ReplayStep } from '../../../../src/testing/replay/steps.js';

/** Small limits, so a few dozen steps reach every edge: holds, overflows, stalls. */
export const TEST_LIMITS: Partial<Limits> = {
  maxLineBytes: 64,
  sendQueueSoftBytes: 128,
  sendQueueBytes: 512,
  stallTimeoutMs: 1000
};

const CLIENTS = 3;
const client = fc.nat({ max: CLIENTS - 1 });

/** One step; joins and says dominate, so rooms fill and chat between faults. */
export const stepArb: fc.Arbitrary<ReplayStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('join'), client }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('say'), client }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('oversize'), client })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fin'), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close'), client }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reset'),
      client,
      midLine: fc.boolean()
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('stall'),
      client,
      budget: fc.constantFrom(0, 60, 400)
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume'), client }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance'),
      ms: fc.integer({ min: 0, max: 2500 })
    })
  }
);

/**
 * A schedule of up to 60 steps (any length up to that, not fast-check's
 * default small sizes), ending in a shutdown one time in four.
 */
export const scheduleArb: fc.Arbitrary<ReplayStep[]> = fc
  .tuple(
    fc.array(stepArb, { maxLength: 60, size: 'max' }),
    fc.boolean(),
    fc.boolean()
  )
  .map(([steps, a, b]) =>
    a && b ? [...steps, { kind: 'shutdown' as const }] : steps
  );

/** Replay options fast-check chooses too: the seed and whether to slice lines. */
export const runArb = fc.record({
  seed: fc.nat(),
  slice: fc.boolean()
});

/**
 * Every invariant a replay must keep, as one list of readable problems
 * (empty when all hold):
 * - I1 and framing: `checkTranscripts` with what each stayed client sent;
 * - I2: the room's count moves by at most one per event, agrees with its
 *   membership when the window ends, and is back to 0 once all have left;
 * - I4: once everyone left and time ran on, no connection actor, feed,
 *   open connection or armed timer is left, and every accepted connection
 *   was reported done exactly once.
 */
export function invariantProblems(r: ReplayResult): string[] {
  const problems = checkTranscripts(r.transcripts, { sent: r.sent }).map(
    (v) => `${v.invariant}: ${v.message}\n    ${v.evidence.join('\n    ')}`
  );
  const { window, final } = r;
  const jumps = final.counts.filter(
    (n, i) => i > 0 && Math.abs(n - (final.counts[i - 1] ?? 0)) > 1
  );
  if (jumps.length > 0)
    problems.push(`I2: count jumped: ${final.counts.join(',')}`);
  if (window.counts.at(-1) !== window.members)
    problems.push(
      `I2: count ${window.counts.at(-1)} but ${window.members} members at the window's end`
    );
  const expectFinal = {
    members: 0,
    lastCount: 0,
    connections: 0,
    actors: 1,
    feeds: 0,
    open: 0,
    pendingTimers: 0,
    done: final.accepted
  };
  const gotFinal = {
    members: final.members,
    lastCount: final.counts.at(-1),
    connections: final.connections,
    actors: final.actors,
    feeds: final.feeds,
    open: final.open,
    pendingTimers: final.pendingTimers,
    done: Object.values(final.disconnects).reduce((a, b) => a + b, 0)
  };
  for (const [key, want] of Object.entries(expectFinal)) {
    const got = gotFinal[key as keyof typeof gotFinal];
    if (got !== want)
      problems.push(`I4: ${key} is ${got} after everyone left, not ${want}`);
  }
  problems.push(...r.faults.map((f) => `daemon fault: ${f}`));
  return problems;
}
