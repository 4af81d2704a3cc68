import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  BatchBuilder,
  bytesFor,
  bytesOf,
  feedFor,
  linesIn,
  toBroadcast,
  type Broadcast,
  type MessageBatch
} from '../../../src/actors/broadcast.js';
import type { MembershipEmitted } from '../../../src/machines/room-events.js';

const A = '10.0.0.1:1';
const B = '10.0.0.2:2';
const C = '10.0.0.3:3';

/** Each author's `[ADDR] `, as the room actor encodes it once per member. */
const PREFIX: Record<string, Buffer> = {
  a: Buffer.from(`[${A}] `),
  b: Buffer.from(`[${B}] `),
  c: Buffer.from(`[${C}] `)
};

function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8');
}

function joined(connId: string, remote: string, count: number): MembershipEmitted {
  // The machine's own `seq` counts only membership; the room actor numbers
  // the one order, so the broadcast must take the `seq` it is given.
  return { type: 'member.joined', seq: -1, connId, remote, count };
}

function left(
  connId: string,
  remote: string,
  count: number,
  announced = true
): MembershipEmitted {
  return {
    type: 'member.left',
    seq: -1,
    connId,
    remote,
    count,
    reason: 'client quit',
    announced
  };
}

function closing(count: number): MembershipEmitted {
  return { type: 'room.closing', seq: -1, count };
}

/** One turn's messages, as `[author, text]`. */
type Said = readonly (readonly [string, string])[];

function batchOf(said: Said, seq = 1): MessageBatch {
  const builder = new BatchBuilder();
  for (const [connId, line] of said)
    builder.add(connId, PREFIX[connId] as Buffer, line);
  const batch = builder.take(seq);
  if (batch === null) throw new Error('an empty batch');
  return batch;
}

/** A room's order: membership events and turns of messages, numbered 1, 2, … */
type Step = MembershipEmitted | Said;

function order(steps: readonly Step[]): Broadcast[] {
  return steps.map((step, i) =>
    'type' in step ? toBroadcast(step, i + 1) : batchOf(step, i + 1)
  );
}

/** What `connId` would receive of this order, split into lines. */
async function linesFor(
  connId: string,
  steps: readonly Step[]
): Promise<string[]> {
  const items = await lastValueFrom(
    from(order(steps)).pipe(feedFor(connId), toArray())
  );
  return items.flatMap((item) => {
    const bytes = bytesOf(item, connId);
    if (bytes === null) return [];
    const lines = bytes.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    // What the counters are told matches what is written.
    expect(lines).toHaveLength(linesIn(item));
    return lines;
  });
}

describe('toBroadcast', () => {
  it('encodes a join as the greeting for the newcomer and a notice for the others [CHAT-JOIN-1] [CHAT-JOIN-2]', () => {
    const b = toBroadcast(joined('a', A, 2), 4);
    expect(b).toMatchObject({ seq: 4, kind: 'join', connId: 'a' });
    expect(text(b.own)).toBe('Connected to the chat server (2 users online)\n');
    expect(text(b.others)).toBe(`New user ${A} entered (2 users online)\n`);
  });

  it("numbers the event with the seq it is given, not the machine's own", () => {
    const emitted: MembershipEmitted = {
      type: 'member.joined',
      seq: 1,
      connId: 'a',
      remote: A,
      count: 1
    };
    expect(toBroadcast(emitted, 7).seq).toBe(7);
  });

  it('encodes an announced leave for the others only [CHAT-LEAVE-1]', () => {
    const b = toBroadcast(left('a', A, 1), 6);
    expect(b).toMatchObject({ seq: 6, kind: 'leave', connId: 'a', own: null });
    expect(text(b.others)).toBe(`The user ${A} left (1 user online)\n`);
  });

  it('encodes a silent leave as nothing for anyone [CHAT-SHUT-2]', () => {
    const b = toBroadcast(left('a', A, 0, false), 7);
    expect(b).toMatchObject({
      seq: 7,
      kind: 'leave',
      connId: 'a',
      own: null,
      others: null
    });
  });

  it('encodes closing as the shutdown notice for everyone [CHAT-SHUT-1]', () => {
    const b = toBroadcast(closing(3), 8);
    expect(b).toMatchObject({
      seq: 8,
      kind: 'closing',
      connId: null,
      own: null
    });
    expect(text(b.others)).toBe('Server shutting down\n');
  });

  it('ends every line with a single LF [CHAT-WIRE-2] [CHAT-WIRE-4]', () => {
    const all = [
      toBroadcast(joined('a', A, 1), 1),
      toBroadcast(left('a', A, 0), 2),
      toBroadcast(closing(0), 3)
    ];
    for (const line of all.flatMap((b) => [text(b.own), text(b.others)])) {
      if (line === null) continue;
      expect(line).toMatch(/^[^\r\n]*\n$/);
    }
  });
});

