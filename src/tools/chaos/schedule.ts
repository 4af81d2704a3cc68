/**
 * The fault schedule of a chaos run: which faulty client does what, when and
 * with which settings. Pure and deterministic: the same options and seed give
 * the same schedule, so a failing run is replayed from its seed alone.
 */
import { createRng, type Rng } from '../peers/rng.js';
import {
  FAULT_KINDS,
  type ChaosOptions,
  type FaultAction,
  type FaultKind
} from './types.js';

/** Faults start in the first part of the run, so each has time to act. */
const START_WINDOW = 0.75;
/** The shortest and longest time a faulty client stays, in ms. */
const MIN_HOLD_MS = 100;
const MAX_HOLD_MS = 5000;
/** Connections one churn storm opens, at most. */
export const MAX_CHURN_CONNECTIONS = 40;
/** The largest oversized line, in bytes (the protocol's limit is 4096). */
export const MAX_OVERSIZE_BYTES = 64 * 1024;
/** Lines one flood sends, at most: well above a 10 lines/s pacing. */
export const MAX_FLOOD_LINES = 120;

type Params = FaultAction['params'];

/** Where an action sits in the run, for its settings' bounds. */
interface Slot {
  /** Time left in the run after the action starts, in ms. */
  readonly remainingMs: number;
  /** Connections a churn storm may open. */
  readonly churnRoom: number;
}

/** A hold time that ends before the run does. */
function hold(rng: Rng, slot: Slot): number {
  const hi = Math.max(1, Math.min(MAX_HOLD_MS, slot.remainingMs));
  return rng.int(Math.min(MIN_HOLD_MS, hi), hi);
}

function seed(rng: Rng): number {
  return rng.int(0, 0x7fff_ffff);
}

/** Each kind's settings, drawn from the run's generator. */
const PARAMS: Readonly<Record<FaultKind, (rng: Rng, slot: Slot) => Params>> = {
  reset: (rng) => ({
    mode: rng.pick(['mid-line', 'mid-read']),
    lines: rng.int(1, 3),
    seed: seed(rng)
  }),
  'half-close': (rng, slot) => ({
    lines: rng.int(1, 3),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  stall: (rng, slot) => ({
    lines: rng.int(0, 2),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  slow: (rng, slot) => ({
    lines: rng.int(1, 3),
    readEveryMs: rng.int(100, 1000),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  slicer: (rng, slot) => ({
    lines: rng.int(1, 4),
    maxDelayMs: rng.int(1, 20),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  flood: (rng, slot) => ({
    lines: rng.int(40, MAX_FLOOD_LINES),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  oversize: (rng, slot) => ({
    bytes: rng.int(5000, MAX_OVERSIZE_BYTES),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  garbage: (rng, slot) => ({
    lines: rng.int(1, 4),
    bytes: rng.int(16, 256),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  churn: (rng, slot) => ({
    connections: rng.int(
      Math.min(5, slot.churnRoom),
      Math.min(MAX_CHURN_CONNECTIONS, slot.churnRoom)
    ),
    seed: seed(rng)
  }),
  latency: (rng, slot) => ({
    delayMs: rng.int(5, 150),
    jitterMs: rng.int(0, 30),
    lines: rng.int(1, 4),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  }),
  blackhole: (rng, slot) => ({
    afterMs: rng.int(50, 800),
    direction: rng.pick(['to-server', 'to-client', 'both']),
    lines: rng.int(2, 5),
    holdMs: hold(rng, slot),
    seed: seed(rng)
  })
};

/** The kinds asked for, once each, in catalogue order. */
function kindsOf(options: ChaosOptions): FaultKind[] {
  return FAULT_KINDS.filter((kind) => options.scenarios.includes(kind));
}

/** A Fisher-Yates shuffle driven by `rng`. */
function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Plans `options.clients` faults, one faulty client each, sorted by start
 * time. Every kind asked for comes up at least once when there are enough
 * clients; every fault starts in the first three quarters of the run and
 * holds no longer than the run lasts.
 *
 * @example
 * const a = planSchedule({ ...options, seed: 7 });
 * const b = planSchedule({ ...options, seed: 7 }); // deep-equal to a
 */
export function planSchedule(options: ChaosOptions): FaultAction[] {
  const kinds = kindsOf(options);
  const count = Math.max(0, Math.floor(options.clients));
  if (kinds.length === 0 || count === 0) return [];
  const rng = createRng(options.seed);
  const order = shuffle(kinds, rng);
  const windowMs = Math.max(1, Math.floor(options.durationMs * START_WINDOW));
  // A storm shares the connection bound with the observers, the liveness
  // client and the other faulty clients (two each through a proxy).
  const churnRoom = Math.max(
    1,
    Math.floor((options.maxConnections - options.observers - 1) / 4)
  );
  const drafts = Array.from({ length: count }, (_, i) => {
    const kind = order[i] ?? rng.pick(kinds);
    const atMs = rng.int(0, windowMs - 1);
    const slot = { remainingMs: options.durationMs - atMs, churnRoom };
    return { atMs, kind, params: PARAMS[kind](rng, slot), draw: i };
  });
  drafts.sort((a, b) => a.atMs - b.atMs || a.draw - b.draw);
  return drafts.map(({ atMs, kind, params }, client) => ({
    atMs,
    kind,
    client,
    params
  }));
}
