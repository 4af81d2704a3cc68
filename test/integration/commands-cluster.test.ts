/**
 * Rooms, names and private lines across a cluster (issue 17): two nodes on
 * one real Redis, every node with a 1 s node timeout. [CLUSTER-ROOM-1]
 * [CLUSTER-NICK-1] [CLUSTER-MSG-1]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import {
  COMMAND_ERRORS,
  formatNowIn,
  formatPrivateIn,
  formatPrivateOut,
  formatRename
} from '../../src/protocol/command-format.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import {
  AVAILABLE_AGAIN,
  UNAVAILABLE,
  entered,
  greeting,
  online,
  startCluster
} from '../support/cluster.js';
import { describeRedis, startRedis } from '../support/redis.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** A line matcher for `pattern`. */
const matching =
  (pattern: RegExp | ((line: string) => boolean)) =>
  (line: string): boolean =>
    pattern instanceof RegExp ? pattern.test(line) : pattern(line);

/** Connects to `port` and reads the greeting, which says `count` users. */
async function join(port: number, count: number): Promise<TestClient> {
  const client = await connectClient(port);
  cleanups.add(() => client.destroy());
  expect(await client.nextLine()).toBe(greeting(count));
  return client;
}

/**
 * Two nodes on a Redis of their own (`own`: one the test may restart) and
 * a member on each: `a` on n1, then `b` on n2.
 */
async function twoMembers({ own }: { own: boolean }) {
  const redis = await startRedis({ own, cleanups });
  const { nodes } = await startCluster(
    { redisUrl: redis.url, nodes: 2 },
    cleanups
  );
  const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const a = await join(n1.port, 1);
  const b = await join(n2.port, 2);
  return { redis, n1, n2, a, b };
}

