/**
 * The heart of issue 4: chat-chaos, run from the outside, reports each bug
 * class of the naive fixture server as its own kind of violation, with the
 * lines that show it; and it reports nothing against our own daemon.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosError } from '../../src/tools/chaos/errors.js';
import { runChaos } from '../../src/tools/chaos/run.js';
import {
  FAULT_KINDS,
  type ChaosInvariant,
  type ChaosOptions,
  type ChaosReport,
  type FaultKind
} from '../../src/tools/chaos/types.js';
import {
  BUG_NAMES,
  startNaiveServer,
  type BugName
} from '../fixtures/naive-server.js';
import { expectCleanRoomRun } from '../support/chaos-rooms.js';
import { createHarness } from '../support/harness.js';

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

/** Short, bounded runs: a few seconds of faults each. */
function options(
  port: number,
  scenarios: readonly FaultKind[],
  overrides: Partial<ChaosOptions> = {}
): ChaosOptions {
  return {
    host: '127.0.0.1',
    port,
    scenarios,
    durationMs: 3000,
    clients: 8,
    observers: 3,
    rate: 5,
    seed: 4242,
    maxConnections: 120,
    maxBytes: 8 * 1024 * 1024,
    ...overrides
  };
}

/** What a report found, compactly, for failure messages. */
function summary(report: ChaosReport): string {
  return JSON.stringify(
    {
      seed: report.seed,
      injected: report.injected,
      messages: report.messages,
      violations: report.violations.map((v) => ({
        invariant: v.invariant,
        message: v.message,
        evidence: v.evidence.slice(0, 3)
      }))
    },
    null,
    1
  );
}

/**
 * A run against the naive server with only `bug` on (none for null), the
 * server closed once it ends.
 */
async function runAgainstNaive(
  bug: BugName | null,
  optionsFor: (port: number) => ChaosOptions
): Promise<ChaosReport> {
  const naive = await startNaiveServer({
    bugs: Object.fromEntries(BUG_NAMES.map((name) => [name, name === bug]))
  });
  try {
    return await runChaos(optionsFor(naive.port));
  } finally {
    await naive.close();
  }
}

interface BugCase {
  readonly bug: BugName;
  /** The faults that expose it. */
  readonly scenarios: readonly FaultKind[];
  /** The violation it must show up as. */
  readonly invariant: ChaosInvariant;
}

const CASES: readonly BugCase[] = [
  // Storms of joins lose count updates; a reset is counted out twice.
  { bug: 'racyCount', scenarios: ['churn', 'reset'], invariant: 'I2' },
  // Concurrent lines (a flood beside the observers) interleave.
  { bug: 'splitWrites', scenarios: ['flood'], invariant: 'framing' },
  // A sliced line is relayed piece by piece, unterminated.
  { bug: 'noFraming', scenarios: ['slicer', 'flood'], invariant: 'framing' },
  // A reset client, still listed, makes the next observer miss a line.
  { bug: 'removeWhileIterating', scenarios: ['reset'], invariant: 'I1' },
  // Escapes, NUL and bidi controls are relayed as sent.
  { bug: 'noSanitising', scenarios: ['garbage'], invariant: 'sanitised' }
];

