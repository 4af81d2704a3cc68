/**
 * Protocol v2's commands over real loopback sockets (issue 17;
 * docs/protocol.md, "Commands (v2)"). Test names cite the rule ids.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HELP_LINES } from '../../src/protocol/command.js';
import type { TestClient } from '../support/client.js';
import { createHarness, online } from '../support/harness.js';
import { pollUntil } from '../support/daemon.js';

const { cleanups, daemon, client, twoMembers } = createHarness();
afterEach(() => cleanups.run());

/** The lines `c` receives until (and with) `last`. */
async function linesUntil(c: TestClient, last: string): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    const next = await c.nextLine();
    lines.push(next);
    if (next === last) return lines;
  }
  throw new Error(`no ${last} in 100 lines: ${lines.join(' | ')}`);
}

describe('commands', () => {
  it('two users pick names, meet in a room, whisper, act, list, move and leave [CHAT-CMD-NICK] [CHAT-CMD-JOIN] [CHAT-CMD-MSG] [CHAT-CMD-ME] [CHAT-CMD-WHO] [CHAT-CMD-ROOMS] [CHAT-CMD-QUIT]', async () => {
    const { t, a, b } = await twoMembers();
    await a.send('/nick alice');
    expect(await a.nextLine()).toBe(`${a.localAddr} is now known as alice`);
    expect(await b.nextLine()).toBe(`${a.localAddr} is now known as alice`);
    await b.send('/nick Bob');
    expect(await b.nextLine()).toBe(`${b.localAddr} is now known as Bob`);
    expect(await a.nextLine()).toBe(`${b.localAddr} is now known as Bob`);
    await a.send('hi');
    expect(await a.nextLine()).toBe('[You] hi');
    expect(await b.nextLine()).toBe('[alice] hi');

    await a.send('/join #Dev');
    expect(await b.nextLine()).toBe(
      `The user alice (${a.localAddr}) left (${online(1)})`
    );
    expect(await a.nextLine()).toBe(`Now in #Dev (${online(1)})`);
    await b.send('/join #dev');
    expect(await b.nextLine()).toBe(`Now in #Dev (${online(2)})`);
    expect(await a.nextLine()).toBe(
      `New user Bob (${b.localAddr}) entered (${online(2)})`
    );

    await a.send('/who');
    expect(await a.nextLine()).toBe(`Members of #Dev (${online(2)}):`);
    expect(await a.nextLine()).toBe('  alice, Bob');
    await b.send('/rooms');
    expect(await linesUntil(b, `  #lobby (${online(0)})`)).toEqual([
      'Rooms: 2 (page 1 of 1)',
      `  #Dev (${online(2)})`,
      `  #lobby (${online(0)})`
    ]);

    await a.send('/msg BOB psst');
    expect(await a.nextLine()).toBe('[you -> Bob] psst');
    expect(await b.nextLine()).toBe('[alice -> you] psst');
    await b.send('/me waves');
    expect(await b.nextLine()).toBe('* Bob waves');
    expect(await a.nextLine()).toBe('* Bob waves');
    await b.send('//join is a command');
    expect(await b.nextLine()).toBe('[You] /join is a command');
    expect(await a.nextLine()).toBe('[Bob] /join is a command');

    await a.send('/quit see you');
    expect(await b.nextLine()).toBe(
      `The user alice (${a.localAddr}) left: see you (${online(1)})`
    );
    await a.closed;
    expect(a.lines.at(-1)).toBe('[Bob] /join is a command');
    await b.send('/part');
    expect(await b.nextLine()).toBe(`Now in #lobby (${online(1)})`);
    await pollUntil(
      () => t.daemon.stats().rooms === 1 && t.daemon.stats().names === 1,
      'the empty room closed and the quitter name is free'
    );
    await b.send('/nick alice');
    expect(await b.nextLine()).toBe(`Bob is now known as alice`);
  });
});

