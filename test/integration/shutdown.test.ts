/**
 * Graceful shutdown, `daemon.close()`: [CHAT-SHUT-1] [CHAT-SHUT-2].
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../support/harness.js';
import { connectClient, type TestClient } from '../support/client.js';
import { type TestDaemon } from '../support/daemon.js';
import { within } from '../support/wait.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

function online(n: number): string {
  return `${n} ${n === 1 ? 'user' : 'users'} online`;
}

/** Connects three members, one after another, each past its greeting and every join notice. */
async function threeMembers(
  t: TestDaemon
): Promise<[TestClient, TestClient, TestClient]> {
  const members: TestClient[] = [];
  for (let n = 1; n <= 3; n++) {
    const c = await client(t.port);
    await c.waitForLine(`Connected to the chat server (${online(n)})`);
    for (const other of members)
      await other.waitForLine(`New user ${c.localAddr} entered (${online(n)})`);
    members.push(c);
  }
  return members as [TestClient, TestClient, TestClient];
}

describe('[CHAT-SHUT] graceful shutdown', () => {
  it('[CHAT-SHUT-1] [CHAT-SHUT-2] sends Server shutting down as the last line to every member, then closes', async () => {
    const t = await daemon();
    const [a, b, c] = await threeMembers(t);

    await within(t.daemon.close(), 5000, 'daemon.close()');
    await within(
      Promise.all([a.closed, b.closed, c.closed]),
      5000,
      'closing the client sockets'
    );

    // Members leave silently: no leave notices, the shutdown line is last.
    expect(a.lines).toEqual([
      `Connected to the chat server (${online(1)})`,
      `New user ${b.localAddr} entered (${online(2)})`,
      `New user ${c.localAddr} entered (${online(3)})`,
      'Server shutting down'
    ]);
    expect(b.lines).toEqual([
      `Connected to the chat server (${online(2)})`,
      `New user ${c.localAddr} entered (${online(3)})`,
      'Server shutting down'
    ]);
    expect(c.lines).toEqual([
      `Connected to the chat server (${online(3)})`,
      'Server shutting down'
    ]);
    expect(t.daemon.memberCount()).toBe(0);
    expect(t.daemon.connectionCount()).toBe(0);
    await t.waitForConsole('exit');
    expect(t.consoleLines().at(-1)).toBe('exit');
    expect(t.consoleLines().filter((line) => line === 'exit')).toHaveLength(1);
  });

  it('refuses new connections once closed', async () => {
    const t = await daemon();
    await t.daemon.close();
    await expect(connectClient(t.port)).rejects.toMatchObject({
      code: 'ECONNREFUSED'
    });
  });

  it('resolves every close() call with the same shutdown', async () => {
    const t = await daemon();
    const [a] = await threeMembers(t);
    const first = t.daemon.close();
    const second = t.daemon.close();
    await within(Promise.all([first, second]), 5000, 'daemon.close() twice');
    await within(a.closed, 5000, 'closing the client socket');
    expect(a.lines.at(-1)).toBe('Server shutting down');
    expect(t.consoleLines().filter((line) => line === 'exit')).toHaveLength(1);
  });

  it('finishes within the shutdown timeout when one member never reads', async () => {
    const shutdownTimeoutMs = 1000;
    const t = await daemon({ shutdownTimeoutMs });
    const [a, b, stalled] = await threeMembers(t);
    stalled.socket.pause();

    // A few hundred KB that the stalled member never reads.
    const text = 'p'.repeat(2000);
    for (let i = 0; i < 150; i++) void a.send(`${i} ${text}`);
    await a.waitForLine((line) => line.startsWith('[You] 149 '), 10_000);
    await b.waitForLine(
      (line) => line.startsWith(`[${a.localAddr}] 149 `),
      10_000
    );

    const started = Date.now();
    await within(
      t.daemon.close(),
      shutdownTimeoutMs + 1500,
      'daemon.close() with a stalled member'
    );
    expect(Date.now() - started).toBeLessThan(shutdownTimeoutMs + 1500);

    await within(
      Promise.all([a.closed, b.closed]),
      5000,
      'closing the reading clients'
    );
    expect(a.lines.at(-1)).toBe('Server shutting down');
    expect(b.lines.at(-1)).toBe('Server shutting down');
    expect(t.daemon.memberCount()).toBe(0);
    expect(t.daemon.connectionCount()).toBe(0);
    expect(t.consoleLines().at(-1)).toBe('exit');

    // Whatever the stalled member gets once it reads again, its socket closes.
    stalled.socket.resume();
    await within(stalled.closed, 5000, 'closing the stalled client');
  });
});