describeRedis('rooms, names and private lines across a cluster', () => {
  it('renames, moves, speaks, acts and whispers between members of two nodes', async () => {
    const { n2, a, b } = await twoMembers({ own: false });
    await a.waitForLine(entered(b.localAddr, 2));

    await a.send('/nick alice');
    const renamed = formatRename(a.localAddr, 'alice');
    expect(await a.waitForLine(renamed)).toBe(renamed);
    expect(await b.waitForLine(renamed)).toBe(renamed);
    await b.send('/nick ALICE');
    expect(await b.nextLine()).toBe(COMMAND_ERRORS.nickTaken('ALICE'));
    await b.send('/nick bob');
    await a.waitForLine(formatRename(b.localAddr, 'bob'));

    await a.send('/join #dev');
    expect(await a.waitForLine(matching(/^Now in/))).toBe(
      formatNowIn('#dev', 1)
    );
    await b.waitForLine(`The user alice (${a.localAddr}) left ${online(1)}`);
    await b.send('/join #dev');
    expect(await b.waitForLine(matching(/^Now in/))).toBe(
      formatNowIn('#dev', 2)
    );
    await a.waitForLine(`New user bob (${b.localAddr}) entered ${online(2)}`);

    await a.send('hello dev');
    expect(await a.waitForLine(matching(/hello dev/))).toBe('[You] hello dev');
    expect(await b.waitForLine(matching(/hello dev/))).toBe(
      '[alice] hello dev'
    );
    await b.send('/me waves');
    expect(await a.waitForLine(matching(/waves/))).toBe('* bob waves');

    await a.send('/who');
    expect(await a.waitForLine(matching(/^Members of/))).toBe(
      `Members of #dev ${online(2)}:`
    );
    const names = (await a.nextLine()).trim().split(', ').sort();
    expect(names).toEqual(['alice', 'bob']);

    await a.send('/rooms');
    expect(await a.waitForLine(matching(/^Rooms:/))).toBe(
      'Rooms: 2 (page 1 of 1)'
    );
    expect(await a.nextLine()).toBe(`  #dev ${online(2)}`);
    expect(await a.nextLine()).toBe(`  #lobby ${online(0)}`);

    await a.send('/msg BOB psst');
    expect(await a.waitForLine(matching(/psst/))).toBe(
      formatPrivateOut('bob', 'psst')
    );
    expect(await b.waitForLine(matching(/psst/))).toBe(
      formatPrivateIn('alice', 'psst')
    );
    await b.send('/msg nobody hi');
    expect(await b.waitForLine(matching(/^Error/))).toBe(
      COMMAND_ERRORS.noSuchUser('nobody')
    );

    // Leaving frees the name everywhere at once.
    await b.send('/quit bye');
    await a.waitForLine(`The user bob (${b.localAddr}) left: bye ${online(1)}`);
    const c = await join(n2.port, 1);
    await c.send('/nick bob');
    await c.waitForLine(formatRename(c.localAddr, 'bob'));
    // Nothing said in #dev reached the lobby.
    expect(c.lines.some((line) => line.includes('hello dev'))).toBe(false);
  });

  it('gives exactly one of many members racing on two nodes the name', async () => {
    const redis = await startRedis({ cleanups });
    const { nodes } = await startCluster(
      { redisUrl: redis.url, nodes: 2 },
      cleanups
    );
    const clients: TestClient[] = [];
    for (let i = 0; i < 6; i += 1)
      clients.push(await join(nodes[i % 2]?.port ?? 0, i + 1));
    await Promise.all(clients.map((c) => c.send('/nick racer')));
    const answers = await Promise.all(
      clients.map((c) =>
        c.waitForLine(
          (line) =>
            line === COMMAND_ERRORS.nickTaken('racer') ||
            line === formatRename(c.localAddr, 'racer')
        )
      )
    );
    expect(answers.filter((line) => line.startsWith('Error'))).toHaveLength(5);
  });

  it('frees the names and seats of a node that dies, in every room', async () => {
    const { n2, a, b } = await twoMembers({ own: false });
    await b.send('/nick carol');
    await a.waitForLine(formatRename(b.localAddr, 'carol'));
    await a.send('/join #ops');
    await a.waitForLine(formatNowIn('#ops', 1));
    await b.send('/join #ops');
    await b.waitForLine(formatNowIn('#ops', 2));
    await a.waitForLine(matching(/^New user carol/));

    await n2.kill();
    // Found dead within the node timeout plus a beat: its member leaves
    // #ops once, with its name.
    expect(await a.waitForLine(matching(/^The user carol/), 10_000)).toBe(
      `The user carol (${b.localAddr}) left ${online(1)}`
    );
    await a.send('/nick carol');
    await a.waitForLine(formatRename(a.localAddr, 'carol'));
    await a.send('/rooms');
    await a.waitForLine(matching(/^Rooms:/));
    expect(await a.nextLine()).toBe(`  #lobby ${online(0)}`);
    expect(await a.nextLine()).toBe(`  #ops ${online(1)}`);
  });

  it('keeps rooms and names through a Redis that restarts empty', async () => {
    const { redis, n1, a, b } = await twoMembers({ own: true });
    for (const [client, nick] of [
      [a, 'alice'],
      [b, 'bob']
    ] as const) {
      await client.send(`/nick ${nick}`);
      await client.waitForLine(formatRename(client.localAddr, nick));
      await client.send('/join #dev');
      await client.waitForLine(matching(/^Now in #dev/));
    }

    await redis.restart({ downMs: 500 });
    for (const client of [a, b]) {
      await client.waitForLine(matching((l) => l.startsWith(UNAVAILABLE)));
      await client.waitForLine(AVAILABLE_AGAIN, 10_000);
    }
    // Registered again with their names and their room.
    const c = await join(n1.port, 1);
    await c.send('/nick Alice');
    expect(await c.nextLine()).toBe(COMMAND_ERRORS.nickTaken('Alice'));
    await a.send('still here');
    expect(await b.waitForLine(matching(/still here/))).toBe(
      '[alice] still here'
    );
    await b.send('/msg alice back');
    expect(await a.waitForLine(matching(/back$/))).toBe(
      formatPrivateIn('bob', 'back')
    );
    await c.send('/rooms');
    await c.waitForLine(matching(/^Rooms:/));
    expect(await c.nextLine()).toBe(`  #dev ${online(2)}`);
    expect(c.lines.some((line) => line.includes('still here'))).toBe(false);
  });

  it('serves many rooms over two connections, and takes a room away with its last member', async () => {
    const redis = await startRedis({ cleanups });
    const { name, nodes } = await startCluster(
      { redisUrl: redis.url, nodes: 1 },
      cleanups
    );
    const port = nodes[0]?.port ?? 0;
    const clients: TestClient[] = [];
    for (let i = 0; i < 5; i += 1) {
      const client = await join(port, 1);
      await client.send(`/join #r${i}`);
      await client.waitForLine(formatNowIn(`#r${i}`, 1));
      clients.push(client);
    }
    const probe = new Redis(redis.url, { lazyConnect: true });
    cleanups.add(() => probe.disconnect());
    await probe.connect();
    const list = String(await probe.call('CLIENT', 'LIST'));
    expect(list.match(/name=actor-chat:n1 /g)).toHaveLength(2);
    expect(await probe.exists(`${name}:{r0}:log`)).toBe(1);
    expect(await probe.hget(`${name}:rooms`, 'r0')).toBe('1');

    await clients[0]?.send('/part');
    await clients[0]?.waitForLine(formatNowIn('#lobby', 1));
    // The room closes once its last seat is given up, then leaves Redis.
    let left: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      left = await probe.keys(`${name}:{r0}:*`);
      if (left.length === 0) break;
      await sleep(100);
    }
    expect(left).toEqual([]);
    expect(await probe.hget(`${name}:rooms`, 'r0')).toBe(null);
    expect(await probe.hget(`${name}:labels`, 'r0')).toBe(null);
    expect(await probe.exists(`${name}:{r1}:log`)).toBe(1);
  });

  it('gives a member leaving a room it was last in everything it said there first', async () => {
    const redis = await startRedis({ cleanups });
    const { nodes } = await startCluster(
      { redisUrl: redis.url, nodes: 1 },
      cleanups
    );
    const x = await join(nodes[0]?.port ?? 0, 1);
    await x.send('/join #solo');
    await x.waitForLine(formatNowIn('#solo', 1));
    const said = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    // One write: the room closes on this node as soon as the member moves.
    await x.write(`${[...said, '/part'].join('\n')}\n`);
    await x.waitForLine(formatNowIn('#lobby', 1));
    expect(x.lines.filter((line) => line.startsWith('[You] '))).toEqual(
      said.map((text) => `[You] ${text}`)
    );
  });

  it('answers every move between rooms other nodes keep busy, and delivers every private line to a member while it moves', async () => {
    const redis = await startRedis({ cleanups });
    const { nodes } = await startCluster(
      {
        redisUrl: redis.url,
        nodes: 2,
        extraArgs: ['--room-creates-per-minute', '1000']
      },
      cleanups
    );
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    // Members of n2 keep #x0 and #x1 open and busy; the movers on n1 are
    // their node's only members in each, so n1 leaves a room's stream at
    // every move while its log is full of others' lines.
    const sitters: TestClient[] = [];
    for (const room of ['#x0', '#x1']) {
      const sitter = await join(n2.port, 1);
      await sitter.send(`/join ${room}`);
      await sitter.waitForLine(matching(/^Now in/));
      sitters.push(sitter);
    }
    const busy = setInterval(() => {
      for (const sitter of sitters) void sitter.send('busy');
    }, 20);
    cleanups.add(() => clearInterval(busy));
    const movers: TestClient[] = [];
    for (let i = 0; i < 3; i += 1) movers.push(await join(n1.port, i + 1));
    await movers[0]?.send('/nick target');
    await movers[0]?.waitForLine(matching(/is now known as target$/));
    const sender = await join(n2.port, 4);

    const MOVES = 30;
    const unanswered: string[] = [];
    const move = async (mover: TestClient, k: number): Promise<void> => {
      for (let i = 0; i < MOVES; i += 1) {
        const room = `#x${(i + k) % 2}`;
        await mover.send(`/join ${room}`);
        try {
          await mover.waitForLine(
            matching((line) => line.startsWith(`Now in ${room} `)),
            5000
          );
        } catch {
          unanswered.push(`mover ${k}: /join ${room} (move ${i})`);
          return;
        }
      }
    };
    const whisper = async (): Promise<void> => {
      for (let i = 0; i < MOVES; i += 1) {
        await sender.send(`/msg target p${i}`);
        await sender.waitForLine(formatPrivateOut('target', `p${i}`));
        await sleep(10);
      }
    };
    await Promise.all([...movers.map(move), whisper()]);
    clearInterval(busy);
    expect(unanswered).toEqual([]);
    const target = movers[0] as TestClient;
    await target.send('/who');
    await target.waitForLine(matching(/^Members of/));
    const got = target.lines.filter((line) => line.includes(' -> you] '));
    expect(got).toEqual(
      Array.from({ length: MOVES }, (_, i) =>
        formatPrivateIn(sender.localAddr, `p${i}`)
      )
    );
  });
});