// Concurrent: against a broken server a run may wait out the tool's own
// bounded settle (10 s) when markers arrive merged or leaves unreadable; the
// runs are light (3 observers, 8 faulty clients each), so they overlap well.
describe('chat-chaos against the naive server', () => {
  it.concurrent.for(CASES)(
    'reports $bug as $invariant, with evidence',
    { timeout: 40_000 },
    async ({ bug, scenarios, invariant }, { expect }) => {
      const report = await runAgainstNaive(bug, (port) =>
        options(port, scenarios)
      );

      for (const kind of scenarios) {
        expect(report.injected[kind], summary(report)).toBeGreaterThan(0);
      }
      const found = report.violations.filter((v) => v.invariant === invariant);
      expect(found.length, summary(report)).toBeGreaterThan(0);
      expect(report.ok).toBe(false);
      for (const violation of found) {
        expect(violation.message).not.toBe('');
        expect(violation.evidence.length, violation.message).toBeGreaterThan(0);
      }
    }
  );

  // The control: the same faults find nothing once every bug is off, so each
  // violation above is its bug's doing, not the tool's or the fixture's.
  it.concurrent(
    'reports nothing once every bug is off',
    { timeout: 40_000 },
    async ({ expect }) => {
      const scenarios = [...new Set(CASES.flatMap((c) => c.scenarios))];
      const report = await runAgainstNaive(null, (port) =>
        options(port, scenarios)
      );

      expect(report.violations, summary(report)).toEqual([]);
      expect(report.messages.delivered).toBeGreaterThan(0);
    }
  );
});

/** Issue 17: room bugs, caught by the room checks of `--rooms`. */
const ROOM_CASES: readonly Omit<BugCase, 'scenarios'>[] = [
  // A mover still hears the room it left: #lobby's lines reach #chaos-k.
  { bug: 'roomLeak', invariant: 'leak' },
  // Racers for one name all pass the check before any takes it.
  { bug: 'dupNames', invariant: 'names' }
];

/** A short room run: 3 rooms, 6 room observers, a few resets in #lobby. */
function roomOptions(port: number): ChaosOptions {
  return options(port, ['reset'], { clients: 4, rooms: 3, roomObservers: 6 });
}

describe('chat-chaos --rooms against the naive server', () => {
  it.concurrent.for(ROOM_CASES)(
    'reports $bug as $invariant, with evidence',
    { timeout: 40_000 },
    async ({ bug, invariant }, { expect }) => {
      const report = await runAgainstNaive(bug, roomOptions);

      const found = report.violations.filter((v) => v.invariant === invariant);
      expect(found.length, summary(report)).toBeGreaterThan(0);
      for (const violation of found)
        expect(violation.evidence.length, violation.message).toBeGreaterThan(0);
    }
  );

  it.concurrent(
    'reports nothing once every bug is off, rooms, names and whispers used',
    { timeout: 40_000 },
    async ({ expect }) => {
      const report = await runAgainstNaive(null, roomOptions);

      expectCleanRoomRun(report, 6, summary(report), expect);
    }
  );

  it('refuses a room run against a server that takes no commands', async () => {
    const naive = await startNaiveServer({
      bugs: Object.fromEntries(BUG_NAMES.map((name) => [name, false])),
      v1Only: true
    });
    try {
      const run = runChaos(roomOptions(naive.port));
      await expect(run).rejects.toBeInstanceOf(ChaosError);
      await expect(run).rejects.toThrow(
        /answered \/help with "\[You\] \/help"; run with --rooms 1/
      );
    } finally {
      await naive.close();
    }
  });
});

describe('chat-chaos against our daemon', () => {
  it('reports no violation with every fault kind injected', async () => {
    // The daemon's default pacing (the test daemon turns it off).
    const { port } = await daemon({ floodRate: 10 });

    const report = await runChaos(
      options(port, FAULT_KINDS, {
        durationMs: 5000,
        clients: 22
      })
    );

    expect(report.violations, summary(report)).toEqual([]);
    expect(report.ok).toBe(true);
    for (const kind of FAULT_KINDS) {
      expect(
        report.injected[kind],
        `${kind}: ${summary(report)}`
      ).toBeGreaterThan(0);
    }
    expect(report.messages.delivered).toBeGreaterThan(0);
  }, 40_000);

  it('reports no violation with rooms, names, whispers and a name race', async () => {
    const { port } = await daemon({ floodRate: 10 });

    const report = await runChaos(
      options(port, ['reset', 'churn', 'garbage'], {
        clients: 8,
        rooms: 3,
        roomObservers: 9
      })
    );

    expectCleanRoomRun(report, 9, summary(report));
  }, 40_000);
});