describe('BatchBuilder', () => {
  it('takes nothing when nothing was added', () => {
    const builder = new BatchBuilder();
    expect(builder.size).toBe(0);
    expect(builder.bytes).toBe(0);
    expect(builder.take(1)).toBeNull();
  });

  it('encodes a message as [ADDR] for the others and [You] for its author [CHAT-MSG-1] [CHAT-MSG-2]', () => {
    const batch = batchOf([['a', 'hello']], 5);
    expect(batch).toMatchObject({
      seq: 5,
      kind: 'messages',
      connId: null,
      lines: 1
    });
    expect(text(batch.others)).toBe(`[${A}] hello\n`);
    expect(text(bytesFor(batch, 'a'))).toBe('[You] hello\n');
    expect(text(bytesFor(batch, 'b'))).toBe(`[${A}] hello\n`);
  });

  it('collects the messages in order into one buffer, and counts them and their bytes', () => {
    const builder = new BatchBuilder();
    builder.add('a', PREFIX['a'] as Buffer, 'one');
    builder.add('b', PREFIX['b'] as Buffer, 'two');
    builder.add('a', PREFIX['a'] as Buffer, 'three');
    const expected = `[${A}] one\n[${B}] two\n[${A}] three\n`;
    expect(builder.size).toBe(3);
    expect(builder.bytes).toBe(Buffer.byteLength(expected));
    const batch = builder.take(9);
    expect(batch).toMatchObject({ seq: 9, kind: 'messages', lines: 3 });
    expect(text(batch?.others ?? null)).toBe(expected);
  });

  it('records where each of its lines is, per author', () => {
    const batch = batchOf([
      ['a', 'one'],
      ['b', 'two'],
      ['a', 'three']
    ]);
    const a = batch.authored.get('a') ?? [];
    const b = batch.authored.get('b') ?? [];
    expect([...batch.authored.keys()]).toEqual(['a', 'b']);
    expect(
      a.map(({ start, end }) => text(batch.others.subarray(start, end)))
    ).toEqual([`[${A}] one\n`, `[${A}] three\n`]);
    expect(a.map(({ own }) => text(own))).toEqual([
      '[You] one\n',
      '[You] three\n'
    ]);
    expect(b.map(({ start, end }) => [start, end])).toEqual([
      [a[0]?.end, (a[0]?.end ?? 0) + Buffer.byteLength(`[${B}] two\n`)]
    ]);
  });

  it('starts afresh after take: the next batch holds only what came since', () => {
    const builder = new BatchBuilder();
    builder.add('a', PREFIX['a'] as Buffer, 'first');
    const first = builder.take(1);
    expect(builder.size).toBe(0);
    expect(builder.bytes).toBe(0);
    expect(builder.take(2)).toBeNull();
    builder.add('b', PREFIX['b'] as Buffer, 'second');
    const second = builder.take(2);
    expect(text(second?.others ?? null)).toBe(`[${B}] second\n`);
    expect([...(second?.authored.keys() ?? [])]).toEqual(['b']);
    // The first batch is not touched by what came after it.
    expect(text(first?.others ?? null)).toBe(`[${A}] first\n`);
    expect([...(first?.authored.keys() ?? [])]).toEqual(['a']);
  });
});

