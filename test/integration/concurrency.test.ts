/**
 * Many clients at once: [CHAT-ORDER-1] one total order, delivered exactly
 * once; [CHAT-COUNT-2] counts follow membership; [CHAT-WIRE-3] a cut-off line
 * is never relayed. The console log is the reference order: the room writes
 * its join, message and leave lines in its own total order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import {
  parseConsoleLine,
  pollUntil,
  startTestDaemon
} from '../support/daemon.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const CLIENTS = 200;
const MESSAGES_EACH = 5;
const PARTIAL = 'half a line';
const GREETING_RE = /^Connected to the chat server \((\d+ users? online)\)$/;

interface Participant {
  readonly index: number;
  readonly client: TestClient;
  /** Speaks only once every late client has joined. */
  readonly late: boolean;
  /** Ends mid-line: `destroy` (usually a FIN) or `reset` (an RST), not `end()`. */
  readonly abrupt: 'destroy' | 'reset' | null;
}

/** A client's transcript as the console shows the same events. */
function asConsole(addr: string, lines: readonly string[]): string[] {
  return lines.map((line) => {
    const greeting = GREETING_RE.exec(line);
    if (greeting) return `New user ${addr} entered (${greeting[1]})`;
    if (line.startsWith('[You] '))
      return `[${addr}] ${line.slice('[You] '.length)}`;
    return line;
  });
}

function firstDifference(
  actual: readonly string[],
  expected: readonly string[]
): string | null {
  const length = Math.max(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (actual[i] !== expected[i]) {
      return `line ${i}: got ${JSON.stringify(actual[i])}, expected ${JSON.stringify(expected[i])} (${actual.length} lines received, ${expected.length} expected)`;
    }
  }
  return null;
}

