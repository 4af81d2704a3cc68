/**
 * Address learning (src/tools/chaos/addresses.ts): behind a proxy or a load
 * balancer the room shows other addresses than chat-chaos's sockets have,
 * and the checks must still name every observer and faulty client right.
 */
import { describe, expect, it } from 'vitest';
import {
  learnObserverNames,
  learnTags
} from '../../../../src/tools/chaos/addresses.js';
import { checkRun } from '../../../../src/tools/chaos/checks.js';
import {
  checkFaulty,
  faultyTranscripts,
  resolveAddresses
} from '../../../../src/tools/chaos/faulty-check.js';
import type { FaultyConnection } from '../../../../src/tools/chaos/faulty.js';
import { observe } from '../../../../src/tools/peers/observed.js';
import type { Peer } from '../../../../src/tools/peers/peer.js';
import type { Transcript } from '../../../../src/tools/peers/transcript.js';

/** Our sockets' own addresses. */
const LOCAL = ['127.0.0.1:41000', '127.0.0.1:41001', '127.0.0.1:41002'];
/** What the server shows for them: the balancer's outgoing addresses. */
const ROOM = ['127.0.0.1:52000', '127.0.0.1:52001', '127.0.0.1:52002'];
const [O0, O1, F] = ROOM as [string, string, string];

const O0_LINES = [
  'Connected to the chat server (1 user online)',
  `New user ${O1} entered (2 users online)`,
  '[You] o0.1',
  `[${O1}] o1.1`,
  `New user ${F} entered (3 users online)`,
  `[${F}] f0.1 hello`,
  `[${F}] f0.2 again`,
  `The user ${F} left (2 users online)`,
  '[You] settle o0',
  `[${O1}] settle o1`
];
const O1_LINES = [
  'Connected to the chat server (2 users online)',
  `[${O0}] o0.1`,
  '[You] o1.1',
  `New user ${F} entered (3 users online)`,
  `[${F}] f0.1 hello`,
  `[${F}] f0.2 again`,
  `The user ${F} left (2 users online)`,
  `[${O0}] settle o0`,
  '[You] settle o1'
];
const F_LINES = [
  'Connected to the chat server (3 users online)',
  '[You] f0.1 hello',
  '[You] f0.2 again'
];

function listener(localAddr: string, lines: string[]) {
  return { localAddr, lines };
}

/** A faulty connection as the runtime records it, with no socket. */
function faulty(
  tag: string,
  localAddr: string,
  lines: string[],
  sent: string[]
): FaultyConnection {
  const peer = { lines, localAddr } as unknown as Peer;
  return {
    peer,
    action: { atMs: 0, kind: 'flood', client: 0, params: {} },
    tag,
    proxied: false,
    sent,
    loose: [],
    owed: [],
    forbidden: [],
    line: () => Promise.resolve(null),
    looseLine: () => Promise.resolve(null),
    cutLine: () => Promise.resolve(null),
    owe: () => undefined,
    finish: () => undefined,
    greeting: () => Promise.resolve(true)
  };
}

function transcript(addr: string, lines: string[]): Transcript {
  return { addr, lines, stayed: true };
}

describe('learnObserverNames', () => {
  const observers = [
    listener(LOCAL[0] ?? '', O0_LINES),
    listener(LOCAL[1] ?? '', O1_LINES)
  ];

  it('names each observer as the others heard it, not by its socket', () => {
    expect(learnObserverNames(observers, observers)).toEqual({
      names: [O0, O1],
      direct: false,
      heard: true
    });
  });

  it('hears a lone observer through a faulty client', () => {
    const alone = [listener(LOCAL[0] ?? '', ['[You] o0.1'])];
    const other = listener(LOCAL[2] ?? '', [`[${O0}] o0.1`]);
    expect(learnObserverNames(alone, [...alone, other]).names).toEqual([O0]);
  });

  it('keeps the local addresses when the room shows them (direct)', () => {
    const direct = [
      listener(O0, O0_LINES),
      // One line shown under a wrong address is the server's bug to report,
      // not a proxy: the majority says direct.
      listener(
        O1,
        O1_LINES.map((l) => l.replace(`[${O0}] settle`, '[x]'))
      )
    ];
    const third = listener('127.0.0.1:1', [`[127.0.0.1:9] o2.1`]);
    expect(learnObserverNames([...direct, third], [...direct, third])).toEqual({
      names: [O0, O1, '127.0.0.1:1'],
      direct: true,
      heard: true
    });
  });

  it('learns nothing from a room that relayed nothing', () => {
    const quiet = [listener(LOCAL[0] ?? '', ['[You] o0.1'])];
    expect(learnObserverNames(quiet, quiet)).toEqual({
      names: [LOCAL[0]],
      direct: true,
      heard: false
    });
  });
});

