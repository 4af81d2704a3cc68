import { describe, expect, it } from 'vitest';
import { checkTranscripts } from '../../../../src/tools/peers/transcript.js';
import { replay } from '../../../../src/testing/replay/harness.js';
import type { ReplayStep } from '../../../../src/testing/replay/steps.js';
import { TEST_LIMITS } from './schedules.js';

const A = '127.0.0.1:50001';
const B = '127.0.0.1:50002';
const C = '127.0.0.1:50003';

describe('replay', () => {
  it('runs the real machines: greeting, join notice, own and relayed lines, leave', () => {
    const r = replay([
      { kind: 'join', client: 0 },
      { kind: 'join', client: 1 },
      { kind: 'say', client: 0 },
      { kind: 'say', client: 1 },
      { kind: 'join', client: 2 },
      { kind: 'fin', client: 1 }
    ]);
    expect(r.connections.map((c) => c.lines)).toEqual([
      [
        'Connected to the chat server (1 user online)',
        `New user ${B} entered (2 users online)`,
        '[You] c0.1',
        `[${B}] c1.2`,
        `New user ${C} entered (3 users online)`,
        `The user ${B} left (2 users online)`
      ],
      [
        'Connected to the chat server (2 users online)',
        `[${A}] c0.1`,
        '[You] c1.2',
        `New user ${C} entered (3 users online)`
      ],
      [
        'Connected to the chat server (3 users online)',
        `The user ${B} left (2 users online)`
      ]
    ]);
    expect(r.connections.map((c) => c.stayed)).toEqual([true, false, true]);
    expect(r.sent).toEqual(
      new Map([
        [A, ['c0.1']],
        [C, []]
      ])
    );
    expect(checkTranscripts(r.transcripts, { sent: r.sent })).toEqual([]);
    expect(r.window).toMatchObject({ members: 2, connections: 2, actors: 3 });
    expect(r.final).toMatchObject({
      members: 0,
      connections: 0,
      feeds: 0,
      open: 0,
      pendingTimers: 0
    });
    expect(r.final.disconnects['client quit']).toBe(3);
  });

  it('types v2 commands, and stamps each line one room event sends with one tick', () => {
    const r = replay([
      { kind: 'join', client: 0 },
      { kind: 'join', client: 1 },
      { kind: 'nick', client: 0, name: 'ann' },
      { kind: 'move', client: 1, room: '#a' },
      { kind: 'msg', client: 1, to: 'ANN' },
      { kind: 'quit', client: 0, reason: 'bye' }
    ]);
    const [a, b] = r.connections;
    expect(a?.typed.map((t) => t.line)).toEqual(['/nick ann', '/quit bye']);
    expect(b?.typed).toEqual([
      { line: '/join #a', tick: 3 },
      { line: '/msg ANN c1.1', tick: 4, text: 'c1.1' }
    ]);
    expect(a?.lines).toEqual([
      'Connected to the chat server (1 user online)',
      `New user ${B} entered (2 users online)`,
      `${A} is now known as ann`,
      `The user ${B} left (1 user online)`,
      `[${B} -> you] c1.1`
    ]);
    expect(b?.lines).toEqual([
      'Connected to the chat server (2 users online)',
      `${A} is now known as ann`,
      'Now in #a (1 user online)',
      '[you -> ann] c1.1'
    ]);
    expect(a?.ticks).toEqual([0, 1, 2, 3, 4]);
    expect(b?.ticks).toEqual([1, 2, 3, 4]);
    expect(a?.closedAt).toBe(5);
    expect(b?.missedFrom).toBe(Infinity);
    expect(r.window).toMatchObject({ rooms: 2, names: 0 });
  });

  it('skips steps that make no sense in their state, and counts them', () => {
    const r = replay([
      { kind: 'say', client: 0 },
      { kind: 'join', client: 0 },
      { kind: 'join', client: 0 },
      { kind: 'resume', client: 0 },
      { kind: 'reset', client: 1 }
    ]);
    expect(r.skipped).toBe(4);
    expect(r.connections).toHaveLength(1);
  });

  it('disconnects a stalled member as a slow consumer, on virtual time', () => {
    const r = replay(
      [
        { kind: 'join', client: 0 },
        { kind: 'join', client: 1 },
        { kind: 'stall', client: 1, budget: 0 },
        { kind: 'say', client: 0 },
        { kind: 'advance', ms: 999 },
        { kind: 'say', client: 0 },
        { kind: 'advance', ms: 1 }
      ],
      { limits: TEST_LIMITS }
    );
    expect(r.connections[0]?.lines.at(-1)).toBe(
      `The user ${B} left (1 user online)`
    );
    expect(r.window.disconnects['slow consumer']).toBe(1);
    expect(r.window.now).toBe(1000);
  });

  it('ends the window at a shutdown: everyone online gets the notice last', () => {
    const schedule: ReplayStep[] = [
      { kind: 'join', client: 0 },
      { kind: 'join', client: 1 },
      { kind: 'shutdown' },
      { kind: 'join', client: 2 }
    ];
    const r = replay(schedule);
    expect(r.connections.map((c) => c.lines.at(-1))).toEqual([
      'Server shutting down',
      'Server shutting down'
    ]);
    expect(r.connections.every((c) => c.stayed)).toBe(true);
    expect(r.final.disconnects['server shutdown']).toBe(2);
    expect(checkTranscripts(r.transcripts, { sent: r.sent })).toEqual([]);
  });
});
