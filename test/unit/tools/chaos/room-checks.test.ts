/**
 * The room checks of chat-chaos (issue 17) over hand-written transcripts:
 * a clean run of two observers passes, and each broken rule is reported
 * as its own invariant.
 */
import { describe, expect, it } from 'vitest';
import type { Peer } from '../../../../src/tools/peers/peer.js';
import { checkRooms } from '../../../../src/tools/chaos/room-checks.js';
import type {
  NickRace,
  RoomLog,
  RoomMember
} from '../../../../src/tools/chaos/room-log.js';

const A = '127.0.0.1:1001';
const B = '127.0.0.1:1002';

/** Alice is named before Bob arrives; Bob renames, speaks, whispers to her. */
function aliceLines(): string[] {
  return [
    'Connected to the chat server (3 users online)',
    'Now in #chaos-1 (1 user online)',
    `${A} is now known as alice`,
    `New user ${B} entered (2 users online)`,
    '[You] r0.1',
    `[${B}] r1.1`,
    `${B} is now known as bob`,
    '[bob] r1.2',
    '[bob -> you] p1.3',
    '[You] settle r0',
    '[bob] settle r1'
  ];
}

function bobLines(): string[] {
  return [
    'Connected to the chat server (4 users online)',
    'Now in #chaos-1 (2 users online)',
    '[alice] r0.1',
    '[You] r1.1',
    `${B} is now known as bob`,
    '[You] r1.2',
    '[you -> alice] p1.3',
    '[alice] settle r0',
    '[You] settle r1'
  ];
}

/** A stand-in for a connected peer: the checks read its lines only. */
function member(
  index: number,
  addr: string,
  lines: string[],
  labelOut: string
): RoomMember {
  const peer = { lines, localAddr: addr, socket: { destroyed: false } };
  return {
    index,
    addr,
    peer: peer as unknown as Peer,
    anonymous: false,
    names: [labelOut.split(' ')[0] ?? ''],
    visits: [{ room: '#chaos-1', labelIn: addr, labelOut }]
  };
}

function log(
  alice = aliceLines(),
  bob = bobLines(),
  race: NickRace | null = {
    name: 'cx-race',
    racers: [
      { observer: 0, outcome: 'won', line: 'alice is now known as cx-race' },
      {
        observer: 1,
        outcome: 'taken',
        line: 'Error: nickname cx-race is taken'
      }
    ]
  }
): RoomLog {
  const said = (text: string, observer: number, speaker: string) => ({
    text,
    observer,
    room: '#chaos-1',
    speaker
  });
  return {
    members: [
      member(0, A, alice, `alice (${A})`),
      member(1, B, bob, `bob (${B})`)
    ],
    said: [
      said('r0.1', 0, 'alice'),
      said('r1.1', 1, B),
      said('r1.2', 1, 'bob'),
      said('settle r0', 0, 'alice'),
      said('settle r1', 1, 'bob')
    ],
    privates: [
      {
        text: 'p1.3',
        from: 1,
        fromSpeaker: 'bob',
        target: 'alice',
        owner: 0,
        outcome: 'delivered'
      }
    ],
    race,
    violations: [],
    renames: 2
  };
}

const lobby = (lines: string[]) => [
  { addr: '127.0.0.1:900', lines, stayed: true }
];
const v1Lines = [
  'Connected to the chat server (1 user online)',
  `New user ${A} entered (2 users online)`,
  `The user ${A} left (1 user online)`,
  '[You] o0.1'
];

function invariants(l: RoomLog, lobbyLines = v1Lines): string[] {
  return checkRooms(l, lobby(lobbyLines)).map((v) => v.invariant);
}

describe('checkRooms', () => {
  it('finds nothing wrong in a clean run', () => {
    expect(checkRooms(log(), lobby(v1Lines))).toEqual([]);
  });

  it('finds nothing wrong behind a balancer, and still what is wrong', () => {
    // The server shows other addresses than our sockets' local ones.
    const shown = (lines: string[]) =>
      lines.map((l) =>
        l.replaceAll(A, '127.0.0.1:7001').replaceAll(B, '127.0.0.1:7002')
      );
    const balanced = log(shown(aliceLines()), shown(bobLines()));
    expect(checkRooms(balanced, lobby(v1Lines))).toEqual([]);
    const alice = shown(aliceLines()).map((l) =>
      l === '[bob] r1.2' ? '[127.0.0.1:7002] r1.2' : l
    );
    expect(invariants(log(alice, shown(bobLines())))).toContain('names');
  });

  it('reports two members of a room that saw its lines in two orders', () => {
    const bob = bobLines();
    [bob[2], bob[3]] = [bob[3] as string, bob[2] as string];
    expect(invariants(log(aliceLines(), bob))).toContain('rooms');
  });

  it('reports a line one member of the room missed', () => {
    const bob = bobLines().filter((l) => l !== '[alice] r0.1');
    expect(invariants(log(aliceLines(), bob))).toContain('rooms');
  });

  it('reports a count that disagrees with the room', () => {
    const alice = aliceLines();
    alice[3] = `New user ${B} entered (3 users online)`;
    expect(invariants(log(alice))).toContain('rooms');
  });

  it('reports a line of #lobby or of another room reaching a room', () => {
    const alice = aliceLines();
    alice.splice(5, 0, '[127.0.0.1:900] o0.1');
    expect(invariants(log(alice))).toContain('leak');
    const moved = log();
    const said = moved.said.map((s) =>
      s.text === 'r1.2' ? { ...s, room: '#chaos-2' } : s
    );
    expect(invariants({ ...moved, said })).toContain('leak');
  });

  it('reports a private line that reached someone but its target', () => {
    const bob = [...bobLines(), '[bob -> you] p1.3'];
    expect(invariants(log(aliceLines(), bob))).toContain('private');
  });

  it('reports a private line its target never got, or got relayed to the room', () => {
    const alice = aliceLines().filter((l) => !l.includes('p1.3'));
    expect(invariants(log(alice))).toContain('private');
    const relayed = aliceLines().map((l) =>
      l.includes('p1.3') ? '[bob] p1.3' : l
    );
    expect(invariants(log(relayed))).toContain('private');
  });

  it('reports a name two racers both got', () => {
    const race: NickRace = {
      name: 'cx-race',
      racers: [
        { observer: 0, outcome: 'won', line: 'alice is now known as cx-race' },
        { observer: 1, outcome: 'won', line: 'bob is now known as cx-race' }
      ]
    };
    const found = checkRooms(log(aliceLines(), bobLines(), race), []);
    expect(found.map((v) => v.invariant)).toEqual(['names']);
    expect(found[0]?.message).toContain('2 got it');
  });

  it('reports a line shown under a name its sender did not have', () => {
    const alice = aliceLines().map((l) =>
      l === '[bob] r1.2' ? `[${B}] r1.2` : l
    );
    expect(invariants(log(alice))).toContain('names');
  });

  it('reports a command line or a room line reaching a v1 observer', () => {
    expect(
      invariants(log(), [...v1Lines, 'alice is now known as bob'])
    ).toEqual(['v1']);
    expect(invariants(log(), [...v1Lines, `[${B}] r1.1`])).toEqual(['leak']);
    expect(
      invariants(log(), [
        ...v1Lines,
        `New user alice (${A}) entered (2 users online)`
      ])
    ).toEqual(['v1']);
  });

  it('reports a marker that never reached a member of its room', () => {
    const bob = bobLines().filter((l) => l !== '[alice] settle r0');
    expect(invariants(log(aliceLines(), bob))).toContain('rooms');
  });
});