describe('faulty clients behind a proxy', () => {
  it('are named by the sender of their tag, with their transcript', () => {
    const ref = transcript(O0, O0_LINES);
    expect(learnTags(ref).get('f0')).toEqual({ addr: F, k: 1 });
    const c = faulty('f0', LOCAL[2] ?? '', F_LINES, [
      'f0.1 hello',
      'f0.2 again'
    ]);
    const resolved = resolveAddresses([c], observe(ref), ref, false);
    expect(resolved.map((r) => [r.addr, r.local])).toEqual([[F, false]]);
    expect(faultyTranscripts(resolved).map((t) => t.addr)).toEqual([F]);
    expect(checkFaulty(resolved, observe(ref))).toEqual([]);
  });

  it('still report a lost echo and a split line', () => {
    const lines = O0_LINES.map((line) =>
      line === `[${F}] f0.2 again` ? `[${F}] f0.2 ag` : line
    );
    const ref = transcript(O0, [...lines.slice(0, 7), `[${F}] ain`]);
    const c = faulty('f0', LOCAL[2] ?? '', F_LINES, [
      'f0.1 hello',
      'f0.2 again'
    ]);
    const found = checkFaulty(
      resolveAddresses([c], observe(ref), ref, false),
      observe(ref)
    );
    expect(found.map((v) => v.invariant)).toEqual(['I1', 'framing']);
    expect(found[0]?.message).toContain('"f0.2 again"');
  });

  it('make no claim on lines of others that share a proxy address', () => {
    // The balancer gave two of our connections one address, one after the
    // other; neither owns the other's lines.
    const ref = transcript(O0, [
      ...O0_LINES.slice(0, 6),
      `[${F}] f1.1 other`,
      `The user ${F} left (2 users online)`
    ]);
    const c = faulty('f0', LOCAL[2] ?? '', F_LINES.slice(0, 2), ['f0.1 hello']);
    const d = faulty('f1', '127.0.0.1:41003', [], ['f1.1 other']);
    const resolved = resolveAddresses([c, d], observe(ref), ref, false);
    expect(checkFaulty(resolved, observe(ref))).toEqual([]);
  });

  it('are left unnamed when they sent nothing the room relayed', () => {
    const ref = transcript(O0, O0_LINES);
    const silent = faulty('f7c1', LOCAL[2] ?? '', F_LINES.slice(0, 1), []);
    const [r] = resolveAddresses([silent], observe(ref), ref, false);
    expect(r).toMatchObject({ addr: null, local: false, transcript: null });
  });
});

describe('checkRun behind a proxy', () => {
  const record = (names: readonly string[], direct: boolean) => {
    const [n0 = '', n1 = ''] = names;
    return checkRun({
      observers: [
        { addr: n0, lines: O0_LINES, stayed: true },
        { addr: n1, lines: O1_LINES, stayed: true }
      ],
      observerBytes: [],
      sent: new Map([
        [n0, ['o0.1', 'settle o0']],
        [n1, ['o1.1', 'settle o1']]
      ]),
      faulty: [
        faulty('f0', LOCAL[2] ?? '', F_LINES, ['f0.1 hello', 'f0.2 again'])
      ],
      direct
    });
  };

  it('finds nothing wrong once the names are learned', () => {
    const observers = [
      listener(LOCAL[0] ?? '', O0_LINES),
      listener(LOCAL[1] ?? '', O1_LINES)
    ];
    const { names, direct } = learnObserverNames(observers, observers);
    expect(record(names, direct)).toEqual([]);
  });

  it('reports false violations when named by local address (why it learns)', () => {
    expect(record(LOCAL, true).length).toBeGreaterThan(0);
  });
});
