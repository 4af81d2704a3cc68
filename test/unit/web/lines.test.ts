/**
 * The chat page's line classifier (web/chat/lines.js) against the real
 * formatters of src/protocol: the page mirrors their patterns, and this is
 * where a change to a formatter that the page would misread fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../../src/protocol/command.js';
import {
  COMMAND_ERRORS,
  formatAction,
  formatNowIn,
  formatPrivateIn,
  formatPrivateOut,
  formatQuitNotice,
  formatRename,
  formatRooms,
  formatWho,
  memberLabel
} from '../../../src/protocol/command-format.js';
import {
  AVAILABLE_NOTICE,
  HISTORY_LOST_NOTICE,
  NOT_SENT_NOTICE,
  SHUTDOWN_NOTICE,
  UNAVAILABLE_NOTICE,
  formatGreeting,
  formatIdleTimeout,
  formatJoinNotice,
  formatLeaveNotice,
  formatOwn,
  formatRelayed,
  formatUnavailableTimeout
} from '../../../src/protocol/format.js';
import {
  ROOMS_PAGE_SIZE,
  WHO_NAMES_PER_LINE
} from '../../../src/protocol/constants.js';

/** What the test uses of web/chat/lines.js (plain JS, checked by web/tsconfig.json). */
interface LinesModule {
  classify: (line: string) => { kind: string } & Record<string, unknown>;
  nickRefusal: (line: string) => string | null;
  isNickname: (name: string) => boolean;
  isRoomName: (name: string) => boolean;
}

// A computed specifier: the root tsconfig does not read JS, web/tsconfig.json does.
const lines = (await import(
  new URL('../../../web/chat/lines.js', import.meta.url).href
)) as LinesModule;
const { classify } = lines;

const V4 = '127.0.0.1:49448';
const V6 = '[::1]:49448';
const NAMES = ['alice', 'Bob_2', 'x-y', V4, V6];

const nick = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,23}$/);
const speaker = fc.oneof(nick, fc.constantFrom(V4, V6, '10.0.0.255:1'));
/** Text as relayed: sanitised, not blank, no line break. */
const text = fc
  .string({ minLength: 1, maxLength: 60, unit: 'grapheme' })
  // Only what sanitising leaves: no control characters. [CHAT-IN-2]
  .map((s) => [...s].filter((c) => !/\p{Cc}/u.test(c)).join(''))
  .filter((s) => s.trim() !== '');

