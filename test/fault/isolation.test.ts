/**
 * Fault isolation (issue 3, item 5): a throw inside one connection's handling,
 * provoked through the real code path, closes that connection with reason
 * `internal error`, logs its stack at `error`, and leaves the room and every
 * other connection untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../support/harness.js';
import { replacePort } from '../support/wrap-port.js';
import { activeTimers, expectNoLeaks } from '../support/leaks.js';
import { connectClient, type TestClient } from '../support/client.js';
import type { TestDaemon, TestDaemonOptions } from '../support/daemon.js';
import {
  allListeners,
  FAULT_TRANSPORTS,
  type Endpoint
} from '../support/transports.js';

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

function errorRecords(lines: string[]): string[] {
  return lines.filter((line) => line.startsWith('error: connection failed'));
}

// The throw is inside the connection's handling, above whatever frames the
// bytes, so each case runs over plain TCP, TLS and WebSocket alike (issue 18).
describe.each(FAULT_TRANSPORTS)('fault isolation over %s', (kind) => {
  /** A daemon listening on every transport, and the endpoint for `kind`. */
  const start = async (
    options: TestDaemonOptions
  ): Promise<{ t: TestDaemon; at: Endpoint }> => {
    const listeners = allListeners(cleanups);
    const t = await daemon({ ...options, ...listeners.options });
    return { t, at: listeners.endpointOf(t.daemon, kind) };
  };
  /** A client of `at`, destroyed on cleanup. */
  const client = async (at: Endpoint): Promise<TestClient> => {
    const peer = await connectClient(at);
    cleanups.add(() => peer.destroy());
    return peer;
  };

  it('closes only the connection whose write throws, with its stack logged', async () => {
    const timers = activeTimers();
    const { t, at } = await start({
      level: 'info',
      // c2 is the second connection accepted: the victim.
      wrapPort: replacePort('c2', (port) => ({
        write: (data, lines) => {
          if (data.toString().includes('poison'))
            throw new Error('formatter exploded');
          port.write(data, lines);
        }
      }))
    });
    const a = await client(at);
    await a.nextLine();
    const victim = await client(at);
    await victim.nextLine();
    const c = await client(at);
    await c.nextLine();
    await a.nextLine(); // c's join

    await a.send('poison pill');
    await a.waitForLine('[You] poison pill');
    await c.waitForLine(`[${a.localAddr}] poison pill`);
    // Everyone else sees the victim leave, in the same order.
    const leave = `The user ${victim.localAddr} left (2 users online)`;
    await a.waitForLine(leave);
    await c.waitForLine(leave);
    await victim.closed;
    expect(victim.lines).not.toContain(`[${a.localAddr}] poison pill`);

    // The room and the others are untouched: they chat on, newcomers join.
    await c.send('still here');
    await a.waitForLine(`[${c.localAddr}] still here`);
    const d = await client(at);
    expect(await d.nextLine()).toBe(
      'Connected to the chat server (3 users online)'
    );

    const [record] = errorRecords(t.consoleLines());
    expect(record).toContain('reason="internal error"');
    expect(record).toContain('formatter exploded');
    expect(record).toMatch(/\\n {4}at /); // the stack, escaped on one line
    expect(t.daemon.stats().disconnects['internal error']).toBe(1);

    for (const peer of [a, c, d]) peer.end();
    await Promise.all([a.closed, c.closed, d.closed]);
    await expectNoLeaks(t.daemon, timers);
  });

  it('closes only the connection whose action throws (the actor fails)', async () => {
    const timers = activeTimers();
    const { t, at } = await start({
      level: 'info',
      wrapPort: replacePort('c2', () => ({
        resumeInput: () => {
          throw new Error('resume exploded');
        }
      }))
    });
    const a = await client(at);
    await a.nextLine();
    const victim = await client(at);
    // It joined (the room announced it), then its `online` entry threw.
    await a.waitForLine(
      `New user ${victim.localAddr} entered (2 users online)`
    );
    await a.waitForLine(`The user ${victim.localAddr} left (1 user online)`);
    await victim.closed;

    await a.send('alone but fine');
    await a.waitForLine('[You] alone but fine');
    const [record] = errorRecords(t.consoleLines());
    expect(record).toContain('resume exploded');
    expect(record).toMatch(/\\n {4}at /);
    expect(t.daemon.stats().disconnects['internal error']).toBe(1);
    expect(t.daemon.memberCount()).toBe(1);

    a.end();
    await a.closed;
    await expectNoLeaks(t.daemon, timers);
  });
});
