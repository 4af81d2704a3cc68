/** The fault catalogue: each kind's behaviour. */
import type { FaultKind } from '../types.js';
import type { FaultBehaviour } from './behaviour.js';
import { flood, garbageLines, oversize, slicer } from './bytes.js';
import { churn } from './churn.js';
import { blackhole, latency } from './proxied.js';
import { halfClose, reset, slow, stall } from './stream.js';

export type { FaultBehaviour } from './behaviour.js';

/** The behaviour of every fault kind. */
export const BEHAVIOURS: Readonly<Record<FaultKind, FaultBehaviour>> = {
  reset,
  'half-close': halfClose,
  stall,
  slow,
  slicer,
  flood,
  oversize,
  garbage: garbageLines,
  churn,
  latency,
  blackhole
};
