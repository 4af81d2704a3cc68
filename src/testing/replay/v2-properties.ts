/**
 * Every protocol v2 invariant of a replay, from its transcripts: framing,
 * the room invariants I1-I4 per room (room-properties.ts), names and
 * private lines (name-properties.ts), and each connection's own lines
 * answered in the order it typed them (own-order.ts).
 */
import type { ReplayResult } from './harness.js';
import { nameProblems } from './name-properties.js';
import { ownOrderProblems } from './own-order.js';
import { roomProblems } from './room-properties.js';
import { segmentsOf } from './room-segments.js';

/**
 * The problems of a replay whose clients use commands, one readable line
 * each; empty when every invariant holds.
 *
 * @example
 * const r = replay(schedule, { limits });
 * expect(v2Problems(r)).toEqual([]);
 */
export function v2Problems(r: ReplayResult): string[] {
  const { lines, segments, problems } = segmentsOf(r);
  return [
    ...problems,
    ...roomProblems(r, segments),
    ...nameProblems(r, lines),
    ...[...lines].flatMap(([conn, parsed]) => ownOrderProblems(conn, parsed))
  ];
}
