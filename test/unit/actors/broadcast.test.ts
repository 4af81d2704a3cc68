import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  BatchBuilder,
  bytesFor,
  bytesOf,
  feedFor,
  line,
  linesFor,
  linesOf,
  type Batch,
  type Broadcast,
  type Farewell
} from '../../../src/actors/broadcast.js';

const A = '10.0.0.1:1';
const B = '10.0.0.2:2';
const C = '10.0.0.3:3';

/** Each member's address, and its `[ADDR] ` as the room actor encodes it once. */
const REMOTE: Record<string, string> = { a: A, b: B, c: C, d: '10.0.0.4:4' };
const PREFIX: Record<string, Buffer> = Object.fromEntries(
  Object.entries(REMOTE).map(([id, remote]) => [
    id,
    Buffer.from(`[${remote}] `)
  ])
);

function prefix(connId: string): Buffer {
  const bytes = PREFIX[connId];
  if (bytes === undefined) throw new Error(`no prefix for ${connId}`);
  return bytes;
}

function remote(connId: string): string {
  return REMOTE[connId] ?? connId;
}

/** The lines as the room actor encodes them (src/protocol/format.ts). */
const online = (n: number) => `${n} ${n === 1 ? 'user' : 'users'} online`;
const greeting = (n: number) => `Connected to the chat server (${online(n)})\n`;
const entered = (id: string, n: number) =>
  `New user ${remote(id)} entered (${online(n)})\n`;
const left = (id: string, n: number) =>
  `The user ${remote(id)} left (${online(n)})\n`;
const SHUTDOWN = 'Server shutting down\n';

function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8');
}

/** LFs in `bytes`: the lines a member is really sent. */
function lfCount(bytes: Buffer | null): number {
  if (bytes === null) return 0;
  let n = 0;
  for (const byte of bytes) if (byte === 0x0a) n += 1;
  return n;
}

/** One turn's lines, as `[author, text]`. */
type Said = readonly (readonly [string, string])[];

function batchOf(said: Said, seq = 1): Batch {
  const builder = new BatchBuilder();
  for (const [connId, t] of said) builder.say(connId, prefix(connId), t);
  const batch = builder.take(seq);
  if (batch === null) throw new Error('an empty batch');
  return batch;
}

function take(builder: BatchBuilder, seq = 1): Batch {
  const batch = builder.take(seq);
  if (batch === null) throw new Error('an empty batch');
  return batch;
}

describe('line', () => {
  it('encodes a protocol line in UTF-8 and ends it with a single LF [CHAT-WIRE-2] [CHAT-WIRE-4]', () => {
    expect(line('Server shutting down').equals(Buffer.from(SHUTDOWN))).toBe(
      true
    );
    expect(text(line('wörld 😀'))).toBe('wörld 😀\n');
    expect(line('wörld 😀').length).toBe(Buffer.byteLength('wörld 😀') + 1);
  });
});

