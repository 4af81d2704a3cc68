import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  feedFor,
  toBroadcast,
  type Broadcast
} from '../../../src/actors/broadcast.js';
import type { RoomEmitted } from '../../../src/machines/room-events.js';

const A = '10.0.0.1:1';
const B = '10.0.0.2:2';
const C = '10.0.0.3:3';

function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8');
}

function joined(
  seq: number,
  connId: string,
  remote: string,
  count: number
): RoomEmitted {
  return { type: 'member.joined', seq, connId, remote, count };
}

function said(
  seq: number,
  connId: string,
  remote: string,
  line: string
): RoomEmitted {
  return { type: 'member.said', seq, connId, remote, text: line };
}

function left(
  seq: number,
  connId: string,
  remote: string,
  count: number,
  announced = true
): RoomEmitted {
  return {
    type: 'member.left',
    seq,
    connId,
    remote,
    count,
    reason: 'client quit',
    announced
  };
}

/** The lines `connId` would receive from this sequence of room events. */
async function linesFor(
  connId: string,
  events: RoomEmitted[]
): Promise<string[]> {
  const bytes = await lastValueFrom(
    from(events.map(toBroadcast)).pipe(feedFor(connId), toArray())
  );
  return bytes.map((b) => b.toString('utf8'));
}

describe('toBroadcast', () => {
  it('encodes a join as the greeting for the newcomer and a notice for the others [CHAT-JOIN-1] [CHAT-JOIN-2]', () => {
    const b = toBroadcast(joined(4, 'a', A, 2));
    expect(b).toMatchObject({ seq: 4, kind: 'join', connId: 'a' });
    expect(text(b.own)).toBe('Connected to the chat server (2 users online)\n');
    expect(text(b.others)).toBe(`New user ${A} entered (2 users online)\n`);
  });

  it('encodes a message as [You] for the sender and [ADDR] for the others [CHAT-MSG-1] [CHAT-MSG-2]', () => {
    const b = toBroadcast(said(5, 'a', A, 'hello'));
    expect(b).toMatchObject({ seq: 5, kind: 'message', connId: 'a' });
    expect(text(b.own)).toBe('[You] hello\n');
    expect(text(b.others)).toBe(`[${A}] hello\n`);
  });

  it('encodes an announced leave for the others only [CHAT-LEAVE-1]', () => {
    const b = toBroadcast(left(6, 'a', A, 1));
    expect(b).toMatchObject({ seq: 6, kind: 'leave', connId: 'a', own: null });
    expect(text(b.others)).toBe(`The user ${A} left (1 user online)\n`);
  });

  it('encodes a silent leave as nothing for anyone [CHAT-SHUT-2]', () => {
    const b = toBroadcast(left(7, 'a', A, 0, false));
    expect(b).toMatchObject({
      kind: 'leave',
      connId: 'a',
      own: null,
      others: null
    });
  });

  it('encodes closing as the shutdown notice for everyone [CHAT-SHUT-1]', () => {
    const b = toBroadcast({ type: 'room.closing', seq: 8, count: 3 });
    expect(b).toMatchObject({
      seq: 8,
      kind: 'closing',
      connId: null,
      own: null
    });
    expect(text(b.others)).toBe('Server shutting down\n');
  });

  it('ends every line with a single LF [CHAT-WIRE-2] [CHAT-WIRE-4]', () => {
    const all: Broadcast[] = [
      toBroadcast(joined(1, 'a', A, 1)),
      toBroadcast(said(2, 'a', A, 'x')),
      toBroadcast(left(3, 'a', A, 0)),
      toBroadcast({ type: 'room.closing', seq: 4, count: 0 })
    ];
    for (const line of all.flatMap((b) => [text(b.own), text(b.others)])) {
      if (line === null) continue;
      expect(line).toMatch(/^[^\r\n]*\n$/);
    }
  });
});

describe('feedFor', () => {
  const session: RoomEmitted[] = [
    joined(1, 'a', A, 1),
    said(2, 'a', A, 'before b'),
    joined(3, 'b', B, 2),
    said(4, 'a', A, 'hi b'),
    said(5, 'b', B, 'hi a'),
    joined(6, 'c', C, 3),
    left(7, 'b', B, 2),
    said(8, 'a', A, 'b is gone'),
    left(9, 'a', A, 1)
  ];

  it('skips what was ordered before its own join and starts with its greeting [CHAT-ORDER-2]', async () => {
    const lines = await linesFor('b', session);
    expect(lines[0]).toBe('Connected to the chat server (2 users online)\n');
    expect(lines.join('')).not.toContain('before b');
  });

  it("delivers [You] for its own lines and others' lines with their address, in order [CHAT-ORDER-1]", async () => {
    expect(await linesFor('b', session)).toEqual([
      'Connected to the chat server (2 users online)\n',
      `[${A}] hi b\n`,
      '[You] hi a\n',
      `New user ${C} entered (3 users online)\n`
    ]);
  });

  it('stops at its own leave and never delivers it', async () => {
    const lines = await linesFor('b', session);
    expect(lines.join('')).not.toContain(`The user ${B} left`);
    expect(lines.join('')).not.toContain('b is gone');
  });

  it('delivers the leave of others until its own [CHAT-LEAVE-1]', async () => {
    expect(await linesFor('a', session)).toEqual([
      'Connected to the chat server (1 user online)\n',
      '[You] before b\n',
      `New user ${B} entered (2 users online)\n`,
      '[You] hi b\n',
      `[${B}] hi a\n`,
      `New user ${C} entered (3 users online)\n`,
      `The user ${B} left (2 users online)\n`,
      '[You] b is gone\n'
    ]);
  });

  it('delivers nothing to a connection that never joined [CHAT-ORDER-4]', async () => {
    expect(await linesFor('zz', session)).toEqual([]);
  });

  it('ends with the shutdown notice and no silent leaves [CHAT-SHUT-2]', async () => {
    const closing: RoomEmitted[] = [
      joined(1, 'a', A, 1),
      joined(2, 'b', B, 2),
      { type: 'room.closing', seq: 3, count: 2 },
      left(4, 'b', B, 1, false),
      left(5, 'a', A, 0, false)
    ];
    expect(await linesFor('a', closing)).toEqual([
      'Connected to the chat server (1 user online)\n',
      `New user ${B} entered (2 users online)\n`,
      'Server shutting down\n'
    ]);
  });
});