describe('bytesFor', () => {
  it('gives everyone who wrote none of the batch the one shared buffer', () => {
    const batch = batchOf([
      ['a', 'x'],
      ['b', 'y']
    ]);
    expect(bytesFor(batch, 'c')).toBe(batch.others);
    expect(bytesFor(batch, 'never-joined')).toBe(batch.others);
  });

  it("gives an author with two lines in one batch both as [You], and the others' lines between them as they were", () => {
    const batch = batchOf([
      ['a', 'one'],
      ['b', 'two'],
      ['a', 'three'],
      ['c', 'four']
    ]);
    const shared = text(batch.others);
    expect(text(bytesFor(batch, 'a'))).toBe(
      `[You] one\n[${B}] two\n[You] three\n[${C}] four\n`
    );
    expect(text(bytesFor(batch, 'b'))).toBe(
      `[${A}] one\n[You] two\n[${A}] three\n[${C}] four\n`
    );
    expect(text(bytesFor(batch, 'c'))).toBe(
      `[${A}] one\n[${B}] two\n[${A}] three\n[You] four\n`
    );
    // A copy: the shared buffer stays as everyone else sees it.
    expect(bytesFor(batch, 'a')).not.toBe(batch.others);
    expect(text(batch.others)).toBe(shared);
  });

  it('rewrites consecutive lines of one author, at the start and at the end', () => {
    const batch = batchOf([
      ['a', '1'],
      ['a', '2'],
      ['b', '3'],
      ['a', '4'],
      ['a', '5']
    ]);
    expect(text(bytesFor(batch, 'a'))).toBe(
      `[You] 1\n[You] 2\n[${B}] 3\n[You] 4\n[You] 5\n`
    );
    expect(text(bytesFor(batch, 'b'))).toBe(
      `[${A}] 1\n[${A}] 2\n[You] 3\n[${A}] 4\n[${A}] 5\n`
    );
  });

  it('counts bytes, not characters, for multi-byte UTF-8 text [CHAT-IN-1]', () => {
    const texts = ['héllo wörld', '日本語のテキスト', 'emoji 😀👍🏽', 'ascii'];
    const batch = batchOf([
      ['a', texts[0] as string],
      ['b', texts[1] as string],
      ['a', texts[2] as string],
      ['b', texts[3] as string]
    ]);
    const others = [
      `[${A}] ${texts[0]}\n`,
      `[${B}] ${texts[1]}\n`,
      `[${A}] ${texts[2]}\n`,
      `[${B}] ${texts[3]}\n`
    ];
    expect(batch.others.length).toBe(Buffer.byteLength(others.join('')));
    expect(text(batch.others)).toBe(others.join(''));
    const forA = `[You] ${texts[0]}\n${others[1]}[You] ${texts[2]}\n${others[3]}`;
    const forB = `${others[0]}[You] ${texts[1]}\n${others[2]}[You] ${texts[3]}\n`;
    expect(bytesFor(batch, 'a').equals(Buffer.from(forA))).toBe(true);
    expect(bytesFor(batch, 'b').equals(Buffer.from(forB))).toBe(true);
    for (const { start, end, own } of batch.authored.get('a') ?? []) {
      expect(text(batch.others.subarray(start, end))).toMatch(
        new RegExp(`^\\[${A}\\] .*\\n$`, 'u')
      );
      expect(text(own)).toMatch(/^\[You\] .*\n$/u);
    }
  });
});

