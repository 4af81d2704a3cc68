/**
 * Room observers learn the ADDR the server shows for them (behind a
 * balancer, not their local one) from what the rooms showed, and their
 * records are read under it.
 */
import { describe, expect, it } from 'vitest';
import type { Peer } from '../../../../src/tools/peers/peer.js';
import {
  learnMemberAddresses,
  withServerAddresses
} from '../../../../src/tools/chaos/room-addresses.js';
import type {
  RoomLog,
  RoomMember
} from '../../../../src/tools/chaos/room-log.js';

/** Local addresses of our sockets. */
const LA = '127.0.0.1:1001';
const LB = '127.0.0.1:1002';
const LC = '127.0.0.1:1003';
/** What a balancer makes the server show for them. */
const SA = '127.0.0.1:7001';
const SB = '127.0.0.1:7002';
const SC = '127.0.0.1:7003';

function member(
  index: number,
  addr: string,
  lines: string[],
  names: string[]
): RoomMember {
  const peer = { lines, localAddr: addr, socket: { destroyed: false } };
  return {
    index,
    addr,
    names,
    peer: peer as unknown as Peer,
    anonymous: names.length === 0,
    visits: [
      {
        room: '#chaos-1',
        labelIn: addr,
        labelOut: names.length === 0 ? addr : `${names.at(-1)} (${addr})`
      }
    ]
  };
}

/** Alice names herself; Bob and Carol stay anonymous; Carol whispers. */
function log(shown: [string, string, string]): RoomLog {
  const [a, b, c] = shown;
  return {
    members: [
      member(
        0,
        LA,
        [`${a} is now known as alice`, `[${b}] r1.1`, `[${c} -> you] p2.1`],
        ['alice']
      ),
      member(1, LB, [`${a} is now known as alice`, `[${c}] r2.2`], []),
      member(2, LC, [`New user alice (${a}) entered (3 users online)`], [])
    ],
    said: [
      { text: 'r1.1', observer: 1, room: '#chaos-1', speaker: LB },
      { text: 'r2.2', observer: 2, room: '#chaos-1', speaker: LC }
    ],
    privates: [
      {
        text: 'p2.1',
        from: 2,
        fromSpeaker: LC,
        target: 'alice',
        owner: 0,
        outcome: 'delivered'
      }
    ],
    race: null,
    violations: [],
    renames: 1
  };
}

describe('learnMemberAddresses', () => {
  it('learns each observer from its rename, its notices, its lines and its private lines', () => {
    expect(learnMemberAddresses(log([SA, SB, SC]))).toEqual({
      addrs: [SA, SB, SC],
      direct: false
    });
  });

  it('keeps the local addresses when the server shows most of them', () => {
    // Carol is shown under another address once: not enough to turn blind.
    expect(learnMemberAddresses(log([LA, LB, SC]))).toEqual({
      addrs: [LA, LB, LC],
      direct: true
    });
  });

  it('lets the address shown most often win over one misattribution', () => {
    const l = log([SA, SB, SC]);
    const lines = l.members[1]?.peer.lines as string[];
    lines.push(`[${SC}] r2.3`, `[${SB}] r2.4`);
    const said = [
      ...l.said,
      { text: 'r2.3', observer: 2, room: '#chaos-1', speaker: LC },
      { text: 'r2.4', observer: 2, room: '#chaos-1', speaker: LC }
    ];
    expect(learnMemberAddresses({ ...l, said }).addrs[2]).toBe(SC);
  });

  it('keeps the local address of an observer nobody heard', () => {
    const l = log([SA, SB, SC]);
    const quiet = { ...l, members: l.members.slice(0, 2) };
    const lines = quiet.members[0]?.peer.lines as string[];
    lines.splice(2);
    expect(learnMemberAddresses(quiet).addrs).toEqual([SA, SB]);
  });
});

describe('withServerAddresses', () => {
  it('reads visits, lines and private lines under the learned addresses', () => {
    const read = withServerAddresses(log([SA, SB, SC]));
    expect(read.members.map((m) => m.addr)).toEqual([SA, SB, SC]);
    expect(read.members[0]?.visits[0]).toEqual({
      room: '#chaos-1',
      labelIn: SA,
      labelOut: `alice (${SA})`
    });
    expect(read.said.map((s) => s.speaker)).toEqual([SB, SC]);
    expect(read.privates[0]?.fromSpeaker).toBe(SC);
    // The members' peers (their transcripts) are untouched.
    expect(read.members[0]?.peer.localAddr).toBe(LA);
  });

  it('changes nothing when the server shows our own addresses', () => {
    const direct = log([LA, LB, LC]);
    expect(withServerAddresses(direct)).toBe(direct);
  });
});
