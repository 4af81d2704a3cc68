/**
 * fast-check arbitraries for replay schedules and the invariants every
 * replay must keep (I1, I2, I4 of issue 3; per room, names and private
 * lines for protocol v2, issue 17), and the property and planted-bug runs
 * built on them, shared by the property tests.
 */
import fc from 'fast-check';
import type { Limits } from '../../../../src/app/limits.js';
import { checkTranscripts } from '../../../../src/tools/peers/transcript.js';
import {
  replay,
  type ReplayOptions,
  type ReplayResult
} from '../../../../src/testing/replay/harness.js';
import type { ReplayStep } from '../../../../src/testing/replay/steps.js';
import { v2Problems } from '../../../../src/testing/replay/v2-properties.js';

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
 * The names clients race for: two spellings of one (a case race), and the
 * rooms they move between: two spellings of one, another, and the lobby.
 */
const nameArb = fc.constantFrom('ann', 'Ann', 'bob');
const roomArb = fc.constantFrom('#a', '#A', '#b', '#lobby');

/**
 * One step of a protocol v2 client: the v1 steps (faults included) and
 * renames, moves, parts, private lines, acts and quits, chat still the
 * most common.
 */
export const v2StepArb: fc.Arbitrary<ReplayStep> = fc.oneof(
  { weight: 14, arbitrary: stepArb },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('nick'), client, name: nameArb })
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('move'), client, room: roomArb })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('part'), client }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('msg'), client, to: nameArb })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('me'), client }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant('quit'), client, reason: fc.constant('bye') },
      { requiredKeys: ['kind', 'client'] }
    )
  }
);

/** A protocol v2 schedule: up to 60 steps, a shutdown one time in four. */
export const v2ScheduleArb = scheduleOf(v2StepArb);

/**
 * A schedule of up to 60 steps (any length up to that, not fast-check's
 * default small sizes), ending in a shutdown one time in four.
 */
export const scheduleArb = scheduleOf(stepArb);

/** Schedules of up to 60 of `steps`, ending in a shutdown one time in four. */
function scheduleOf(
  steps: fc.Arbitrary<ReplayStep>
): fc.Arbitrary<ReplayStep[]> {
  return fc
    .tuple(
      fc.array(steps, { maxLength: 60, size: 'max' }),
      fc.boolean(),
      fc.boolean()
    )
    .map(([chosen, a, b]) =>
      a && b ? [...chosen, { kind: 'shutdown' as const }] : chosen
    );
}

/**
 * fc options: `numRuns` runs, or exactly the failure named by
 * `REPLAY_SEED` and `REPLAY_PATH` in the environment.
 */
export function runParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['REPLAY_SEED'];
  const path = process.env['REPLAY_PATH'];
  if (seed === undefined) return { numRuns };
  return {
    numRuns,
    seed: Number(seed),
    ...(path === undefined ? {} : { path, endOnFailure: true })
  };
}

/** Replay options fast-check chooses too: the seed and whether to slice lines. */
export interface ReplayRun {
  readonly seed: number;
  readonly slice: boolean;
}

/** fast-check's choice of a `ReplayRun`. */
export const runArb: fc.Arbitrary<ReplayRun> = fc.record({
  seed: fc.nat(),
  slice: fc.boolean()
});

/** `TEST_LIMITS` with an idle timeout cutting quiet members off. */
export const IDLE_LIMITS: Partial<Limits> = {
  ...TEST_LIMITS,
  idleTimeoutMs: 1500
};

/** A bug planted in the ports of one replay, as `ReplayOptions.wrapPort`. */
export type PlantedBug = NonNullable<ReplayOptions['wrapPort']>;

/**
 * Asserts the invariants `problemsOf` checks over `numRuns` replays of
 * schedules from `schedules` (or the one failure `runParameters` is told
 * to replay), on `limits`; a failure lists every broken one.
 */
export function assertInvariants(
  schedules: fc.Arbitrary<ReplayStep[]>,
  problemsOf: (r: ReplayResult) => string[],
  numRuns: number,
  limits: Partial<Limits> = TEST_LIMITS
): void {
  fc.assert(
    fc.property(schedules, runArb, (schedule, run) =>
      keepsInvariants(problemsOf, schedule, run, { limits })
    ),
    runParameters(numRuns)
  );
}

/**
 * The invariants `problemsOf` finds broken, as a property: replays
 * `schedule` with `run` on `TEST_LIMITS` (or `options`' own) and throws one
 * error that lists every broken one.
 */
function keepsInvariants(
  problemsOf: (r: ReplayResult) => string[],
  schedule: ReplayStep[],
  run: ReplayRun,
  options: Pick<ReplayOptions, 'limits' | 'wrapPort'> = {}
): void {
  const result = replay(schedule, { ...run, limits: TEST_LIMITS, ...options });
  const problems = problemsOf(result);
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/**
 * What the invariants `problemsOf` catch of a bug planted afresh in each
 * replay (`plant`), over 200 schedules from `schedules` with seed 4242: the
 * kinds of the steps of the schedule fast-check shrank the failure to, in
 * order; what it printed to replay it (`shown`, for failure messages); and
 * the error. Throws if no schedule broke an invariant.
 */
export function plantedBugFailure(
  schedules: fc.Arbitrary<ReplayStep[]>,
  problemsOf: (r: ReplayResult) => string[],
  plant: () => PlantedBug
): { kinds: string[]; shown: string; error: string } {
  const details = fc.check(
    fc.property(schedules, runArb, (schedule, run) =>
      keepsInvariants(problemsOf, schedule, run, { wrapPort: plant() })
    ),
    { numRuns: 200, seed: 4242 }
  );
  if (!details.failed)
    throw new Error('the planted bug broke no invariant in 200 replays');
  const [schedule] = details.counterexample ?? [[]];
  return {
    kinds: schedule.map((step) => step.kind),
    shown: `seed ${details.seed} path ${details.counterexamplePath ?? ''}: ${JSON.stringify(schedule)}`,
    error: String(details.errorInstance)
  };
}

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
  return [...problems, ...stateProblems(r)];
}

/**
 * Every invariant of a protocol v2 replay: framing, I1-I4 per room, names
 * and private lines from the transcripts (`v2Problems`), and the lobby's
 * count and the clean-up (I4 of issue 3) from the stats.
 */
export function v2InvariantProblems(r: ReplayResult): string[] {
  return [...v2Problems(r), ...stateProblems(r)];
}

/** The lobby's count (I2) and the clean-up once everyone left (I4). */
function stateProblems(r: ReplayResult): string[] {
  const problems: string[] = [];
  const { window, final } = r;
  const jumps = final.counts.filter(
    (n, i) => i > 0 && Math.abs(n - (final.counts[i - 1] ?? 0)) > 1
  );
  if (jumps.length > 0)
    problems.push(`I2: count jumped: ${final.counts.join(',')}`);
  if (window.counts.at(-1) !== window.members && window.rooms === 1)
    problems.push(
      `I2: count ${window.counts.at(-1)} but ${window.members} members at the window's end`
    );
  const expectFinal = {
    members: 0,
    lastCount: 0,
    connections: 0,
    // An emptied room is retired on a microtask, after the replay.
    actors: final.rooms,
    names: 0,
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
    names: final.names,
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
