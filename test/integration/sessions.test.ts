/**
 * The original program's three recorded sessions, replayed line for line:
 * every line each client receives and every server console line, in order.
 * Each step waits for its expected lines before the next, so the transcripts
 * are exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../support/harness.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

describe('original sessions', () => {
  it('replays session 1: two clients chat and leave', async () => {
    const t = await daemon();
    const a = await client(t.port);
    await a.waitForLine('Connected to the chat server (1 user online)');
    await t.waitForConsole(`New user ${a.localAddr} entered (1 user online)`);

    const b = await client(t.port);
    await b.waitForLine('Connected to the chat server (2 users online)');
    await a.waitForLine(`New user ${b.localAddr} entered (2 users online)`);

    await a.send('hello');
    await a.waitForLine('[You] hello');
    await b.waitForLine(`[${a.localAddr}] hello`);

    await b.send('hi, how are you?');
    await b.waitForLine('[You] hi, how are you?');
    await a.waitForLine(`[${b.localAddr}] hi, how are you?`);

    a.end();
    await b.waitForLine(`The user ${a.localAddr} left (1 user online)`);
    await a.closed;

    b.end();
    await t.waitForConsole(`The user ${b.localAddr} left (0 users online)`);
    await b.closed;

    expect(a.lines).toEqual([
      'Connected to the chat server (1 user online)',
      `New user ${b.localAddr} entered (2 users online)`,
      '[You] hello',
      `[${b.localAddr}] hi, how are you?`
    ]);
    expect(b.lines).toEqual([
      'Connected to the chat server (2 users online)',
      `[${a.localAddr}] hello`,
      '[You] hi, how are you?',
      `The user ${a.localAddr} left (1 user online)`
    ]);
    expect(t.chatConsoleLines()).toEqual([
      `Chat Server started on port ${t.port}.`,
      `New user ${a.localAddr} entered (1 user online)`,
      `New user ${b.localAddr} entered (2 users online)`,
      `[${a.localAddr}] hello`,
      `[${b.localAddr}] hi, how are you?`,
      `The user ${a.localAddr} left (1 user online)`,
      `The user ${b.localAddr} left (0 users online)`
    ]);
  });

  it('replays session 2: three clients each say Hello in turn', async () => {
    const t = await daemon();
    const a = await client(t.port);
    await a.waitForLine('Connected to the chat server (1 user online)');
    const b = await client(t.port);
    await b.waitForLine('Connected to the chat server (2 users online)');
    await a.waitForLine(`New user ${b.localAddr} entered (2 users online)`);
    const c = await client(t.port);
    await c.waitForLine('Connected to the chat server (3 users online)');
    await a.waitForLine(`New user ${c.localAddr} entered (3 users online)`);
    await b.waitForLine(`New user ${c.localAddr} entered (3 users online)`);

    const all = [a, b, c];
    for (const speaker of all) {
      await speaker.send('Hello');
      for (const listener of all) {
        await listener.waitForLine(
          listener === speaker ? '[You] Hello' : `[${speaker.localAddr}] Hello`
        );
      }
    }
    await t.waitForConsole(`[${c.localAddr}] Hello`);

    expect(a.lines).toEqual([
      'Connected to the chat server (1 user online)',
      `New user ${b.localAddr} entered (2 users online)`,
      `New user ${c.localAddr} entered (3 users online)`,
      '[You] Hello',
      `[${b.localAddr}] Hello`,
      `[${c.localAddr}] Hello`
    ]);
    expect(b.lines).toEqual([
      'Connected to the chat server (2 users online)',
      `New user ${c.localAddr} entered (3 users online)`,
      `[${a.localAddr}] Hello`,
      '[You] Hello',
      `[${c.localAddr}] Hello`
    ]);
    expect(c.lines).toEqual([
      'Connected to the chat server (3 users online)',
      `[${a.localAddr}] Hello`,
      `[${b.localAddr}] Hello`,
      '[You] Hello'
    ]);
    expect(t.chatConsoleLines()).toEqual([
      `Chat Server started on port ${t.port}.`,
      `New user ${a.localAddr} entered (1 user online)`,
      `New user ${b.localAddr} entered (2 users online)`,
      `New user ${c.localAddr} entered (3 users online)`,
      `[${a.localAddr}] Hello`,
      `[${b.localAddr}] Hello`,
      `[${c.localAddr}] Hello`
    ]);
  });

  it('replays session 3: three clients leave one by one', async () => {
    const t = await daemon();
    const a = await client(t.port);
    await a.waitForLine('Connected to the chat server (1 user online)');
    const b = await client(t.port);
    await b.waitForLine('Connected to the chat server (2 users online)');
    await a.waitForLine(`New user ${b.localAddr} entered (2 users online)`);
    const c = await client(t.port);
    await c.waitForLine('Connected to the chat server (3 users online)');
    await a.waitForLine(`New user ${c.localAddr} entered (3 users online)`);
    await b.waitForLine(`New user ${c.localAddr} entered (3 users online)`);

    a.end();
    await b.waitForLine(`The user ${a.localAddr} left (2 users online)`);
    await c.waitForLine(`The user ${a.localAddr} left (2 users online)`);
    await a.closed;

    b.end();
    await c.waitForLine(`The user ${b.localAddr} left (1 user online)`);
    await b.closed;

    c.end();
    await t.waitForConsole(`The user ${c.localAddr} left (0 users online)`);
    await c.closed;

    expect(a.lines).toEqual([
      'Connected to the chat server (1 user online)',
      `New user ${b.localAddr} entered (2 users online)`,
      `New user ${c.localAddr} entered (3 users online)`
    ]);
    expect(b.lines).toEqual([
      'Connected to the chat server (2 users online)',
      `New user ${c.localAddr} entered (3 users online)`,
      `The user ${a.localAddr} left (2 users online)`
    ]);
    expect(c.lines).toEqual([
      'Connected to the chat server (3 users online)',
      `The user ${a.localAddr} left (2 users online)`,
      `The user ${b.localAddr} left (1 user online)`
    ]);
    expect(t.chatConsoleLines()).toEqual([
      `Chat Server started on port ${t.port}.`,
      `New user ${a.localAddr} entered (1 user online)`,
      `New user ${b.localAddr} entered (2 users online)`,
      `New user ${c.localAddr} entered (3 users online)`,
      `The user ${a.localAddr} left (2 users online)`,
      `The user ${b.localAddr} left (1 user online)`,
      `The user ${c.localAddr} left (0 users online)`
    ]);
    expect(t.daemon.memberCount()).toBe(0);
  });
});