describe('bytesOf and linesIn', () => {
  it('gives the member a join is about its greeting, everyone else the notice', () => {
    const join = toBroadcast(joined('a', A, 2), 1);
    expect(text(bytesOf(join, 'a'))).toBe(
      'Connected to the chat server (2 users online)\n'
    );
    expect(text(bytesOf(join, 'b'))).toBe(
      `New user ${A} entered (2 users online)\n`
    );
    expect(linesIn(join)).toBe(1);
  });

  it('gives nothing of a silent leave, and the notice of an announced one to the others', () => {
    expect(bytesOf(toBroadcast(left('a', A, 0, false), 1), 'b')).toBeNull();
    expect(bytesOf(toBroadcast(left('a', A, 1), 1), 'a')).toBeNull();
    expect(text(bytesOf(toBroadcast(left('a', A, 1), 1), 'b'))).toBe(
      `The user ${A} left (1 user online)\n`
    );
  });

  it('gives every member of the room the shutdown notice', () => {
    const notice = toBroadcast(closing(2), 1);
    expect(text(bytesOf(notice, 'a'))).toBe('Server shutting down\n');
    expect(text(bytesOf(notice, 'b'))).toBe('Server shutting down\n');
  });

  it("gives a batch as bytesFor does, and counts the batch's lines", () => {
    const batch = batchOf([
      ['a', 'x'],
      ['b', 'y'],
      ['a', 'z']
    ]);
    expect(bytesOf(batch, 'c')).toBe(batch.others);
    expect(bytesOf(batch, 'a')?.equals(bytesFor(batch, 'a'))).toBe(true);
    expect(linesIn(batch)).toBe(3);
  });
});

describe('feedFor', () => {
  const session: Step[] = [
    joined('a', A, 1),
    [['a', 'before b']],
    joined('b', B, 2),
    [
      ['a', 'hi b'],
      ['b', 'hi a'],
      ['a', 'how are you']
    ],
    joined('c', C, 3),
    left('b', B, 2),
    [['a', 'b is gone']],
    left('a', A, 1)
  ];

  it('skips what was ordered before its own join and starts with its greeting [CHAT-ORDER-2]', async () => {
    const lines = await linesFor('b', session);
    expect(lines[0]).toBe('Connected to the chat server (2 users online)');
    expect(lines.join('\n')).not.toContain('before b');
  });

  it("delivers [You] for its own lines and others' lines with their address, in order [CHAT-ORDER-1]", async () => {
    expect(await linesFor('b', session)).toEqual([
      'Connected to the chat server (2 users online)',
      `[${A}] hi b`,
      '[You] hi a',
      `[${A}] how are you`,
      `New user ${C} entered (3 users online)`
    ]);
  });

  it('passes each item of its window on whole, once, in the order of the room', async () => {
    const items = await lastValueFrom(
      from(order(session)).pipe(feedFor('b'), toArray())
    );
    expect(items.map((b) => [b.seq, b.kind])).toEqual([
      [3, 'join'],
      [4, 'messages'],
      [5, 'join']
    ]);
  });

  it('stops at its own leave and never delivers it', async () => {
    const lines = await linesFor('b', session);
    expect(lines.join('\n')).not.toContain(`The user ${B} left`);
    expect(lines.join('\n')).not.toContain('b is gone');
  });

  it('delivers the leave of others until its own [CHAT-LEAVE-1]', async () => {
    expect(await linesFor('a', session)).toEqual([
      'Connected to the chat server (1 user online)',
      '[You] before b',
      `New user ${B} entered (2 users online)`,
      '[You] hi b',
      `[${B}] hi a`,
      '[You] how are you',
      `New user ${C} entered (3 users online)`,
      `The user ${B} left (2 users online)`,
      '[You] b is gone'
    ]);
  });

  it('delivers nothing to a connection that never joined [CHAT-ORDER-4]', async () => {
    expect(await linesFor('zz', session)).toEqual([]);
  });

  it('ends with the shutdown notice and no silent leaves [CHAT-SHUT-2]', async () => {
    const closingSession: Step[] = [
      joined('a', A, 1),
      joined('b', B, 2),
      [['b', 'last words']],
      closing(2),
      left('b', B, 1, false),
      left('a', A, 0, false)
    ];
    expect(await linesFor('a', closingSession)).toEqual([
      'Connected to the chat server (1 user online)',
      `New user ${B} entered (2 users online)`,
      `[${B}] last words`,
      'Server shutting down'
    ]);
  });
});
