/**
 * Connection limits, idle timeout and flood pacing on real sockets
 * ([CHAT-LIMIT-1], [CHAT-IDLE-1], [CHAT-IN-5]).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../support/harness.js';
import { LINGER_MS } from '../../src/protocol/constants.js';
import { pollUntil } from '../support/daemon.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

const GREETING = /^Connected to the chat server \(\d+ users? online\)$/;

describe('[CHAT-LIMIT-1] connection limits', () => {
  it('refuses a connection over the per-address limit with one line, unseen by the room', async () => {
    const t = await daemon({ maxConnectionsPerIp: 2, perIpExempt: [] });
    const a = await client(t.port);
    await a.nextLine();
    const b = await client(t.port);
    await b.nextLine();
    await a.nextLine(); // b's join

    const refused = await client(t.port);
    await refused.send('let me in');
    await refused.closed;
    expect(refused.lines).toEqual([
      'Error: too many connections from 127.0.0.1 (limit 2)'
    ]);
    // The server reads (and drops) what the refused peer sent, then its FIN:
    // its socket is gone well before the linger would have reset it.
    await pollUntil(
      () => t.daemon.stats().sockets === 2,
      'the refused socket is closed',
      LINGER_MS / 2
    );

    // Nobody saw it come or go; the next line everyone sees is a message.
    await b.send('after the refusal');
    expect(await a.nextLine()).toBe(`[${b.localAddr}] after the refusal`);
    expect(t.daemon.stats().refused).toEqual({
      'server full': 0,
      'too many from address': 1,
      'origin not allowed': 0,
      'chat unavailable': 0
    });
    expect(
      t.chatConsoleLines().some((l) => l.includes(refused.localAddr))
    ).toBe(false);

    // A slot freed is a slot again.
    b.end();
    await a.waitForLine(`The user ${b.localAddr} left (1 user online)`);
    await pollUntil(() => t.daemon.stats().sockets === 1, 'b is gone');
    const c = await client(t.port);
    expect(await c.nextLine()).toBe(
      'Connected to the chat server (2 users online)'
    );
  });

  it('exempts loopback from the per-address limit by default', async () => {
    const t = await daemon({ maxConnectionsPerIp: 1 });
    const a = await client(t.port);
    await a.nextLine();
    const b = await client(t.port);
    expect(await b.nextLine()).toBe(
      'Connected to the chat server (2 users online)'
    );
  });

  it('refuses a connection over the global limit, even from an exempt address', async () => {
    const t = await daemon({ maxConnections: 1 });
    const a = await client(t.port);
    await a.nextLine();
    const refused = await client(t.port);
    await refused.closed;
    expect(refused.lines).toEqual([
      'Error: server full (1 connection); try again later'
    ]);
    expect(t.daemon.stats().refused['server full']).toBe(1);
    await a.send('still alone');
    expect(await a.nextLine()).toBe('[You] still alone');
  });
});

describe('[CHAT-IDLE-1] idle timeout', () => {
  it('disconnects a silent member with a reason and keeps one that talks', async () => {
    const t = await daemon({ idleTimeoutMs: 400, level: 'info' });
    const silent = await client(t.port);
    await silent.nextLine();
    const talker = await client(t.port);
    await talker.nextLine();

    const talking = (async () => {
      for (let i = 0; i < 8; i++) {
        await talker.send(`beat ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await silent.closed;
    expect(silent.lines.at(-1)).toBe('Error: disconnected: idle for 0.4 s');
    await talker.waitForLine(
      `The user ${silent.localAddr} left (1 user online)`
    );
    await talking;
    await talker.waitForLine('[You] beat 7');
    expect(talker.socket.destroyed).toBe(false);
    expect(t.daemon.stats().disconnects['idle timeout']).toBe(1);
    // Logged once, as the leave (its reason and idleMs: logging.test.ts).
    expect(
      t
        .consoleLines()
        .filter((l) => l.startsWith(`The user ${silent.localAddr} left (`))
    ).toHaveLength(1);
  });
});

describe('[CHAT-IN-5] flood pacing', () => {
  it('delays a burst over the rate, in order, without delaying anyone else', async () => {
    const rate = 20;
    const burst = 5;
    const lines = 25;
    const t = await daemon({ floodRate: rate, floodBurst: burst });
    const flooder = await client(t.port);
    await flooder.nextLine();
    const other = await client(t.port);
    await other.nextLine();
    await flooder.nextLine(); // other's join

    const started = Date.now();
    await flooder.write(
      Array.from({ length: lines }, (_, i) => `f${i}\n`).join('')
    );
    // Someone else talks while the flooder's lines are being paced.
    await other.send('not waiting');
    await other.waitForLine('[You] not waiting');
    const otherAt = Date.now() - started;
    await flooder.waitForLine(`[You] f${lines - 1}`, 10_000);
    await other.waitForLine(`[${flooder.localAddr}] f${lines - 1}`);
    const pacedFor = Date.now() - started;

    // Every line arrived, in order, over at least (lines - burst) / rate.
    expect(flooder.lines.filter((l) => l.startsWith('[You] f'))).toEqual(
      Array.from({ length: lines }, (_, i) => `[You] f${i}`)
    );
    const relayed = other.lines.filter((l) =>
      l.startsWith(`[${flooder.localAddr}]`)
    );
    expect(relayed).toEqual(
      Array.from({ length: lines }, (_, i) => `[${flooder.localAddr}] f${i}`)
    );
    expect(pacedFor).toBeGreaterThanOrEqual(
      ((lines - burst) / rate) * 1000 * 0.9
    );
    // The other member's line was relayed before the flood finished.
    expect(otherAt).toBeLessThan(pacedFor);
    expect(other.lines.indexOf('[You] not waiting')).toBeLessThan(
      other.lines.indexOf(`[${flooder.localAddr}] f${lines - 1}`)
    );
    expect(t.daemon.stats().pacedLines).toBe(lines - burst);
    expect(other.lines.filter((l) => GREETING.test(l))).toHaveLength(1);
  });
});