describe('BatchBuilder', () => {
  it('is empty, and takes nothing, until something is added', () => {
    const builder = new BatchBuilder();
    expect(builder.isEmpty).toBe(true);
    expect(builder.bytes).toBe(0);
    expect(builder.take(1)).toBeNull();
    expect(builder.isEmpty).toBe(true);
  });

  it('encodes a chat line as [ADDR] for the others and [You] for its author [CHAT-MSG-1] [CHAT-MSG-2]', () => {
    const batch = batchOf([['a', 'hello']], 5);
    expect(batch).toMatchObject({ kind: 'batch', seq: 5, lines: 1 });
    expect(text(batch.others)).toBe(`[${A}] hello\n`);
    expect(text(bytesFor(batch, 'a'))).toBe('[You] hello\n');
    expect(text(bytesFor(batch, 'b'))).toBe(`[${A}] hello\n`);
    expect([...batch.marks.keys()]).toEqual(['a']);
    expect(batch.marks.get('a')?.join).toBeUndefined();
    expect(batch.marks.get('a')?.leave).toBeUndefined();
  });

  it('collects joins, lines, leaves and notices in order into one buffer, counting lines and bytes', () => {
    const builder = new BatchBuilder();
    builder.join(
      'a',
      line('Connected to the chat server (1 user online)'),
      line(`New user ${A} entered (1 user online)`)
    );
    builder.say('a', prefix('a'), 'one');
    builder.join(
      'b',
      line('Connected to the chat server (2 users online)'),
      line(`New user ${B} entered (2 users online)`)
    );
    builder.say('b', prefix('b'), 'two');
    builder.leave('a', line(`The user ${A} left (1 user online)`));
    builder.notice(line('Server shutting down'));
    const expected =
      entered('a', 1) +
      `[${A}] one\n` +
      entered('b', 2) +
      `[${B}] two\n` +
      left('a', 1) +
      SHUTDOWN;
    expect(builder.isEmpty).toBe(false);
    expect(builder.bytes).toBe(Buffer.byteLength(expected));
    const batch = take(builder, 9);
    expect(batch).toMatchObject({ kind: 'batch', seq: 9, lines: 6 });
    expect(text(batch.others)).toBe(expected);
    expect([...batch.marks.keys()]).toEqual(['a', 'b']);
  });

  it('marks a join where its notice is, with the greeting that stands for it', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'before');
    const before = builder.bytes;
    const hello = line('Connected to the chat server (2 users online)');
    builder.join('b', hello, line(`New user ${B} entered (2 users online)`));
    const batch = take(builder);
    const join = batch.marks.get('b')?.join;
    expect(join).toMatchObject({ start: before, line: 1 });
    expect(join?.greeting).toBe(hello);
    expect(text(batch.others.subarray(join?.start, join?.end))).toBe(
      entered('b', 2)
    );
    expect(join?.end).toBe(batch.others.length);
  });

  it('marks an announced leave before its notice, which only the others get [CHAT-LEAVE-1]', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'bye');
    const at = builder.bytes;
    builder.leave('a', line(`The user ${A} left (1 user online)`));
    builder.say('b', prefix('b'), 'after');
    const batch = take(builder);
    expect(batch.marks.get('a')?.leave).toEqual({ at, line: 1 });
    expect(batch.lines).toBe(3);
    expect(text(bytesFor(batch, 'b'))).toBe(
      `[${A}] bye\n${left('a', 1)}[You] after\n`
    );
    expect(text(bytesFor(batch, 'a'))).toBe('[You] bye\n');
  });

  it('marks a silent leave without a line for anyone, yet is not empty [CHAT-SHUT-2]', () => {
    const builder = new BatchBuilder();
    builder.leave('a', null);
    expect(builder.isEmpty).toBe(false);
    expect(builder.bytes).toBe(0);
    const batch = take(builder, 3);
    expect(batch).toMatchObject({ kind: 'batch', seq: 3, lines: 0 });
    expect(batch.others.length).toBe(0);
    expect(batch.marks.get('a')?.leave).toEqual({ at: 0, line: 0 });
  });

  it('adds a notice for every member, with no marks', () => {
    const builder = new BatchBuilder();
    builder.notice(line('Server shutting down'));
    expect(builder.isEmpty).toBe(false);
    const batch = take(builder);
    expect(batch).toMatchObject({ lines: 1 });
    expect(batch.marks.size).toBe(0);
    expect(text(bytesFor(batch, 'a'))).toBe(SHUTDOWN);
    expect(bytesFor(batch, 'a')).toBe(batch.others);
  });

  it("records where each of a member's lines is, and their [You] form", () => {
    const batch = batchOf([
      ['a', 'one'],
      ['b', 'two'],
      ['a', 'three']
    ]);
    const a = batch.marks.get('a')?.own ?? [];
    const b = batch.marks.get('b')?.own ?? [];
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

  it('starts afresh after take: the next batch holds only what came since, the first is untouched', () => {
    const builder = new BatchBuilder();
    builder.join('a', line('hi a'), line('a is here'));
    builder.say('a', prefix('a'), 'first');
    const first = take(builder, 1);
    expect(builder.isEmpty).toBe(true);
    expect(builder.bytes).toBe(0);
    expect(builder.take(2)).toBeNull();
    builder.say('b', prefix('b'), 'second');
    const second = take(builder, 2);
    expect(text(second.others)).toBe(`[${B}] second\n`);
    expect(second.lines).toBe(1);
    expect([...second.marks.keys()]).toEqual(['b']);
    expect(text(first.others)).toBe(`a is here\n[${A}] first\n`);
    expect(first.lines).toBe(2);
    expect([...first.marks.keys()]).toEqual(['a']);
  });

  it("peeks with only the leaver's marks, so N leaves in one turn cost O(N)", () => {
    const builder = new BatchBuilder();
    for (const id of ['a', 'b', 'c'])
      builder.join(id, line(`hi ${id}`), line(`${id} is here`));
    builder.say('b', prefix('b'), 'words');
    builder.leave('b', null);
    const peeked = builder.peek(1, 'b');
    expect([...peeked.marks.keys()]).toEqual(['b']);
    expect(text(bytesFor(peeked, 'b'))).toBe('hi b\nc is here\n[You] words\n');
  });

  it('peeks at what was collected without taking it', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'one');
    builder.leave('a', line(`The user ${A} left (1 user online)`));
    const peeked = builder.peek(4, 'a');
    expect(peeked).toMatchObject({ kind: 'batch', seq: 4, lines: 2 });
    expect(text(peeked.others)).toBe(`[${A}] one\n${left('a', 1)}`);
    expect(builder.isEmpty).toBe(false);
    expect(builder.bytes).toBe(peeked.others.length);

    builder.say('b', prefix('b'), 'two');
    const batch = take(builder, 4);
    expect(text(batch.others)).toBe(`[${A}] one\n${left('a', 1)}[${B}] two\n`);
    expect(batch.lines).toBe(3);
  });

  it('leaves a peeked batch as it was, whatever is added after it', () => {
    const builder = new BatchBuilder();
    builder.join('a', line('hi a'), line('a is here'));
    builder.say('a', prefix('a'), 'mine');
    builder.leave('a', null);
    const peeked = builder.peek(1, 'a');
    const seen = text(bytesFor(peeked, 'a'));
    expect(seen).toBe('hi a\n[You] mine\n');

    builder.join('b', line('hi b'), line('b is here'));
    builder.say('b', prefix('b'), 'later');
    builder.notice(line('Server shutting down'));
    expect(text(peeked.others)).toBe(`a is here\n[${A}] mine\n`);
    expect(peeked.lines).toBe(2);
    expect([...peeked.marks.keys()]).toEqual(['a']);
    expect(text(bytesFor(peeked, 'a'))).toBe(seen);
    expect(linesFor(peeked, 'a')).toBe(2);
    // And the batch taken later holds all of it.
    expect(text(take(builder).others)).toBe(
      `a is here\n[${A}] mine\nb is here\n[${B}] later\n${SHUTDOWN}`
    );
  });
});

