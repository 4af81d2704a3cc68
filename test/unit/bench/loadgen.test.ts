import { afterEach, describe, expect, it } from 'vitest';
import { runLoad, type LoadOptions } from '../../../bench/loadgen.js';
import {
  chatServer as startChatServer,
  correct,
  parseBody,
  textFor,
  type Member,
  type Relay
} from './chat-server.js';
import { shortRun } from './short-run.js';

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The test chat server, closed after each test. */
function chatServer(relay: Relay): Promise<number> {
  return startChatServer(relay, cleanups);
}

/** Four clients, a short run. */
function options(port: number): LoadOptions {
  return shortRun(port, 4);
}

describe('runLoad', () => {
  it('passes a server that relays every line to everyone in one order', async () => {
    const result = await runLoad(options(await chatServer(correct)));

    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.sent).toBeGreaterThan(8);
    expect(result.deliveries).toBeGreaterThan(0);
    expect(result.latencyMs.samples).toBeGreaterThan(0);
    expect(result.nonChatLines).toBe(4 + 6);
  });

  it('passes a fixed rate and counts every line', async () => {
    const port = await chatServer(correct);
    const result = await runLoad({
      ...options(port),
      pace: { kind: 'rate', messagesPerSec: 40 }
    });

    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThanOrEqual(8);
  });

  it('passes a server that cuts its lines into small pieces', async () => {
    // Every member's output leaves in 5-byte writes, one piece a turn, so
    // lines reach the client split across reads.
    const queues = new Map<Member, string>();
    const timer = setInterval(() => {
      for (const [member, text] of queues) {
        if (text.length === 0) continue;
        member.socket.write(text.slice(0, 5));
        queues.set(member, text.slice(5));
      }
    }, 0);
    cleanups.push(() => clearInterval(timer));
    const port = await chatServer((from, line, members) => {
      for (const to of members)
        queues.set(to, (queues.get(to) ?? '') + textFor(from, to, line));
    });
    const result = await runLoad({ ...options(port), seconds: 0.2 });

    expect(result.failures).toEqual([]);
    expect(result.deliveries).toBeGreaterThan(0);
  });

  it('fails a server that drops one line to one client', async () => {
    const port = await chatServer((from, line, members, send) => {
      const body = parseBody(line);
      const victim = members.find((m) => m !== from);
      for (const to of members) {
        const dropped = body.sender === 0 && body.seq === 3 && to === victim;
        if (!dropped) send(to, textFor(from, to, line), body);
      }
    });
    const result = await runLoad(options(port));

    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(
      /client \d got seq 4 from client 0 after 2 \(1 missing\)/
    );
    expect(result.failures.join('\n')).toMatch(/lost 1 deliveries/);
  });

  it('fails a server that delivers one line twice', async () => {
    const port = await chatServer((from, line, members, send) => {
      const body = parseBody(line);
      for (const to of members) {
        send(to, textFor(from, to, line), body);
        if (body.sender === 0 && body.seq === 3 && to !== from)
          send(to, textFor(from, to, line), body);
      }
    });
    const result = await runLoad(options(port));

    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(
      /client \d got seq 3 from client 0 after 3 \(duplicate or out of order\)/
    );
    expect(result.failures.join('\n')).toMatch(/deliveries too many/);
  });

  it('fails a server that orders two senders differently for different clients', async () => {
    // Lines wait 5 ms; then half the members get the batch in arrival order
    // and half sorted by sender, last sender first (each sender's own lines
    // stay in order, so only the order between senders differs).
    let batch: { from: Member; line: string; sender: number }[] = [];
    let members: readonly Member[] = [];
    const flush = (): void => {
      const reversed = [...batch].sort((a, b) => b.sender - a.sender);
      for (const to of members) {
        const order = to.index % 2 === 0 ? batch : reversed;
        for (const { from, line } of order)
          to.socket.write(textFor(from, to, line));
      }
      batch = [];
    };
    const timer = setInterval(flush, 5);
    cleanups.push(() => clearInterval(timer));
    const port = await chatServer((from, line, all) => {
      members = all;
      batch.push({ from, line, sender: parseBody(line).sender });
    });
    const result = await runLoad(options(port));

    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(
      /^order differs on 2 of 4 clients$/
    );
    expect(result.failures).toHaveLength(1);
  });

  it('fails a server that gives the sender its line under its address', async () => {
    const port = await chatServer((from, line, members, send) => {
      for (const to of members)
        send(to, `[${from.remote}] ${line}\n`, parseBody(line));
    });
    const result = await runLoad(options(port));

    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(
      /client \d got client \d's line with prefix \[127\.0\.0\.1:\d+\]/
    );
  });
});