describe('classify (web/chat/lines.js)', () => {
  it('reads chat, own and private lines as the formatters write them', () => {
    fc.assert(
      fc.property(speaker, nick, text, (from, to, said) => {
        expect(classify(formatOwn(said))).toEqual({ kind: 'own', text: said });
        expect(classify(formatRelayed(from, said))).toEqual({
          kind: 'chat',
          from,
          text: said
        });
        expect(classify(formatPrivateIn(from, said))).toEqual({
          kind: 'private-in',
          from,
          text: said
        });
        expect(classify(formatPrivateOut(to, said))).toEqual({
          kind: 'private-out',
          to,
          text: said
        });
        expect(classify(formatAction(from, said))).toEqual({
          kind: 'action',
          name: from,
          text: said
        });
      })
    );
  });

  it('reads a relayed line whose text looks like a private prefix as chat', () => {
    expect(classify(formatRelayed('alice', '-> you] hi'))).toMatchObject({
      kind: 'chat',
      from: 'alice'
    });
    expect(classify(formatRelayed(V6, '[x] y'))).toEqual({
      kind: 'chat',
      from: V6,
      text: '[x] y'
    });
  });

  it('reads the notices with their labels and counts', () => {
    for (const label of [V4, V6, memberLabel(V4, 'alice')]) {
      for (const count of [0, 1, 2, 1234]) {
        expect(classify(formatJoinNotice(label, count))).toEqual({
          kind: 'join',
          label,
          count
        });
        expect(classify(formatLeaveNotice(label, count))).toEqual({
          kind: 'leave',
          label,
          reason: null,
          count
        });
        expect(
          classify(formatQuitNotice(label, 'bye (for now)', count))
        ).toEqual({
          kind: 'leave',
          label,
          reason: 'bye (for now)',
          count
        });
      }
    }
    expect(classify(formatGreeting(1))).toEqual({ kind: 'greeting', count: 1 });
    expect(classify(formatGreeting(7))).toEqual({ kind: 'greeting', count: 7 });
    expect(classify(formatNowIn('#dev', 1))).toEqual({
      kind: 'now-in',
      room: '#dev',
      count: 1
    });
    expect(classify(formatRename(V6, 'alice'))).toEqual({
      kind: 'rename',
      old: V6,
      name: 'alice'
    });
    expect(classify(formatRename('alice', 'Alice'))).toEqual({
      kind: 'rename',
      old: 'alice',
      name: 'Alice'
    });
  });

  it('reads every line of a /who answer, however many names', () => {
    for (const count of [1, 2, WHO_NAMES_PER_LINE, WHO_NAMES_PER_LINE + 1]) {
      const names = Array.from({ length: count }, (_, i) => NAMES[i % 5] ?? '');
      const [header, ...rest] = formatWho('#lobby', names, WHO_NAMES_PER_LINE);
      expect(classify(header ?? '')).toEqual({
        kind: 'who-header',
        room: '#lobby',
        count
      });
      const read = rest.map(classify);
      expect(read.every((line) => line.kind === 'who-names')).toBe(true);
      expect(read.flatMap((line) => line['names'] as string[])).toEqual(names);
    }
  });

  it('reads every line of a /rooms answer, the "more" line included', () => {
    const rooms = Array.from({ length: ROOMS_PAGE_SIZE + 1 }, (_, i) => ({
      name: `#r${i}`,
      count: i
    }));
    const page1 = formatRooms(rooms, 1, ROOMS_PAGE_SIZE).map(classify);
    expect(page1[0]).toEqual({
      kind: 'rooms-header',
      total: rooms.length,
      page: 1,
      pages: 2
    });
    expect(page1[1]).toEqual({ kind: 'rooms-entry', room: '#r0', count: 0 });
    expect(page1[2]).toEqual({ kind: 'rooms-entry', room: '#r1', count: 1 });
    expect(page1.at(-1)).toEqual({ kind: 'rooms-more', page: 2 });
    expect(page1.slice(1, -1).every((l) => l.kind === 'rooms-entry')).toBe(
      true
    );
    const page2 = formatRooms(rooms, 2, ROOMS_PAGE_SIZE).map(classify);
    expect(page2.map((l) => l.kind)).toEqual(['rooms-header', 'rooms-entry']);
  });

  it('tells shutdown, unavailability and disconnects apart', () => {
    expect(classify(SHUTDOWN_NOTICE)).toEqual({ kind: 'shutdown' });
    expect(classify(AVAILABLE_NOTICE)).toEqual({ kind: 'available' });
    for (const line of [UNAVAILABLE_NOTICE, NOT_SENT_NOTICE])
      expect(classify(line)).toMatchObject({
        kind: 'error',
        about: 'unavailable'
      });
    for (const line of [
      formatIdleTimeout(300_000),
      formatUnavailableTimeout(30_000)
    ])
      expect(classify(line)).toMatchObject({
        kind: 'error',
        about: 'disconnected'
      });
    expect(classify(COMMAND_ERRORS.unavailable)).toMatchObject({
      kind: 'error',
      about: 'command-unavailable'
    });
    for (const line of [HISTORY_LOST_NOTICE, COMMAND_ERRORS.noSuchUser('bob')])
      expect(classify(line)).toEqual({
        kind: 'error',
        text: line,
        about: null
      });
  });

  it('reads the refusals of /nick, and no other line, as naming a name', () => {
    expect(lines.nickRefusal(COMMAND_ERRORS.nickTaken('alice'))).toBe('alice');
    expect(lines.nickRefusal(COMMAND_ERRORS.sameNick('bob'))).toBe('bob');
    const invalid = parseInput('/nick 9lives');
    expect(invalid.type).toBe('cmd.invalid');
    if (invalid.type === 'cmd.invalid')
      expect(lines.nickRefusal(invalid.message)).toBe('9lives');
    expect(lines.nickRefusal(COMMAND_ERRORS.noSuchUser('alice'))).toBeNull();
    expect(
      lines.nickRefusal(formatRelayed('x', 'Error: nickname a is taken'))
    ).toBeNull();
  });

  it('reads anything else, help included, as a plain notice', () => {
    for (const line of ['Commands:', '/help - this list', 'hello', '[nope'])
      expect(classify(line)).toEqual({ kind: 'notice', text: line });
  });

  it('agrees with the protocol on names and rooms', () => {
    expect(lines.isNickname('a'.repeat(24))).toBe(true);
    expect(lines.isNickname('a'.repeat(25))).toBe(false);
    expect(lines.isNickname('9a')).toBe(false);
    expect(lines.isRoomName(`#${'r'.repeat(32)}`)).toBe(true);
    expect(lines.isRoomName(`#${'r'.repeat(33)}`)).toBe(false);
    expect(lines.isRoomName('dev')).toBe(false);
  });
});
