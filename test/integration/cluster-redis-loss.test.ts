import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { checkTranscripts } from '../../src/faults/transcript.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import {
  AVAILABLE_AGAIN,
  MAY_NOT_HAVE_REACHED,
  NOT_SENT,
  UNAVAILABLE,
  entered,
  greeting,
  joinClients,
  startCluster,
  transcriptOf,
  unavailableFor,
  type ClusterNode
} from '../support/cluster.js';
import { describeRedis, startRedis, type RedisRun } from '../support/redis.js';
import { until, within } from '../support/wait.js';

// Issue 7: what clients of a cluster see when its Redis goes away and comes
// back, with its data (appendonly) or without, and when it stays away.

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** 20 lines/s per client is over the default flood rate (10/s). */
const CHAT_ARGS = ['--flood-rate', '50', '--flood-burst', '50'];
const RATE_HZ = 20;
const CHAT_MS = 3000;
const RESTART_AT_MS = 1000;
const DOWN_MS = 1000;

function describeClients(clients: readonly TestClient[]): string {
  return clients
    .map((c) => `${c.localAddr}: ${JSON.stringify(c.lines)}`)
    .join('\n');
}

/**
 * Every client sends RATE_HZ lines a second for CHAT_MS (a bounded count),
 * while Redis is restarted RESTART_AT_MS in. Returns what each one sent.
 */
async function chatThroughRestart(
  clients: readonly TestClient[],
  redis: RedisRun
): Promise<Map<string, string[]>> {
  const sent = new Map<string, string[]>();
  const count = (CHAT_MS / 1000) * RATE_HZ;
  const start = performance.now();
  const talk = async (client: TestClient, i: number): Promise<void> => {
    const texts: string[] = [];
    sent.set(client.localAddr, texts);
    for (let j = 0; j < count; j += 1) {
      const due = start + (j * 1000) / RATE_HZ;
      await sleep(Math.max(0, due - performance.now()));
      texts.push(`c${i}-${j}`);
      await client.send(`c${i}-${j}`);
    }
  };
  const restart = async (): Promise<void> => {
    await sleep(RESTART_AT_MS);
    await redis.restart({ downMs: DOWN_MS });
  };
  await Promise.all([...clients.map(talk), restart()]);
  return sent;
}

/**
 * Checks each sent line reached every other client once and came back to
 * its author as `[You]`, or reached nobody and its author got an error line
 * for it. Returns what is wrong, and how many lines went each way.
 */
function account(
  clients: readonly TestClient[],
  sent: ReadonlyMap<string, readonly string[]>
): { problems: string[]; delivered: number; undelivered: number } {
  const problems: string[] = [];
  let delivered = 0;
  let undelivered = 0;
  for (const author of clients) {
    const addr = author.localAddr;
    const texts = sent.get(addr) ?? [];
    const echoed = new Set(
      author.lines.filter((l) => l.startsWith('[You] ')).map((l) => l.slice(6))
    );
    const others = clients
      .filter((c) => c !== author)
      .map((c) => new Set(c.lines));
    let lost = 0;
    for (const text of texts) {
      const reached = others.filter((o) => o.has(`[${addr}] ${text}`)).length;
      if (echoed.has(text) && reached === others.length) delivered += 1;
      else if (!echoed.has(text) && reached === 0) lost += 1;
      else
        problems.push(
          `${addr}'s ${JSON.stringify(text)}: echoed ${echoed.has(text)}, reached ${reached} of ${others.length} others`
        );
    }
    const errors = author.lines.filter(
      (l) => l === NOT_SENT || l === MAY_NOT_HAVE_REACHED
    ).length;
    if (lost > errors)
      problems.push(
        `${addr}: ${lost} of its lines reached nobody, but it got only ${errors} error lines (silent loss)`
      );
    undelivered += lost;
  }
  return { problems, delivered, undelivered };
}

/** Waits until each client has every client's `end-i` marker. */
async function exchangeMarkers(clients: readonly TestClient[]): Promise<void> {
  await Promise.all(clients.map((c, i) => c.send(`end-${i}`)));
  const has = (c: TestClient, i: number): boolean => {
    const author = clients[i] as TestClient;
    const line =
      author === c ? `[You] end-${i}` : `[${author.localAddr}] end-${i}`;
    return c.lines.includes(line);
  };
  await until(
    () => clients.every((c) => clients.every((_, i) => has(c, i))),
    'every client has every end marker',
    10_000,
    () => describeClients(clients)
  );
}