describe('BatchBuilder with many leaves in one turn', () => {
  it('gives each leaver its view up to its own leave, unchanged as the batch grows past its first buffer', () => {
    const builder = new BatchBuilder();
    const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
    for (const id of ids)
      builder.join(id, line(`hi ${id}`), line(`${id} is here`));
    take(builder);
    const farewells = ids.map((id, i) => {
      builder.leave(id, line(`${id} left (${ids.length - i - 1} online)`));
      return { id, batch: builder.peek(1, id) };
    });
    // 300 notices: well past the first buffer, so it grew several times.
    expect(builder.bytes).toBeGreaterThan(4 * 1024);
    let before = '';
    for (const [i, { id, batch }] of farewells.entries()) {
      // Each sees the leaves before its own, and nothing of its own or after.
      expect(text(bytesFor(batch, id))).toBe(before);
      expect(linesFor(batch, id)).toBe(i);
      before += `${id} left (${ids.length - i - 1} online)\n`;
    }
    expect(text(take(builder).others)).toBe(before);
  });
});

describe('bytesFor and linesFor', () => {
  it('gives everyone the batch is not about the one shared buffer, and all its lines', () => {
    const batch = batchOf([
      ['a', 'x'],
      ['b', 'y']
    ]);
    expect(bytesFor(batch, 'c')).toBe(batch.others);
    expect(bytesFor(batch, 'never-joined')).toBe(batch.others);
    expect(linesFor(batch, 'c')).toBe(2);
  });

  it("gives an author its lines as [You] and the others' lines between them as they were", () => {
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
    for (const id of ['a', 'b', 'c']) expect(linesFor(batch, id)).toBe(4);
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

  it('gives a member that joined mid-batch its greeting first and nothing ordered before it [CHAT-JOIN-1] [CHAT-ORDER-2]', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'before b');
    builder.notice(line('a notice before b'));
    builder.join(
      'b',
      line(greeting(2).trimEnd()),
      line(entered('b', 2).trimEnd())
    );
    builder.say('a', prefix('a'), 'after b');
    const batch = take(builder);
    expect(text(bytesFor(batch, 'b'))).toBe(`${greeting(2)}[${A}] after b\n`);
    expect(linesFor(batch, 'b')).toBe(2);
    expect(text(bytesFor(batch, 'a'))).toBe(
      `[You] before b\na notice before b\n${entered('b', 2)}[You] after b\n`
    );
    expect(linesFor(batch, 'a')).toBe(4);
  });

  it('gives a member that joined at the very end of a batch only its greeting', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'before');
    builder.join(
      'b',
      line(greeting(2).trimEnd()),
      line(entered('b', 2).trimEnd())
    );
    const batch = take(builder);
    expect(text(bytesFor(batch, 'b'))).toBe(greeting(2));
    expect(linesFor(batch, 'b')).toBe(1);
  });

  it('gives a member that joined and wrote in the same batch its greeting, then its lines as [You]', () => {
    const builder = new BatchBuilder();
    builder.join(
      'a',
      line(greeting(1).trimEnd()),
      line(entered('a', 1).trimEnd())
    );
    builder.say('a', prefix('a'), 'first words');
    builder.join(
      'b',
      line(greeting(2).trimEnd()),
      line(entered('b', 2).trimEnd())
    );
    builder.say('b', prefix('b'), 'hi a');
    builder.say('a', prefix('a'), 'hi b');
    const batch = take(builder);
    expect(text(bytesFor(batch, 'a'))).toBe(
      `${greeting(1)}[You] first words\n${entered('b', 2)}[${B}] hi a\n[You] hi b\n`
    );
    expect(text(bytesFor(batch, 'b'))).toBe(
      `${greeting(2)}[You] hi a\n[${A}] hi b\n`
    );
    expect(text(bytesFor(batch, 'c'))).toBe(
      `${entered('a', 1)}[${A}] first words\n${entered('b', 2)}[${B}] hi a\n[${A}] hi b\n`
    );
    expect([
      linesFor(batch, 'a'),
      linesFor(batch, 'b'),
      linesFor(batch, 'c')
    ]).toEqual([5, 3, 5]);
  });

  it('gives a member that left mid-batch nothing from its leave on, its own notice included', () => {
    const builder = new BatchBuilder();
    builder.say('b', prefix('b'), 'see you');
    builder.say('a', prefix('a'), 'bye');
    builder.leave('a', line(left('a', 1).trimEnd()));
    builder.say('b', prefix('b'), 'a is gone');
    builder.notice(line('Server shutting down'));
    const batch = take(builder);
    expect(text(bytesFor(batch, 'a'))).toBe(`[${B}] see you\n[You] bye\n`);
    expect(linesFor(batch, 'a')).toBe(2);
    expect(text(bytesFor(batch, 'b'))).toBe(
      `[You] see you\n[${A}] bye\n${left('a', 1)}[You] a is gone\n${SHUTDOWN}`
    );
    expect(linesFor(batch, 'b')).toBe(5);
  });

  it('gives a leaver that wrote nothing the part of the shared buffer before its leave', () => {
    const builder = new BatchBuilder();
    builder.say('b', prefix('b'), 'one');
    builder.leave('a', line(left('a', 1).trimEnd()));
    builder.say('b', prefix('b'), 'two');
    const batch = take(builder);
    expect(text(bytesFor(batch, 'a'))).toBe(`[${B}] one\n`);
    expect(linesFor(batch, 'a')).toBe(1);
  });

  it('gives a leaver whose leave opens the batch nothing at all', () => {
    const builder = new BatchBuilder();
    builder.leave('a', line(left('a', 1).trimEnd()));
    builder.say('b', prefix('b'), 'after');
    const batch = take(builder);
    expect(bytesFor(batch, 'a').length).toBe(0);
    expect(linesFor(batch, 'a')).toBe(0);
  });

  it('gives a member that joined, wrote and left in one batch just that stretch', () => {
    const builder = new BatchBuilder();
    builder.say('b', prefix('b'), 'before');
    builder.join(
      'a',
      line(greeting(2).trimEnd()),
      line(entered('a', 2).trimEnd())
    );
    builder.say('b', prefix('b'), 'welcome');
    builder.say('a', prefix('a'), 'thanks, bye');
    builder.leave('a', line(left('a', 1).trimEnd()));
    builder.say('b', prefix('b'), 'after');
    const batch = take(builder);
    expect(text(bytesFor(batch, 'a'))).toBe(
      `${greeting(2)}[${B}] welcome\n[You] thanks, bye\n`
    );
    expect(linesFor(batch, 'a')).toBe(3);
    expect(text(bytesFor(batch, 'b'))).toBe(
      `[You] before\n${entered('a', 2)}[You] welcome\n[${A}] thanks, bye\n${left('a', 1)}[You] after\n`
    );
  });

  it('gives the leaver the same view of a silent and an announced leave; only the others tell them apart', () => {
    const views = [true, false].map((announced) => {
      const builder = new BatchBuilder();
      builder.say('a', prefix('a'), 'last');
      builder.notice(line('Server shutting down'));
      builder.leave('a', announced ? line(left('a', 1).trimEnd()) : null);
      builder.say('b', prefix('b'), 'still here');
      const batch = take(builder);
      return {
        leaver: text(bytesFor(batch, 'a')),
        leaverLines: linesFor(batch, 'a'),
        other: text(bytesFor(batch, 'b')),
        otherLines: linesFor(batch, 'b')
      };
    });
    expect(views[0]).toEqual({
      leaver: `[You] last\n${SHUTDOWN}`,
      leaverLines: 2,
      other: `[${A}] last\n${SHUTDOWN}${left('a', 1)}[You] still here\n`,
      otherLines: 4
    });
    expect(views[1]).toEqual({
      leaver: `[You] last\n${SHUTDOWN}`,
      leaverLines: 2,
      other: `[${A}] last\n${SHUTDOWN}[You] still here\n`,
      otherLines: 3
    });
  });

  it('counts bytes, not characters, for multi-byte UTF-8 text [CHAT-IN-1]', () => {
    const texts = [
      'héllo wörld',
      '日本語のテキスト',
      'emoji 😀👍🏽',
      'ascii'
    ] as const;
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), texts[0]);
    builder.join('b', line('Grüße, b 👋'), line('b ist da 🎉'));
    builder.say('b', prefix('b'), texts[1]);
    builder.say('a', prefix('a'), texts[2]);
    builder.leave('a', line('a ist weg 😢'));
    builder.say('b', prefix('b'), texts[3]);
    const batch = take(builder);
    const others = [
      `[${A}] ${texts[0]}\n`,
      'b ist da 🎉\n',
      `[${B}] ${texts[1]}\n`,
      `[${A}] ${texts[2]}\n`,
      'a ist weg 😢\n',
      `[${B}] ${texts[3]}\n`
    ];
    expect(batch.others.length).toBe(Buffer.byteLength(others.join('')));
    expect(text(batch.others)).toBe(others.join(''));
    const forA = `[You] ${texts[0]}\nb ist da 🎉\n${others[2]}[You] ${texts[2]}\n`;
    const forB = `Grüße, b 👋\n[You] ${texts[1]}\n${others[3]}a ist weg 😢\n[You] ${texts[3]}\n`;
    expect(bytesFor(batch, 'a').equals(Buffer.from(forA))).toBe(true);
    expect(bytesFor(batch, 'b').equals(Buffer.from(forB))).toBe(true);
    expect(bytesFor(batch, 'c').equals(Buffer.from(others.join('')))).toBe(
      true
    );
    expect([linesFor(batch, 'a'), linesFor(batch, 'b')]).toEqual([4, 5]);
    for (const { start, end, own } of batch.marks.get('a')?.own ?? []) {
      expect(text(batch.others.subarray(start, end))).toMatch(
        new RegExp(`^\\[${A}\\] .*\\n$`, 'u')
      );
      expect(text(own)).toMatch(/^\[You\] .*\n$/u);
    }
  });
});

