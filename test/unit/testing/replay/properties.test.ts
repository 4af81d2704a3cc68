/**
 * Property tests over the deterministic replay (issue 4, item 3): random
 * interleavings of joins, messages, faults and leaves against the real
 * machines keep I1, I2 and I4; a server that loses one line is caught, and
 * shrunk to the three steps that show it.
 *
 * To rerun a failure, take the `seed` and `path` fast-check printed:
 * `REPLAY_SEED=… REPLAY_PATH=… npx vitest run test/unit/testing/replay`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectionPort } from '../../../../src/machines/types.js';
import { replay } from '../../../../src/testing/replay/harness.js';
import { replacePort } from '../../../support/wrap-port.js';
import {
  IDLE_LIMITS,
  TEST_LIMITS,
  invariantProblems,
  assertInvariants,
  plantedBugFailure,
  type PlantedBug,
  runArb,
  runParameters,
  scheduleArb
} from './schedules.js';

/**
 * `text` (whole lines) without its first chat line (`[ADDR] …` or
 * `[You] …`), or `null` when it has none.
 */
function withoutFirstChatLine(text: string): string | null {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => /^\[[^\]]*\] /.test(line));
  if (at === -1) return null;
  lines.splice(at, 1);
  return lines.join('\n');
}

/**
 * A port that loses the first chat line written to connection `victim`:
 * exactly one line, also when it comes in a batch with others (one write of
 * several lines), which then goes on without it.
 */
function dropsOneLine(victim: string): PlantedBug {
  return replacePort(victim, (port) => {
    let dropped = false;
    return {
      write: (data, lines = 1) => {
        const rest = dropped ? null : withoutFirstChatLine(data.toString());
        if (rest === null) {
          port.write(data, lines);
          return;
        }
        dropped = true;
        if (rest.length > 0) port.write(rest, lines - 1);
      }
    };
  });
}

describe('replay properties', () => {
  it('keeps I1, I2 and I4 over random joins, messages, faults and leaves', () => {
    assertInvariants(scheduleArb, invariantProblems, 200);
  });

  it('keeps them with an idle timeout cutting quiet members off', () => {
    assertInvariants(scheduleArb, invariantProblems, 100, IDLE_LIMITS);
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

  it('has a line-dropping port that loses exactly one line, out of a batch too', () => {
    const writes: [string, number][] = [];
    const port: ConnectionPort = {
      remote: '127.0.0.1:2',
      transport: 'memory',
      queuedBytes: 0,
      write: (data, lines = 1) => void writes.push([data.toString(), lines]),
      end: () => undefined,
      destroy: () => undefined,
      pauseInput: () => undefined,
      resumeInput: () => undefined,
      attach: () => () => undefined,
      relay: () => () => undefined
    };
    const relay = (): void => undefined;
    const relaySink = (sink: (text: string) => void) => {
      sink('passed on');
      return relay;
    };
    const wrapped = dropsOneLine('c2')({ ...port, relay: relaySink }, 'c2');
    expect(dropsOneLine('c2')(port, 'c1')).toBe(port);
    wrapped.write('Connected to the chat server (2 users online)\n');
    wrapped.write(Buffer.from('[1.1.1.1:1] a\n[You] b\n[1.1.1.1:1] c\n'), 3);
    wrapped.write(Buffer.from('[1.1.1.1:1] d\n'));
    expect(writes).toEqual([
      ['Connected to the chat server (2 users online)\n', 1],
      ['[You] b\n[1.1.1.1:1] c\n', 2],
      ['[1.1.1.1:1] d\n', 1]
    ]);
    const relayed: string[] = [];
    expect(wrapped.relay((text) => relayed.push(text))).toBe(relay);
    expect(relayed).toEqual(['passed on']);
  });

  it('catches a server that drops one line, shrunk to join, join, say', () => {
    const found = plantedBugFailure(scheduleArb, invariantProblems, () =>
      dropsOneLine('c2')
    );
    // Print what a real failure would show, to replay it by seed and path.
    expect(found.kinds, found.shown).toEqual(['join', 'join', 'say']);
    expect(found.error).toMatch(/I1: /);
  });
});