/**
 * Scenarios c and d: four clients on two nodes chat through a Redis restart;
 * afterwards a fifth joins and must be counted with the four.
 */
async function restartMidChat(persistence: 'aof' | 'none'): Promise<void> {
  const redis = await startRedis({ persistence, own: true, cleanups });
  const { nodes } = await startCluster(
    { redisUrl: redis.url, nodes: 2, extraArgs: CHAT_ARGS },
    cleanups
  );
  const clients = await joinClients(nodes, 4, cleanups);
  const sent = await chatThroughRestart(clients, redis);

  await until(
    () => clients.every((c) => c.lines.includes(AVAILABLE_AGAIN)),
    `every client is told ${JSON.stringify(AVAILABLE_AGAIN)}`,
    10_000,
    () => `${describeClients(clients)}\nredis log:\n${redis.log()}`
  );
  // After recovery, the end markers go through Redis behind every line the
  // cluster took: when all have arrived, nothing more is in flight.
  await exchangeMarkers(clients);
  await sleep(300);

  for (const c of clients) {
    const down = c.lines.indexOf(UNAVAILABLE);
    expect(down, `${c.localAddr} was told Redis went away`).not.toBe(-1);
    expect(c.lines.filter((l) => l === UNAVAILABLE)).toHaveLength(1);
    expect(c.lines.filter((l) => l === AVAILABLE_AGAIN)).toHaveLength(1);
    expect(c.lines.indexOf(AVAILABLE_AGAIN)).toBeGreaterThan(down);
    // About DOWN_MS of RATE_HZ lines a second fell in the outage.
    expect(c.lines.filter((l) => l === NOT_SENT).length).toBeGreaterThan(0);
  }
  const { problems, delivered } = account(clients, sent);
  expect(problems, describeClients(clients)).toEqual([]);
  expect(delivered).toBeGreaterThan(0);

  const late = await connectClient((nodes[0] as ClusterNode).port);
  cleanups.add(() => late.destroy());
  expect(await late.nextLine()).toBe(greeting(5));
  for (const c of clients) await c.waitForLine(entered(late.localAddr, 5));
  // One order, exactly once, counts ±1, no join notice twice.
  expect(
    checkTranscripts([...clients, late].map((c) => transcriptOf(c, true)))
  ).toEqual([]);
}

describeRedis(
  'a cluster whose Redis goes away',
  () => {
    it('loses nothing silently and duplicates nothing when Redis restarts with its data', async () => {
      await restartMidChat('aof');
    }, 30_000);

    it('loses nothing silently and duplicates nothing when Redis restarts empty', async () => {
      await restartMidChat('none');
    }, 30_000);

    it('disconnects everyone once Redis has been away longer than --redis-grace', async () => {
      const redis = await startRedis({ own: true, cleanups });
      const { nodes } = await startCluster(
        { redisUrl: redis.url, nodes: 2, extraArgs: ['--redis-grace', '2s'] },
        cleanups
      );
      const clients = await joinClients(nodes, 2, cleanups);
      const first = clients[0] as TestClient;

      const killedAt = performance.now();
      await redis.kill();
      for (const c of clients) await c.waitForLine(UNAVAILABLE, 3000);
      await first.send('into the void');
      await first.waitForLine(NOT_SENT, 3000);

      const newcomer = await connectClient((nodes[1] as ClusterNode).port);
      cleanups.add(() => newcomer.destroy());
      await within(newcomer.closed, 3000, 'the newcomer being closed');
      expect(newcomer.lines).toEqual([UNAVAILABLE]);

      await first.waitForLine(unavailableFor(2), 5000);
      // Not before the grace period is over (a little slack for timers).
      expect(performance.now() - killedAt).toBeGreaterThan(1800);
      for (const c of clients) {
        await within(c.closed, 3000, `${c.localAddr} being closed`);
        expect(c.lines.at(-1)).toBe(unavailableFor(2));
      }
    }, 20_000);
  },
  'own'
);