describe('[CHAT-ORDER] many concurrent clients', () => {
  it('[CHAT-ORDER-1] [CHAT-COUNT-2] [CHAT-WIRE-3] gives 200 concurrent clients every event once, in the room order', async () => {
    const t = await startTestDaemon();
    cleanups.add(() => t.daemon.close());

    // All connects fired together.
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const c = await connectClient(t.port, '127.0.0.1', 10_000);
        cleanups.add(() => c.destroy());
        return c;
      })
    );
    // Early clients (even) speak as soon as they are connected, while the
    // others are still joining; late clients (odd) wait until all of them
    // are members, then speak at once while early ones are leaving. One in
    // four of each group ends mid-line: half of those destroy their socket,
    // half reset it (RST).
    const participants: Participant[] = clients.map((client, index) => ({
      index,
      client,
      late: index % 2 === 1,
      abrupt: index % 8 === 6 ? 'destroy' : index % 8 === 7 ? 'reset' : null
    }));
    const lateJoined = Promise.all(
      participants.filter((p) => p.late).map((p) => p.client.nextLine(10_000))
    );

    await Promise.all(
      participants.map(async ({ index, client, late, abrupt }) => {
        if (late) await lateJoined;
        for (let k = 0; k < MESSAGES_EACH; k++) {
          void client.send(`m-${index}-${k}`);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await client.waitForLine(
          `[You] m-${index}-${MESSAGES_EACH - 1}`,
          15_000
        );
        if (abrupt === 'destroy') {
          void client.write(PARTIAL);
          client.destroy();
        } else if (abrupt === 'reset') {
          void client.write(PARTIAL);
          client.socket.resetAndDestroy();
        } else {
          client.end();
        }
        await client.closed;
      })
    );

    await pollUntil(
      () => t.daemon.memberCount() === 0 && t.daemon.connectionCount() === 0,
      'memberCount() and connectionCount() are 0',
      10_000,
      () =>
        `memberCount() = ${t.daemon.memberCount()}, connectionCount() = ${t.daemon.connectionCount()}`
    );
    await t.waitForConsole(
      (line) => line.endsWith(' left (0 users online)'),
      5000
    );

    // The reference order: the console's join, message and leave lines.
    const order = t.consoleLines().filter((line) => {
      const kind = parseConsoleLine(line)?.kind;
      return kind === 'join' || kind === 'message' || kind === 'leave';
    });
    const byAddr = new Map(participants.map((p) => [p.client.localAddr, p]));
    expect(byAddr.size).toBe(CLIENTS);

    // (a) counts follow membership; each member joins once, leaves once, says each message once.
    const problems: string[] = [];
    const online = new Set<string>();
    const joinAt = new Map<string, number>();
    const leaveAt = new Map<string, number>();
    const said = new Map<string, number>();
    order.forEach((line, position) => {
      const event = parseConsoleLine(line);
      if (event === null || event.kind === 'started' || event.kind === 'exit')
        return;
      if (!byAddr.has(event.addr))
        problems.push(`unknown ADDR at ${position}: ${line}`);
      if (event.kind === 'join') {
        if (joinAt.has(event.addr))
          problems.push(`second join at ${position}: ${line}`);
        joinAt.set(event.addr, position);
        online.add(event.addr);
        if (event.count !== online.size)
          problems.push(
            `count ${event.count} != ${online.size} at ${position}: ${line}`
          );
      } else if (event.kind === 'leave') {
        if (leaveAt.has(event.addr))
          problems.push(`second leave at ${position}: ${line}`);
        if (!online.delete(event.addr))
          problems.push(`leave of a non-member at ${position}: ${line}`);
        leaveAt.set(event.addr, position);
        if (event.count !== online.size)
          problems.push(
            `count ${event.count} != ${online.size} at ${position}: ${line}`
          );
      } else {
        if (!online.has(event.addr))
          problems.push(`message from a non-member at ${position}: ${line}`);
        const expectedIndex = byAddr.get(event.addr)?.index;
        const next = said.get(event.addr) ?? 0;
        if (event.text !== `m-${expectedIndex}-${next}`) {
          problems.push(
            `expected m-${expectedIndex}-${next} from ${event.addr} at ${position}: ${line}`
          );
        }
        said.set(event.addr, next + 1);
      }
    });
    for (const [addr, p] of byAddr) {
      if (!joinAt.has(addr))
        problems.push(`client ${p.index} (${addr}) never joined`);
      if (!leaveAt.has(addr))
        problems.push(`client ${p.index} (${addr}) never left`);
      if (said.get(addr) !== MESSAGES_EACH) {
        problems.push(
          `client ${p.index} (${addr}) said ${said.get(addr) ?? 0} messages, not ${MESSAGES_EACH}`
        );
      }
    }
    expect(online.size).toBe(0);
    expect(
      order.filter((line) => parseConsoleLine(line)?.kind === 'join')
    ).toHaveLength(CLIENTS);
    expect(
      order.filter((line) => parseConsoleLine(line)?.kind === 'leave')
    ).toHaveLength(CLIENTS);
    expect(
      order.filter((line) => parseConsoleLine(line)?.kind === 'message')
    ).toHaveLength(CLIENTS * MESSAGES_EACH);
    expect(order.at(-1)).toMatch(/ left \(0 users online\)$/);

    // No cut-off line was relayed, to anyone.
    expect(t.consoleLines().filter((line) => line.includes(PARTIAL))).toEqual(
      []
    );
    for (const { index, client } of participants) {
      if (client.lines.some((line) => line.includes(PARTIAL)))
        problems.push(`client ${index} received ${PARTIAL}`);
    }

    // (b) each transcript is the room order from its own join to its own leave:
    // exactly, for a graceful leave; a prefix of it, for a destroyed socket.
    for (const { index, client, abrupt } of participants) {
      const addr = client.localAddr;
      const from = joinAt.get(addr);
      const to = leaveAt.get(addr);
      if (from === undefined || to === undefined) continue;
      const expected = order.slice(from, to);
      const actual = asConsole(addr, client.lines);
      const difference = firstDifference(
        actual,
        abrupt ? expected.slice(0, actual.length) : expected
      );
      if (difference !== null) {
        problems.push(
          `client ${index} (${addr}, ${abrupt ?? 'graceful'}): ${difference}`
        );
      }
    }

    expect({ count: problems.length, first: problems.slice(0, 20) }).toEqual({
      count: 0,
      first: []
    });
  }, 20_000);
});