/** One step of a generated turn, interpreted against who is in the room. */
type Op =
  | { type: 'join'; id: string }
  | { type: 'say'; id: string; text: string }
  | { type: 'leave'; id: string; announced: boolean }
  | { type: 'notice'; text: string };

const IDS = ['a', 'b', 'c', 'd'] as const;

/** Line text with no LF (the splitter never relays one), multi-byte included. */
const textArb = fc
  .string({ unit: 'grapheme', maxLength: 6 })
  .map((s) => s.replace(/\n/g, ' '));

/** A generated turn: who was in from earlier turns, and raw steps. */
interface Turn {
  present: string[];
  steps: {
    kind: Op['type'];
    who: string;
    text: string;
    announced: boolean;
  }[];
}

const turnArb: fc.Arbitrary<Turn> = fc.record({
  present: fc.subarray<string>([...IDS]),
  steps: fc.array(
    fc.record({
      kind: fc.constantFrom<Op['type']>('join', 'say', 'leave', 'notice'),
      who: fc.constantFrom<string>(...IDS),
      text: textArb,
      announced: fc.boolean()
    }),
    { maxLength: 24 }
  )
});

/** The steps that make sense for the room: each joins once, says and leaves only while in. */
function script(turn: Turn): Op[] {
  const here = new Set<string>(turn.present);
  const joined = new Set<string>(turn.present);
  const ops: Op[] = [];
  for (const { kind, who, text: t, announced } of turn.steps) {
    if (kind === 'join' && !joined.has(who)) {
      joined.add(who);
      here.add(who);
      ops.push({ type: 'join', id: who });
    } else if (kind === 'say' && here.has(who)) {
      ops.push({ type: 'say', id: who, text: t });
    } else if (kind === 'leave' && here.has(who)) {
      here.delete(who);
      ops.push({ type: 'leave', id: who, announced });
    } else if (kind === 'notice') {
      ops.push({ type: 'notice', text: t });
    }
  }
  return ops;
}

