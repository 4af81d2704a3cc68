/**
 * A cluster daemon's Redis-outage lines (src/tools/chaos/outage.ts): known server
 * lines, and a line the server said it did not relay is not lost.
 */
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../../../src/tools/chaos/checks.js';
import {
  AVAILABLE_AGAIN,
  MAY_NOT_HAVE_REACHED,
  NOT_SENT,
  UNAVAILABLE,
  owedTexts
} from '../../../../src/tools/chaos/outage.js';

const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';

function run(aLines: string[], bLines: string[], aSent: string[]) {
  return checkRun({
    observers: [
      { addr: A, lines: aLines, stayed: true },
      { addr: B, lines: bLines, stayed: true }
    ],
    observerBytes: [],
    sent: new Map([
      [A, aSent],
      [B, []]
    ]),
    faulty: []
  });
}

describe('outage lines', () => {
  const a = [
    'Connected to the chat server (1 user online)',
    `New user ${B} entered (2 users online)`,
    '[You] o0.1',
    UNAVAILABLE,
    NOT_SENT,
    AVAILABLE_AGAIN,
    '[You] o0.3'
  ];
  const b = [
    'Connected to the chat server (2 users online)',
    `[${A}] o0.1`,
    UNAVAILABLE,
    AVAILABLE_AGAIN,
    `[${A}] o0.3`
  ];

  it('are known lines, and the line not sent is not lost', () => {
    expect(run(a, b, ['o0.1', 'o0.2', 'o0.3'])).toEqual([]);
  });

  it('excuse no more lines than the server owned up to', () => {
    const found = run(a, b, ['o0.1', 'o0.2', 'o0.25', 'o0.3']);
    expect(found.map((v) => v.message)).toEqual([
      `${A} sent "o0.25", which never reached ${A}`
    ]);
  });

  it('are shown as the server sent them in evidence', () => {
    const merged = [...b.slice(0, 4), `[${A}] o0.3[You] x`];
    const [v, ...rest] = run(a, merged, ['o0.1', 'o0.2', 'o0.3']).filter(
      (x) => x.invariant === 'framing'
    );
    expect(rest).toEqual([]);
    expect(v?.evidence).toEqual([`${B} line 5: "[${A}] o0.3[You] x"`]);
    const join = 'New user 127.0.0.1:5003 entered (9 users online)';
    const wrong = run(
      [...a.slice(0, 6), join, ...a.slice(6)],
      [...b.slice(0, 4), join, ...b.slice(4)],
      ['o0.1', 'o0.2', 'o0.3']
    ).filter((x) => x.invariant === 'I2');
    expect(wrong.map((x) => x.evidence)).toEqual([
      [
        `${A} line 2: "New user ${B} entered (2 users online)"`,
        `${A} line 6: "${AVAILABLE_AGAIN}"`,
        `${A} line 7: "${join}"`,
        `${A} line 8: "[You] o0.3"`
      ],
      [
        `${B} line 1: "Connected to the chat server (2 users online)"`,
        `${B} line 4: "${AVAILABLE_AGAIN}"`,
        `${B} line 5: "${join}"`,
        `${B} line 6: "[${A}] o0.3"`
      ]
    ]);
  });

  it('count the lines that may not have reached everyone', () => {
    expect(
      owedTexts(['[You] a', MAY_NOT_HAVE_REACHED, '[You] c'], ['a', 'b', 'c'])
    ).toEqual(['a', 'c']);
    expect(owedTexts(['[You] a'], ['a', 'b'])).toEqual(['a', 'b']);
  });
});
