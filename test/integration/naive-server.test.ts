/**
 * The naive fixture server really has each bug class it claims (issue 4), and
 * loses it when the bug is switched off, so chat-chaos has something real to
 * find in test/integration/chaos-finds-bugs.test.ts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPeer, type Peer } from '../../src/tools/peers/peer.js';
import { parseRoomLine } from '../../src/tools/peers/room-line.js';
import {
  BUG_NAMES,
  startNaiveServer,
  type BugName,
  type NaiveServer
} from '../fixtures/naive-server.js';
import { createCleanups } from '../support/cleanup.js';
import { until } from '../support/wait.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const MB = 1024 * 1024;

/** Only `bug` on (or none, with null). */
function only(bug: BugName | null): Record<BugName, boolean> {
  return Object.fromEntries(
    BUG_NAMES.map((name) => [name, name === bug])
  ) as Record<BugName, boolean>;
}

async function naive(bug: BugName | null): Promise<NaiveServer> {
  const server = await startNaiveServer({ bugs: only(bug) });
  cleanups.add(() => server.close());
  return server;
}

/** Connects and waits for the greeting. */
async function member(server: NaiveServer): Promise<Peer> {
  const peer = await connectPeer({ host: '127.0.0.1', port: server.port });
  cleanups.add(() => peer.destroy());
  await peer.waitForLine((line) => line.startsWith('Connected to'));
  return peer;
}

const isProtocolLine = (peer: Peer) => (line: string) =>
  parseRoomLine(line, peer.localAddr).kind !== 'unknown';

describe('the naive server', () => {
  it.each([true, false])(
    'noFraming %s: a fragmented line becomes broken messages',
    async (on) => {
      const server = await naive(on ? 'noFraming' : null);
      const [a, b] = [await member(server), await member(server)] as const;
      await a.waitForLine((line) => line.startsWith('New user'));

      await a.write('hel');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await a.write('lo\n');
      await a.send('one');
      await a.send('two');
      await b.waitForLine((line) => line.endsWith('two'));

      const got = b.lines.filter((line) => line.startsWith('['));
      if (on) {
        expect(got).toContain(`[${a.localAddr}] hel[${a.localAddr}] lo`);
        expect(b.lines.every(isProtocolLine(b))).toBe(false);
      } else {
        expect(got).toEqual(
          ['hello', 'one', 'two'].map((t) => `[${a.localAddr}] ${t}`)
        );
      }
    }
  );

  it('noFraming: lines coalesced in one write become one message', async () => {
    const server = await naive('noFraming');
    const [a, b] = [await member(server), await member(server)] as const;

    await a.write('first\nsecond\n');

    await b.waitForLine((line) => line === 'second');
    expect(b.lines).toContain(`[${a.localAddr}] first`);
  });

  it.each([true, false])(
    'splitWrites %s: concurrent messages interleave into merged lines',
    async (on) => {
      const server = await naive(on ? 'splitWrites' : null);
      const senders = [await member(server), await member(server)];
      const reader = await member(server);
      // Both senders' lines reach the server in the same event-loop turn
      // often enough; 30 rounds, each waited for, keep it bounded.
      for (let round = 0; round < 30; round++) {
        await Promise.all(senders.map((s, i) => s.send(`r${round}s${i}`)));
        await reader.waitForLine((line) => line.endsWith(`r${round}s1`));
        if (on && !reader.lines.every(isProtocolLine(reader))) break;
      }
      expect(reader.lines.every(isProtocolLine(reader))).toBe(!on);
    }
  );

  it.each([true, false])(
    'racyCount %s: joins at once lose count updates',
    async (on) => {
      const server = await naive(on ? 'racyCount' : null);

      const peers = await Promise.all(
        Array.from({ length: 6 }, () => member(server))
      );

      const greetings = peers.map((p) => p.lines[0]);
      expect(server.stats().members).toBe(6);
      if (on) {
        expect(server.stats().count).toBeLessThan(6);
        expect(new Set(greetings).size).toBeLessThan(6);
      } else {
        expect(server.stats().count).toBe(6);
        expect(new Set(greetings).size).toBe(6);
      }
    }
  );

  it('racyCount: a reset member is counted out twice', async () => {
    const server = await naive('racyCount');
    const stays = await member(server);
    const resets = await member(server);
    await stays.waitForLine((line) => line.startsWith('New user'));

    resets.reset();

    const left = await stays.waitForLine((line) => line.startsWith('The user'));
    expect(left).toBe(`The user ${resets.localAddr} left (0 users online)`);
    await until(() => server.stats().count === 0, 'both decrements land');
    expect(server.stats().members).toBe(1);
  });

  it.each([true, false])(
    'removeWhileIterating %s: a dead member makes the next one miss a line',
    async (on) => {
      const server = await naive(on ? 'removeWhileIterating' : null);
      // Newest first in its array: [dying, victim, sender].
      const sender = await member(server);
      const victim = await member(server);
      const dying = await member(server);
      dying.reset();
      await until(() => server.stats().dead === (on ? 1 : 0), 'it dies');
      await until(() => server.stats().members === (on ? 3 : 2), 'settled');

      await sender.send('are you there');
      await sender.send('hello?');

      await victim.waitForLine(`[${sender.localAddr}] hello?`);
      const heard = victim.lines.includes(
        `[${sender.localAddr}] are you there`
      );
      expect(heard).toBe(!on);
      expect(victim.lines).toContain(
        `The user ${dying.localAddr} left (2 users online)`
      );
    }
  );

  it.each([true, false])(
    'noSanitising %s: control characters and escapes pass through',
    async (on) => {
      const server = await naive(on ? 'noSanitising' : null);
      const [a, b] = [await member(server), await member(server)] as const;

      await a.send('a\u0000b \u001b[31mred\u001b[0m \u202eevil');

      const line = await b.waitForLine((l) => l.startsWith('['));
      expect(line).toBe(
        on
          ? `[${a.localAddr}] a\u0000b \u001b[31mred\u001b[0m \u202eevil`
          : `[${a.localAddr}] ab red evil`
      );
    }
  );

  it.each([true, false])(
    'noSendBound %s: a member that does not read is queued to without bound',
    async (on) => {
      const server = await naive(on ? 'noSendBound' : null);
      const stalled = await member(server);
      stalled.stopReading();
      const talker = await member(server);
      const line = 'x'.repeat(4000);

      // 12 MB relayed to a member that reads nothing: a few MB fit in the
      // kernel's buffers, the rest is queued in the server or dropped.
      for (let i = 0; i < 3000; i++) void talker.send(line);
      await talker.waitForLine((l) => l.startsWith('[You]'), 5000);
      await until(
        () => talker.lines.filter((l) => l.startsWith('[You]')).length === 3000,
        'the talker hears all its lines back',
        15_000
      );

      if (on) {
        expect(server.stats().queuedBytes).toBeGreaterThan(4 * MB);
        expect(stalled.socket.destroyed).toBe(false);
      } else {
        // Dropped once it owed 1 MiB: only the talker is left.
        await until(() => server.stats().members === 1, 'it is dropped');
        expect(server.stats().queuedBytes).toBeLessThan(2 * MB);
      }
    }
  );

  it('runs as a script and prints its port', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/naive-server.ts', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    cleanups.add(async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    });
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(/^listening on (\d+)\n$/.exec(first.toString())?.[1]);
    expect(port).toBeGreaterThan(0);

    const peer = await connectPeer({ host: '127.0.0.1', port });
    cleanups.add(() => peer.destroy());
    expect(await peer.nextLine()).toBe(
      'Connected to the chat server (1 user online)'
    );
  });
});
