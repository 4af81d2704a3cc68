/**
 * Property tests of protocol v2 over the deterministic replay (issue 17):
 * random schedules of joins, renames (racing for one name in two cases),
 * moves, parts, private lines, acts, faults and leaves keep I1-I4 per room,
 * name uniqueness and the private-line rules; a port that leaks one line
 * into another room is caught, and shrunk to the four steps that show it.
 *
 * To rerun a failure, take the `seed` and `path` fast-check printed:
 * `REPLAY_SEED=… REPLAY_PATH=… npx vitest run test/unit/testing/replay`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardPort } from '../../../../src/testing/forward-port.js';
import type { ConnectionPort } from '../../../../src/machines/types.js';
import { replay } from '../../../../src/testing/replay/harness.js';
import {
  IDLE_LIMITS,
  TEST_LIMITS,
  assertInvariants,
  plantedBugFailure,
  runArb,
  runParameters,
  v2InvariantProblems,
  v2ScheduleArb,
  type PlantedBug
} from './schedules.js';

/** The room a line written to a member puts it in, if it is an entry. */
function entered(line: string): string | null {
  if (line.startsWith('Connected to the chat server')) return '#lobby';
  return /^Now in (#\S+) /.exec(line)?.[1]?.toLowerCase() ?? null;
}

/**
 * A planted room bug, one per replay: the first chat line written to a
 * member is also written to a member of another room. Each port notes
 * its member's room from what it is written, as a buggy fan-out would.
 */
function leaksAcrossRooms(): PlantedBug {
  const members = new Map<string, { port: ConnectionPort; room: string }>();
  let leaked = false;
  return (port, connId) => {
    const me = { port, room: '' };
    members.set(connId, me);
    return forwardPort(port, {
      write: (data, lines) => {
        port.write(data, lines);
        for (const line of data.toString().split('\n')) {
          me.room = entered(line) ?? me.room;
          if (leaked || !line.startsWith('[')) continue;
          const other = [...members.values()].find(
            (m) => m.room !== '' && m.room !== me.room
          );
          if (other === undefined) continue;
          leaked = true;
          other.port.write(`${line}\n`);
        }
      }
    });
  };
}

/**
 * A planted name bug: a port that turns a refused `/nick` into a granted
 * one for its member (`Error: nickname X is taken` reads as the member's
 * own rename), as a registry that let two members hold one name would.
 */
const grantsTakenNames: PlantedBug = (port) =>
  forwardPort(port, {
    write: (data, lines) =>
      port.write(
        data
          .toString()
          .replace(
            /^Error: nickname (\S+) is taken$/m,
            `${port.remote} is now known as $1`
          ),
        lines
      )
  });

describe('replay properties of rooms and names', () => {
  it('keeps I1-I4 per room, unique names and private lines over random v2 schedules', () => {
    assertInvariants(v2ScheduleArb, v2InvariantProblems, 150);
  });

  it('keeps them with an idle timeout cutting quiet members off', () => {
    assertInvariants(v2ScheduleArb, v2InvariantProblems, 50, IDLE_LIMITS);
  });

  it('gives the same transcripts for the same v2 schedule and seed', () => {
    fc.assert(
      fc.property(v2ScheduleArb, runArb, (schedule, run) => {
        const options = { ...run, limits: TEST_LIMITS };
        expect(replay(schedule, options).connections).toEqual(
          replay(schedule, options).connections
        );
      }),
      runParameters(30)
    );
  });

  it('catches a line leaked into another room, shrunk to two joins, a move and a line', () => {
    const found = plantedBugFailure(
      v2ScheduleArb,
      v2InvariantProblems,
      leaksAcrossRooms
    );
    // Two members, one moved away, one line: in whichever order shrinking left them.
    expect(found.kinds.sort(), found.shown).toEqual([
      'join',
      'join',
      'move',
      'say'
    ]);
    expect(found.error).toMatch(/I4: /);
  });

  it('catches one name held twice, shrunk to two joins and two claims', () => {
    const found = plantedBugFailure(
      v2ScheduleArb,
      v2InvariantProblems,
      () => grantsTakenNames
    );
    expect(found.kinds.sort(), found.shown).toEqual([
      'join',
      'join',
      'nick',
      'nick'
    ]);
    expect(found.error).toMatch(/names: /);
  });
});
