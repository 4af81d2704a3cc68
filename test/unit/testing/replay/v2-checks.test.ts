/**
 * The v2 checks can fail: one real replay of renames, a name race, moves,
 * a private line, an act and a quit passes them all, and each deliberately
 * corrupted copy of its transcripts breaks exactly the invariant it aims at
 * (I1-I4 per room, names, private lines). The properties themselves are in
 * v2-properties.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  replay,
  type ReplayResult
} from '../../../../src/testing/replay/harness.js';
import type { ReplayStep } from '../../../../src/testing/replay/steps.js';
import { v2Problems } from '../../../../src/testing/replay/v2-properties.js';

const A = '127.0.0.1:50001';
const B = '127.0.0.1:50002';

/** c0 and c1 race for ann in two cases; both meet in #a; c0 quits; c2 gets ann. */
const SCHEDULE: ReplayStep[] = [
  { kind: 'join', client: 0 },
  { kind: 'join', client: 1 },
  { kind: 'nick', client: 0, name: 'ann' },
  { kind: 'nick', client: 1, name: 'Ann' },
  { kind: 'move', client: 1, room: '#a' },
  { kind: 'join', client: 2 },
  { kind: 'move', client: 0, room: '#A' },
  { kind: 'say', client: 0 },
  { kind: 'msg', client: 1, to: 'ANN' },
  { kind: 'me', client: 1 },
  { kind: 'part', client: 1 },
  { kind: 'move', client: 2, room: '#a' },
  { kind: 'quit', client: 0, reason: 'bye' },
  { kind: 'nick', client: 2, name: 'ann' }
];

interface Row {
  line: string;
  tick: number;
}

/** `r` with connection `index`'s transcript rewritten by `change`. */
function edit(
  r: ReplayResult,
  index: number,
  change: (rows: Row[]) => Row[]
): ReplayResult {
  const connections = r.connections.map((c, i) => {
    if (i !== index) return c;
    const rows = change(
      c.lines.map((line, j) => ({ line, tick: c.ticks[j] ?? -1 }))
    );
    return {
      ...c,
      lines: rows.map((row) => row.line),
      ticks: rows.map((row) => row.tick)
    };
  });
  return { ...r, connections };
}

/** The row of `rows` that reads `line`. */
function row(rows: Row[], line: string): Row {
  const found = rows.find((each) => each.line === line);
  if (found === undefined) throw new Error(`no line "${line}"`);
  return found;
}

describe('v2 checks', () => {
  const r = replay(SCHEDULE);

  it('pass a real replay of names, rooms, a private line, an act and a quit', () => {
    expect(r.connections.map((c) => c.addr).slice(0, 2)).toEqual([A, B]);
    expect(r.connections[1]?.lines).toContain('Error: nickname Ann is taken');
    expect(r.connections[0]?.lines).toContain(`[${B} -> you] c1.2`);
    expect(r.connections[2]?.lines.at(-1)).toBe(
      `${'127.0.0.1:50003'} is now known as ann`
    );
    expect(v2Problems(r)).toEqual([]);
  });

  it('fail on a count all members agree on but the membership does not (I2)', () => {
    const alone = replay([
      { kind: 'join', client: 0 },
      { kind: 'move', client: 0, room: '#b' }
    ]);
    expect(v2Problems(alone)).toEqual([]);
    const twice = edit(alone, 0, (rows) =>
      rows.map((each) => ({
        ...each,
        line: each.line.replace('#b (1 user online)', '#b (2 users online)')
      }))
    );
    expect(v2Problems(twice)).toEqual([
      `I2: #b: ${A} line 2 "Now in #b (2 users online)" counts 2, but 1 members received it and 0 more may have been there`
    ]);
  });

  it.each<[string, number, (rows: Row[]) => Row[], RegExp]>([
    [
      'two members in two orders (I1)',
      1,
      (rows) => {
        const i = rows.indexOf(row(rows, '[ann] c0.1'));
        return [
          ...rows.slice(0, i - 1),
          rows[i],
          rows[i - 1],
          ...rows.slice(i + 1)
        ] as Row[];
      },
      /^I1: #a: two members disagree on the order/
    ],
    [
      'a line a member missed (I1)',
      1,
      (rows) => rows.filter((each) => each.line !== '[ann] c0.1'),
      /^I1: #a: 127\.0\.0\.1:50002 missed message c0\.1/
    ],
    [
      'a line received twice (I1)',
      1,
      (rows) =>
        rows.flatMap((each) =>
          each.line === '[ann] c0.1' ? [each, each] : [each]
        ),
      /^I1: #a: 127\.0\.0\.1:50002 received one event twice/
    ],
    [
      'a count off by one (I2)',
      1,
      (rows) =>
        rows.map((each) =>
          each.line.startsWith('New user ann')
            ? { ...each, line: each.line.replace('(2 users', '(3 users') }
            : each
        ),
      /^I2: #a: .* should count 2/
    ],
    [
      "a member's line after its leave (I3)",
      0,
      (rows) => {
        const i = rows.indexOf(row(rows, `The user ${B} left (1 user online)`));
        return rows.toSpliced(i + 1, 0, { line: `* ${B} c1.3`, tick: 4 });
      },
      /^I3: #lobby: .*c1\.3.* comes after its sender's leave/
    ],
    [
      'a line in another room (I4)',
      2,
      (rows) => rows.toSpliced(2, 0, { line: '[ann] c0.1', tick: 7 }),
      /^I4: "c0\.1" reached #a .* and #lobby/
    ],
    [
      'one name held twice (names)',
      1,
      (rows) =>
        rows.map((each) =>
          each.line === 'Error: nickname Ann is taken'
            ? { ...each, line: `${B} is now known as Ann` }
            : each
        ),
      /^names: 127\.0\.0\.1:50002 took Ann at tick 3 while 127\.0\.0\.1:50001 held ann/
    ],
    [
      'a free name refused (names)',
      2,
      (rows) =>
        rows.map((each) =>
          each.line.endsWith('is now known as ann')
            ? { ...each, line: 'Error: nickname ann is taken' }
            : each
        ),
      /^names: ann was free, yet 127\.0\.0\.1:50003/
    ],
    [
      'a private line delivered twice (private)',
      0,
      (rows) =>
        rows.flatMap((each) =>
          each.line.includes('-> you]') ? [each, each] : [each]
        ),
      /reached its target 2 times/
    ],
    [
      'a private line to the wrong member (private)',
      2,
      (rows) => rows.toSpliced(2, 0, { line: `[${B} -> you] c1.2`, tick: 8 }),
      /^private: 127\.0\.0\.1:50003 .* reached a connection not holding ann/
    ],
    [
      'two of its own lines answered out of order (order)',
      1,
      (rows) => {
        const i = rows.indexOf(row(rows, '[you -> ann] c1.2'));
        return rows.toSpliced(i, 2, rows[i + 1] as Row, rows[i] as Row);
      },
      /^order: 127\.0\.0\.1:50002 line \d+ "\* 127\.0\.0\.1:50002 c1\.3" does not answer the next line it typed, "\/msg ANN c1\.2"/
    ],
    [
      'a private line relayed to a room (private)',
      0,
      (rows) => rows.toSpliced(8, 0, { line: `[${B}] c1.2`, tick: 8 }),
      /private: a private text as a room line/
    ]
  ])('fail on %s', (_name, index, change, expected) => {
    const problems = v2Problems(edit(r, index, change));
    expect(
      problems.some((p) => expected.test(p)),
      problems.join('\n')
    ).toBe(true);
  });
});
