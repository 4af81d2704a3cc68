import { afterEach, describe, expect, it } from 'vitest';
import { checkTranscripts } from '../../src/tools/peers/transcript.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import {
  entered,
  greeting,
  joinClients,
  left,
  startCluster,
  transcriptOf
} from '../support/cluster.js';
import { describeRedis, freePort, startRedis } from '../support/redis.js';
import { runServerCli } from '../support/server-cli.js';
import { until, within } from '../support/wait.js';

// Issue 7: several chat-servers share one room through Redis. Every node runs
// with --node-timeout 1s (test/support/cluster.ts).

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const NODE_TIMEOUT_MS = 1000;

/** `items[i]`, which the test knows is there. */
function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`no item ${i} of ${items.length}`);
  return item;
}

/** The `[ADDR] text` / `[You] text` lines `client` received. */
const chatLines = (client: TestClient): string[] =>
  client.lines.filter((line) => line.startsWith('['));

/** Lines of `client` equal to `line`. */
const times = (client: TestClient, line: string): number =>
  client.lines.filter((l) => l === line).length;

function describeClients(clients: readonly TestClient[]): string {
  return clients
    .map((c) => `${c.localAddr}: ${JSON.stringify(c.lines)}`)
    .join('\n');
}

describeRedis(
  'a cluster of chat-servers sharing one room through Redis',
  () => {
    it('gives every client on every node one order and the global counts', async () => {
      const redis = await startRedis({ cleanups });
      const { nodes } = await startCluster(
        { redisUrl: redis.url, nodes: 3 },
        cleanups
      );
      const clients = await joinClients(nodes, 6, cleanups);
      const addrs = clients.map((c) => c.localAddr);

      const LINES = 8;
      const sent = new Map<string, string[]>();
      await Promise.all(
        clients.map(async (client, i) => {
          const texts = Array.from({ length: LINES }, (_, j) => `a${i}-${j}`);
          sent.set(client.localAddr, texts);
          for (const text of texts) await client.send(text);
        })
      );
      const all = clients.length * LINES;
      await until(
        () => clients.every((c) => chatLines(c).length >= all),
        `every client has all ${all} chat lines`,
        10_000,
        () => describeClients(clients)
      );

      // Leaves, one at a time: the counts come down on every node.
      for (let k = clients.length - 1; k >= 3; k -= 1) {
        at(clients, k).destroy();
        const notice = left(at(addrs, k), k);
        await until(
          () => clients.slice(0, k).every((c) => times(c, notice) === 1),
          `every remaining client sees ${JSON.stringify(notice)}`,
          5000,
          () => describeClients(clients)
        );
      }

      const first = at(clients, 0);
      // Client 0 joined first: it saw every other join, counting up 2..6, and
      // the leaves counting down 5..3.
      expect(first.lines.filter((l) => l.startsWith('New user '))).toEqual(
        addrs.slice(1).map((addr, i) => entered(addr, i + 2))
      );
      expect(first.lines.filter((l) => l.startsWith('The user '))).toEqual([
        left(at(addrs, 5), 5),
        left(at(addrs, 4), 4),
        left(at(addrs, 3), 3)
      ]);
      clients.forEach((client, i) => {
        expect(client.lines[0]).toBe(greeting(i + 1));
        const mine = sent.get(client.localAddr) ?? [];
        expect(
          client.lines.filter((l) => l.startsWith('[You] ')),
          `${client.localAddr} sees its own lines as [You]`
        ).toEqual(mine.map((text) => `[You] ${text}`));
      });
      // One order, exactly once, counts ±1, everything sent delivered, others
      // as [ADDR]; clients 3..5 left (their transcripts end at their leave).
      expect(
        checkTranscripts(
          clients.map((c, i) => transcriptOf(c, i < 3)),
          { sent }
        )
      ).toEqual([]);
    }, 30_000);

    it('announces each member of a killed node as leaving exactly once', async () => {
      const redis = await startRedis({ cleanups });
      const { nodes } = await startCluster(
        { redisUrl: redis.url, nodes: 3 },
        cleanups
      );
      const clients = await joinClients(nodes, 6, cleanups);
      // Round-robin: node n3 has clients 2 and 5.
      const dead = [at(clients, 2), at(clients, 5)];
      const survivors = clients.filter((c) => !dead.includes(c));
      await Promise.all(clients.map((c, i) => c.send(`b${i}`)));
      await until(
        () => clients.every((c) => chatLines(c).length >= clients.length),
        'every client has every chat line',
        10_000,
        () => describeClients(clients)
      );

      const killedAt = performance.now();
      await at(nodes, 2).kill();
      const leaveOf = (c: TestClient, addr: string): string[] =>
        c.lines.filter((l) => l.startsWith(`The user ${addr} left (`));
      await until(
        () =>
          survivors.every((c) =>
            dead.every((d) => leaveOf(c, d.localAddr).length >= 1)
          ),
        'every survivor sees both members of the killed node leave',
        NODE_TIMEOUT_MS + 4000,
        () => describeClients(survivors)
      );
      const noticedMs = performance.now() - killedAt;
      // Twice the node timeout more: a second notice (another survivor, or
      // the same one again) would show up in this time.
      await new Promise((resolve) => setTimeout(resolve, 2 * NODE_TIMEOUT_MS));
      for (const c of survivors) {
        const leaves = c.lines.filter((l) => l.startsWith('The user '));
        expect(leaves, `${c.localAddr}'s leave notices`).toHaveLength(2);
        for (const d of dead) expect(leaveOf(c, d.localAddr)).toHaveLength(1);
        // Whichever went first, the counts come down 5, then 4.
        expect(
          leaves.map((l) => /\((\d+) users? online\)/.exec(l)?.[1])
        ).toEqual(['5', '4']);
      }
      expect(noticedMs).toBeLessThan(NODE_TIMEOUT_MS + 4000);

      const late = await connectClient(at(nodes, 0).port);
      cleanups.add(() => late.destroy());
      expect(await late.nextLine()).toBe(greeting(5));
      for (const c of survivors)
        await c.waitForLine(entered(late.localAddr, 5), 5000);

      expect(
        checkTranscripts([
          ...survivors.map((c) => transcriptOf(c, true)),
          ...dead.map((c) => transcriptOf(c, false)),
          transcriptOf(late, true)
        ])
      ).toEqual([]);
    }, 30_000);
  }
);

describe('chat-server --redis at start-up', () => {
  it('exits 1 with one line naming the URL when Redis is unreachable', async () => {
    // A port just closed: nothing listens there.
    const url = `redis://127.0.0.1:${await freePort()}`;
    const run = runServerCli(['127.0.0.1', '0', '--redis', url], cleanups);
    const code = await within(run.exited, 15_000, 'chat-server exiting');
    expect(code).toBe(1);
    const lines = run
      .stderr()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines, run.stderr()).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^chat-server: cannot reach Redis at ${url}: \\S`)
    );
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(run.stdout()).not.toMatch(/started on port/);
  }, 20_000);
});