const greetingOf = (id: string) => `welcome ${id} ✓`;
const enteredOf = (id: string) => `${id} entered`;
const leftOf = (id: string) => `${id} left`;

/** A step as the members it is not about see it, `null` for nothing. */
function sharedLine(op: Op): string | null {
  switch (op.type) {
    case 'join':
      return `${enteredOf(op.id)}\n`;
    case 'say':
      return `[${remote(op.id)}] ${op.text}\n`;
    case 'leave':
      return op.announced ? `${leftOf(op.id)}\n` : null;
    case 'notice':
      return `${op.text}\n`;
  }
}

/** The model: what `id` should be sent of these steps. */
function expectedView(ops: readonly Op[], id: string): Buffer {
  const joinAt = ops.findIndex((op) => op.type === 'join' && op.id === id);
  const leaveAt = ops.findIndex((op) => op.type === 'leave' && op.id === id);
  const parts = joinAt < 0 ? [] : [`${greetingOf(id)}\n`];
  const end = leaveAt < 0 ? ops.length : leaveAt;
  for (const op of ops.slice(joinAt + 1, end)) {
    if (op.type === 'say' && op.id === id) parts.push(`[You] ${op.text}\n`);
    else parts.push(sharedLine(op) ?? '');
  }
  return Buffer.from(parts.join(''));
}

