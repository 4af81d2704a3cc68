/**
 * What a clean chat-chaos room run (`--rooms 3`, issue 17) shows, for the
 * chaos tests against the naive server, our daemon and a cluster alike.
 */
import { expect as globalExpect, type ExpectStatic } from 'vitest';
import type { ChaosReport } from '../../src/tools/chaos/types.js';

/**
 * Asserts that a 3-room run with `observers` room observers found nothing
 * wrong, and that it did what it exists to check: one winner among four
 * name racers, more moves than observers (each one's first `/join` counts
 * too), more renames than the named two thirds' first names (every third
 * stays anonymous) and at least one private line.
 *
 * @param shown what to print when an assertion fails
 * @param expect the test's own `expect`, in a concurrent test
 */
export function expectCleanRoomRun(
  report: ChaosReport,
  observers: number,
  shown: string,
  expect: ExpectStatic = globalExpect
): void {
  expect(report.violations, shown).toEqual([]);
  expect(report.rooms, shown).toMatchObject({
    rooms: 3,
    observers,
    racers: 4,
    winners: 1
  });
  expect(report.rooms?.moves, shown).toBeGreaterThan(observers);
  expect(report.rooms?.renames, shown).toBeGreaterThan((observers * 2) / 3);
  expect(report.rooms?.privates, shown).toBeGreaterThan(0);
}