describe('answers and refusals', () => {
  it('answers /help with one line per command [CHAT-CMD-HELP]', async () => {
    const { a } = await twoMembers();
    await a.send('/help');
    for (const expected of HELP_LINES)
      expect(await a.nextLine()).toBe(expected);
  });

  it('refuses a bad command with one Error line, counts it, and stays connected [CHAT-CMD-ERR]', async () => {
    const { t, a, b } = await twoMembers();
    await b.send('/nick taken');
    await b.waitForLine(`${b.localAddr} is now known as taken`);
    await a.waitForLine(`${b.localAddr} is now known as taken`);
    const cases: Array<[string, string]> = [
      [
        '/frobnicate now',
        'Error: unknown command /frobnicate; /help lists the commands'
      ],
      [
        '/nick 9lives',
        'Error: invalid nickname 9lives; use 1-24 letters, digits, _ or -, starting with a letter'
      ],
      [
        `/nick ${'a'.repeat(25)}`,
        `Error: invalid nickname ${'a'.repeat(25)}; use 1-24 letters, digits, _ or -, starting with a letter`
      ],
      ['/nick', 'Error: usage: /nick NAME'],
      ['/nick TAKEN', 'Error: nickname TAKEN is taken'],
      [
        '/join lobby',
        'Error: invalid room name lobby; use # and 1-32 letters, digits, _ or -'
      ],
      [
        `/join #${'r'.repeat(33)}`,
        `Error: invalid room name #${'r'.repeat(33)}; use # and 1-32 letters, digits, _ or -`
      ],
      ['/join #LOBBY', 'Error: you are already in #lobby'],
      ['/part', 'Error: you are already in #lobby'],
      ['/msg nobody hi', 'Error: no such user nobody'],
      ['/msg taken', 'Error: usage: /msg NAME text'],
      ['/me', 'Error: usage: /me text'],
      ['/who now', 'Error: usage: /who'],
      ['/rooms 2', 'Error: no such page; /rooms has 1 page'],
      ['/rooms x', 'Error: usage: /rooms [PAGE]']
    ];
    for (const [command, error] of cases) {
      await a.send(command);
      expect(await a.nextLine(), command).toBe(error);
    }
    await a.send('still here');
    expect(await a.nextLine()).toBe('[You] still here');
    expect(await b.nextLine()).toBe(`[${a.localAddr}] still here`);
    expect(t.daemon.stats().commandRefusals).toMatchObject({
      'invalid command': 10,
      'nickname taken': 1,
      'already there': 2,
      'no such user': 1,
      'no such page': 1
    });
    await t.waitForConsole((line) => line.includes('command refused'));
  });

  it('limits rooms in all and rooms created per connection per minute [CHAT-LIMIT-2]', async () => {
    const { a, b } = await twoMembers({
      rooms: { maxRooms: 3, roomCreatesPerMinute: 1 }
    });
    await a.send('/join #one');
    expect(await a.nextLine()).toBe(`Now in #one (${online(1)})`);
    await a.send('/join #two');
    expect(await a.nextLine()).toBe(
      'Error: too many rooms created (limit 1 a minute); try again later'
    );
    await b.send('/join #two');
    expect(await b.nextLine()).toBe(
      `The user ${a.localAddr} left (${online(1)})`
    );
    expect(await b.nextLine()).toBe(`Now in #two (${online(1)})`);
    await b.send('/part');
    expect(await b.nextLine()).toBe(`Now in #lobby (${online(1)})`);
    // #two is gone with its last member; #one still counts.
    await b.send('/join #three');
    expect(await b.nextLine()).toBe(
      'Error: too many rooms created (limit 1 a minute); try again later'
    );
    await a.send('/join #one');
    expect(await a.nextLine()).toBe('Error: you are already in #one');
  });

  it('refuses a new room past the total limit [CHAT-LIMIT-2]', async () => {
    const { a, b } = await twoMembers({ rooms: { maxRooms: 2 } });
    await a.send('/join #one');
    expect(await a.nextLine()).toBe(`Now in #one (${online(1)})`);
    await b.send('/join #two');
    await b.waitForLine(
      'Error: too many rooms (limit 2); join an existing one'
    );
    await b.send('/join #ONE');
    await b.waitForLine(`Now in #one (${online(2)})`);
  });

  it('paces commands like lines [CHAT-IN-5]', async () => {
    const t = await daemon({ floodRate: 10, floodBurst: 1 });
    const a = await client(t.port);
    await a.waitForLine(`Connected to the chat server (${online(1)})`);
    const started = Date.now();
    await a.write('/who\n/who\n/who\n/who\n/who\n');
    for (let i = 0; i < 5; i += 1) {
      await a.waitForLine(`Members of #lobby (${online(1)}):`);
      await a.nextLine();
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

describe('ordering and isolation', () => {
  it('gives exactly one of many racing clients the name [CHAT-NICK-1]', async () => {
    const t = await daemon();
    const racers: TestClient[] = [];
    for (let i = 0; i < 20; i += 1) {
      const c = await client(t.port);
      await c.waitForLine((line) =>
        line.startsWith('Connected to the chat server')
      );
      racers.push(c);
    }
    await Promise.all(racers.map((c) => c.send('/nick Winner')));
    const outcomes = await Promise.all(
      racers.map((c) =>
        c.waitForLine(
          (line) =>
            line === 'Error: nickname Winner is taken' ||
            line === `${c.localAddr} is now known as Winner`
        )
      )
    );
    expect(outcomes.filter((o) => o.startsWith('Error:'))).toHaveLength(19);
    expect(t.daemon.stats().names).toBe(1);
  });

  it('never sends a line said in one room to another room, and moves lines sent right after /join with the mover [CHAT-ROOM-2]', async () => {
    const t = await daemon();
    const [a, b, c] = [
      await client(t.port),
      await client(t.port),
      await client(t.port)
    ];
    await c.waitForLine(`Connected to the chat server (${online(3)})`);
    await a.write('/join #a\nfirst in a\n');
    await a.waitForLine(`Now in #a (${online(1)})`);
    await a.waitForLine('[You] first in a');
    await b.send('/join #a');
    await b.waitForLine(`Now in #a (${online(2)})`);
    await c.waitForLine(`The user ${b.localAddr} left (${online(1)})`);
    for (let i = 0; i < 20; i += 1) await a.send(`a says ${i}`);
    await c.send('lobby says');
    await b.waitForLine('[' + a.localAddr + '] a says 19');
    await c.waitForLine('[You] lobby says');
    await c.send('/who');
    await c.waitForLine(`  ${c.localAddr}`);
    expect(
      c.lines.filter((l) => l.includes('says') && !l.includes('lobby'))
    ).toEqual([]);
    expect(b.lines.filter((l) => l.includes('lobby says'))).toEqual([]);
    expect(b.lines.filter((l) => l.includes('first in a'))).toEqual([]);
    await pollUntil(() => t.daemon.stats().rooms === 2, 'two rooms');
    for (const each of [a, b, c]) each.end();
    // Nothing is left of the room or its members. [CHAT-ROOM-1]
    await pollUntil(
      () => {
        const s = t.daemon.stats();
        return (
          s.actors === 1 &&
          s.rooms === 1 &&
          s.members === 0 &&
          s.feeds === 0 &&
          s.names === 0
        );
      },
      'the daemon holds nothing for any connection',
      5000,
      () => JSON.stringify(t.daemon.stats())
    );
  });

  it('orders a private line after what its target was already sent [CHAT-CMD-MSG]', async () => {
    const { a, b } = await twoMembers();
    await b.send('/nick target');
    await a.waitForLine(`${b.localAddr} is now known as target`);
    await a.write('one\ntwo\n/msg target three\n');
    expect(await b.nextLine()).toBe(`${b.localAddr} is now known as target`);
    expect(await b.nextLine()).toBe(`[${a.localAddr}] one`);
    expect(await b.nextLine()).toBe(`[${a.localAddr}] two`);
    expect(await b.nextLine()).toBe(`[${a.localAddr} -> you] three`);
    expect(await a.nextLine()).toBe('[You] one');
    expect(await a.nextLine()).toBe('[You] two');
    expect(await a.nextLine()).toBe('[you -> target] three');
  });

  it('frees a name when its holder leaves or renames [CHAT-NICK-1]', async () => {
    const { t, a, b } = await twoMembers();
    await a.send('/nick first');
    await b.waitForLine(`${a.localAddr} is now known as first`);
    await a.send('/nick second');
    await b.waitForLine('first is now known as second');
    await b.send('/nick First');
    await a.waitForLine(`${b.localAddr} is now known as First`);
    a.end();
    await b.waitForLine(`The user second (${a.localAddr}) left (${online(1)})`);
    await pollUntil(() => t.daemon.stats().names === 1, 'one name held');
    await b.send('/nick second');
    await b.waitForLine('First is now known as second');
  });

  it('moves a member mid-chat with the leave handshake: its lines before its leave, everything ordered before the leave to it [CHAT-CMD-JOIN] [CHAT-ORDER-3]', async () => {
    const t = await daemon();
    const [a, b, c] = [
      await client(t.port),
      await client(t.port),
      await client(t.port)
    ];
    await a.waitForLine(`New user ${c.localAddr} entered (${online(3)})`);
    await b.waitForLine(`New user ${c.localAddr} entered (${online(3)})`);
    const chatter = Array.from({ length: 50 }, (_, i) => `c${i}`);
    await Promise.all([
      c.write(chatter.map((text) => `${text}\n`).join('')),
      a.write('x1\nx2\n/join #z\nz1\n')
    ]);
    await a.waitForLine('[You] z1');
    await b.waitForLine(`[${c.localAddr}] c49`);
    const cLine = (l: string) => l.startsWith(`[${c.localAddr}] `);
    const leave = `The user ${a.localAddr} left (${online(2)})`;
    // The lobby sees a's lines, then its leave, and nothing said in #z.
    const seenByB = b.lines.filter(
      (l) => l.startsWith(`[${a.localAddr}] `) || l === leave
    );
    expect(seenByB).toEqual([
      `[${a.localAddr}] x1`,
      `[${a.localAddr}] x2`,
      leave
    ]);
    // a got exactly what the lobby ordered before its leave, then its greeting.
    const beforeLeave = b.lines.slice(0, b.lines.indexOf(leave)).filter(cLine);
    const nowIn = a.lines.indexOf(`Now in #z (${online(1)})`);
    expect(a.lines.slice(0, nowIn).filter(cLine)).toEqual(beforeLeave);
    expect(a.lines.slice(nowIn + 1)).toEqual(['[You] z1']);
  });
});