/** Builds the steps; peeks at each leave as the room does for a farewell. */
function build(ops: readonly Op[]) {
  const builder = new BatchBuilder();
  const farewells: { id: string; upTo: number; batch: Batch }[] = [];
  ops.forEach((op, i) => {
    switch (op.type) {
      case 'join':
        builder.join(op.id, line(greetingOf(op.id)), line(enteredOf(op.id)));
        break;
      case 'say':
        builder.say(op.id, prefix(op.id), op.text);
        break;
      case 'leave':
        builder.leave(op.id, op.announced ? line(leftOf(op.id)) : null);
        farewells.push({
          id: op.id,
          upTo: i + 1,
          batch: builder.peek(7, op.id)
        });
        break;
      case 'notice':
        builder.notice(line(op.text));
        break;
    }
  });
  return { batch: builder.take(7), farewells };
}

describe('bytesFor and linesFor over generated batches', () => {
  it('give every member exactly its view of the batch, and count the lines they give', () => {
    fc.assert(
      fc.property(turnArb, (turn) => {
        const ops = script(turn);
        const { batch, farewells } = build(ops);
        if (ops.length === 0) {
          expect(batch).toBeNull();
          return;
        }
        if (batch === null) throw new Error('nothing taken of a turn');
        const shared = ops.map(sharedLine).join('');
        expect(text(batch.others)).toBe(shared);
        expect(batch.lines).toBe(lfCount(batch.others));
        for (const id of [...IDS, 'stranger']) {
          const bytes = bytesFor(batch, id);
          expect(text(bytes)).toBe(text(expectedView(ops, id)));
          expect(bytes.equals(expectedView(ops, id))).toBe(true);
          expect(linesFor(batch, id)).toBe(lfCount(bytes));
          if (!batch.marks.has(id)) expect(bytes).toBe(batch.others);
        }
        // Each farewell is its leaver's view up to its leave, even after
        // everything that came later in the turn.
        for (const { id, upTo, batch: peeked } of farewells) {
          const bytes = bytesFor(peeked, id);
          expect(bytes.equals(expectedView(ops.slice(0, upTo), id))).toBe(true);
          expect(bytes.equals(bytesFor(batch, id))).toBe(true);
          expect(linesFor(peeked, id)).toBe(lfCount(bytes));
        }
      }),
      { numRuns: 300, seed: 20_240_611 }
    );
  });
});

describe('bytesOf and linesOf', () => {
  function farewellOf(connId: string, batch: Batch): Farewell {
    return { kind: 'farewell', connId, batch };
  }

  it('gives a batch as bytesFor does, and counts the lines given', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'x');
    builder.join('b', line('hi b'), line('b is here'));
    builder.say('b', prefix('b'), 'y');
    const batch = take(builder);
    expect(bytesOf(batch, 'c')).toBe(batch.others);
    expect(linesOf(batch, 'c')).toBe(3);
    expect(text(bytesOf(batch, 'a'))).toBe(
      '[You] x\nb is here\n[10.0.0.2:2] y\n'
    );
    expect(linesOf(batch, 'a')).toBe(3);
    expect(text(bytesOf(batch, 'b'))).toBe('hi b\n[You] y\n');
    expect(linesOf(batch, 'b')).toBe(2);
  });

  it('gives nothing (null) where a member is sent no byte of a batch', () => {
    const silent = new BatchBuilder();
    silent.leave('a', null);
    const batch = take(silent);
    expect(bytesOf(batch, 'b')).toBeNull();
    expect(bytesOf(batch, 'a')).toBeNull();
    expect(linesOf(batch, 'b')).toBe(0);
  });

  it('gives a farewell only to the member leaving, as its view up to its leave', () => {
    const builder = new BatchBuilder();
    builder.say('b', prefix('b'), 'one');
    builder.say('a', prefix('a'), 'two');
    builder.leave('a', line(left('a', 1).trimEnd()));
    const farewell = farewellOf('a', builder.peek(2, 'a'));
    expect(text(bytesOf(farewell, 'a'))).toBe(`[${B}] one\n[You] two\n`);
    expect(linesOf(farewell, 'a')).toBe(2);
    expect(bytesOf(farewell, 'b')).toBeNull();
    expect(bytesOf(farewell, 'c')).toBeNull();
  });

  it('gives nothing of a farewell when nothing was ordered before the leave in its turn', () => {
    const builder = new BatchBuilder();
    builder.leave('a', line(left('a', 1).trimEnd()));
    const farewell = farewellOf('a', builder.peek(1, 'a'));
    expect(bytesOf(farewell, 'a')).toBeNull();
    expect(linesOf(farewell, 'a')).toBe(0);
  });

  it('gives the closing notice in the farewell of a member leaving during shutdown [CHAT-SHUT-1]', () => {
    const builder = new BatchBuilder();
    builder.say('a', prefix('a'), 'last');
    builder.notice(line('Server shutting down'));
    builder.leave('a', null);
    const farewell = farewellOf('a', builder.peek(1, 'a'));
    expect(text(bytesOf(farewell, 'a'))).toBe(`[You] last\n${SHUTDOWN}`);
    expect(linesOf(farewell, 'a')).toBe(2);
  });
});

/**
 * A room's order as the room actor makes it: one batch per turn, numbered
 * 1, 2, …, and a farewell published the moment a member leaves.
 */
class Order {
  readonly items: Broadcast[] = [];
  #builder = new BatchBuilder();
  #seq = 0;
  #count = 0;

  join(id: string): this {
    this.#count += 1;
    this.#builder.join(
      id,
      line(greeting(this.#count).trimEnd()),
      line(entered(id, this.#count).trimEnd())
    );
    return this;
  }

  say(id: string, t: string): this {
    this.#builder.say(id, prefix(id), t);
    return this;
  }

  leave(id: string, announced = true): this {
    this.#count -= 1;
    this.#builder.leave(
      id,
      announced ? line(left(id, this.#count).trimEnd()) : null
    );
    this.items.push({
      kind: 'farewell',
      connId: id,
      batch: this.#builder.peek(this.#seq + 1, id)
    });
    return this;
  }

  closing(): this {
    this.#builder.notice(line('Server shutting down'));
    return this;
  }

  endTurn(): this {
    const batch = this.#builder.take(this.#seq + 1);
    if (batch !== null) {
      this.#seq += 1;
      this.items.push(batch);
    }
    return this;
  }
}

async function feedItems(connId: string, order: Order): Promise<Broadcast[]> {
  return lastValueFrom(from(order.items).pipe(feedFor(connId), toArray()));
}

/** What `connId` would be written of this order: one entry per write. */
async function writes(connId: string, order: Order): Promise<string[]> {
  const items = await feedItems(connId, order);
  return items.flatMap((item) => {
    const bytes = bytesOf(item, connId);
    if (bytes === null) return [];
    // What the counters are told matches what is written.
    expect(linesOf(item, connId)).toBe(lfCount(bytes));
    return [bytes.toString('utf8')];
  });
}

function describeItem(item: Broadcast): string {
  if (item.kind === 'direct') return `direct ${[...item.to].join(',')}`;
  return item.kind === 'batch'
    ? `batch ${item.seq}`
    : `farewell ${item.connId} ${item.batch.seq}`;
}

describe('feedFor', () => {
  /** Three turns: a alone; b joins and talks; c joins, b leaves, a leaves. */
  const session = () =>
    new Order()
      .join('a')
      .say('a', 'before b')
      .endTurn()
      .say('a', 'still before b')
      .join('b')
      .say('a', 'hi b')
      .say('b', 'hi a')
      .endTurn()
      .join('c')
      .say('b', 'bye all')
      .leave('b')
      .say('a', 'b is gone')
      .leave('a')
      .say('c', 'alone')
      .endTurn();

  it('starts at the batch holding its own join, with its greeting and nothing before it [CHAT-ORDER-2]', async () => {
    const b = await writes('b', session());
    expect(b[0]).toBe(`${greeting(2)}[${A}] hi b\n[You] hi a\n`);
    expect(b.join('')).not.toContain('before b');
  });

  it('delivers each item of its window once, in the order of the room, ignoring farewells of others', async () => {
    const order = session();
    expect(order.items.map(describeItem)).toEqual([
      'batch 1',
      'batch 2',
      'farewell b 3',
      'farewell a 3',
      'batch 3'
    ]);
    expect((await feedItems('a', order)).map(describeItem)).toEqual([
      'batch 1',
      'batch 2',
      'farewell b 3',
      'farewell a 3'
    ]);
    expect((await feedItems('b', order)).map(describeItem)).toEqual([
      'batch 2',
      'farewell b 3'
    ]);
    expect((await feedItems('c', order)).map(describeItem)).toEqual([
      'batch 3'
    ]);
  });

  it('ends with its own farewell: what was ordered before its leave, never the batch with it [CHAT-LEAVE-1]', async () => {
    expect(await writes('b', session())).toEqual([
      `${greeting(2)}[${A}] hi b\n[You] hi a\n`,
      `${entered('c', 3)}[You] bye all\n`
    ]);
    expect(await writes('a', session())).toEqual([
      `${greeting(1)}[You] before b\n`,
      `[You] still before b\n${entered('b', 2)}[You] hi b\n[${B}] hi a\n`,
      `${entered('c', 3)}[${B}] bye all\n${left('b', 2)}[You] b is gone\n`
    ]);
  });

  it('delivers the leave notices of others in the batch of their turn', async () => {
    expect(await writes('c', session())).toEqual([
      `${greeting(3)}[${B}] bye all\n${left('b', 2)}[${A}] b is gone\n${left('a', 1)}[You] alone\n`
    ]);
  });

  it('delivers nothing to a connection that never joined [CHAT-ORDER-4]', async () => {
    expect(await feedItems('zz', session())).toEqual([]);
  });

  it('gives a member that joins and leaves in one turn its farewell only, from its greeting', async () => {
    const order = new Order()
      .join('a')
      .endTurn()
      .say('a', 'before')
      .join('b')
      .say('a', 'hi b')
      .say('b', 'bye')
      .leave('b')
      .say('a', 'after')
      .endTurn();
    expect((await feedItems('b', order)).map(describeItem)).toEqual([
      'farewell b 2'
    ]);
    expect(await writes('b', order)).toEqual([
      `${greeting(2)}[${A}] hi b\n[You] bye\n`
    ]);
    expect(await writes('a', order)).toEqual([
      greeting(1),
      `[You] before\n${entered('b', 2)}[You] hi b\n[${B}] bye\n${left('b', 1)}[You] after\n`
    ]);
  });

  it('writes nothing of a farewell that holds nothing, and still ends there', async () => {
    const order = new Order()
      .join('a')
      .join('b')
      .endTurn()
      .leave('a')
      .endTurn();
    expect((await feedItems('a', order)).map(describeItem)).toEqual([
      'batch 1',
      'farewell a 2'
    ]);
    expect(await writes('a', order)).toEqual([
      `${greeting(1)}${entered('b', 2)}`
    ]);
    expect(await writes('b', order)).toEqual([greeting(2), left('a', 1)]);
  });

  it('ends with the shutdown notice and no silent leaves [CHAT-SHUT-1] [CHAT-SHUT-2]', async () => {
    const order = new Order()
      .join('a')
      .join('b')
      .endTurn()
      .say('b', 'last words')
      .closing()
      .leave('b', false)
      .leave('a', false)
      .endTurn();
    expect(await writes('a', order)).toEqual([
      `${greeting(1)}${entered('b', 2)}`,
      `[${B}] last words\n${SHUTDOWN}`
    ]);
    expect(await writes('b', order)).toEqual([
      greeting(2),
      `[You] last words\n${SHUTDOWN}`
    ]);
  });
});
