/**
 * chat-chaos pointed at a 3-node cluster behind a round-robin TCP balancer
 * (issue 7): observers and faulty clients land on different nodes, and the
 * cluster must still keep one order, deliver exactly once and count right.
 *
 * The balancer is a plain proxy: the nodes see and show its outgoing
 * addresses, not chat-chaos's, so chat-chaos must learn from the room what
 * it calls each connection (src/tools/chaos/addresses.ts). The first tests check
 * the balancer: it passes FIN and RST through, it hides the clients'
 * addresses, and a single daemon behind it gives chat-chaos nothing to
 * report; so what the cluster run reports is the cluster's.
 *
 * The room run (`--rooms 3`, issue 17) puts room observers of every node in
 * each room: one order and the cluster's counts per room, private lines
 * across nodes, one winner of a name race, each room observer named by
 * what the rooms showed (src/tools/chaos/room-addresses.ts).
 */
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/tools/chaos/report.js';
import { FAULT_KINDS, type ChaosReport } from '../../src/tools/chaos/types.js';
import { DEFAULT_FLOOD_RATE } from '../../src/protocol/constants.js';
import { startBalancer, type Balancer } from '../support/balancer.js';
import { runChaosCli } from '../support/chaos-cli.js';
import { expectCleanRoomRun } from '../support/chaos-rooms.js';
import { startCluster, type Cluster } from '../support/cluster.js';
import { createHarness } from '../support/harness.js';
import { describeRedis, startRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

/** Replays with `chat-chaos … --seed 7 --duration 8s`. */
const SEED = '7';
const CLUSTER_DURATION = '8s';
/** The room run (`--rooms 3`): rooms, names and whispers beside a few faults. */
const ROOM_DURATION = '10s';
const ROOM_SCENARIO = 'reset,churn,garbage,slicer';
/** The whole chat-chaos run, settle and checks included, must end by then. */
const CHAOS_KILL_MS = 60_000;

interface ChaosRun {
  code: number | null;
  report: ChaosReport | null;
  /** The report as chat-chaos renders it, or its raw output. */
  shown: string;
}

/** Runs the chat-chaos CLI (through tsx) against `port` with `--json`. */
async function chaos(port: number, args: string[]): Promise<ChaosRun> {
  const { code, stdout, stderr } = await runChaosCli(
    ['127.0.0.1', String(port), ...args, '--json'],
    cleanups,
    CHAOS_KILL_MS
  );
  let report: ChaosReport | null = null;
  try {
    report = JSON.parse(stdout) as ChaosReport;
  } catch {
    // Not a report: the run could not happen; `shown` says why.
  }
  const shown =
    report === null
      ? `chat-chaos exited ${String(code)}\nstdout: ${stdout}\nstderr: ${stderr}`
      : `${renderReport(report)}\nstderr: ${stderr}`;
  return { code, report, shown };
}

/** Asserts a clean run that injected every fault kind. */
function expectClean(run: ChaosRun, context = ''): ChaosReport {
  const shown = `${run.shown}\n${context}`;
  expect(run.code, shown).toBe(0);
  expect(run.report, shown).not.toBeNull();
  const report = run.report as ChaosReport;
  expect(report.violations, shown).toEqual([]);
  for (const kind of FAULT_KINDS)
    expect(report.injected[kind], `${kind}: ${shown}`).toBeGreaterThan(0);
  expect(report.messages.delivered, shown).toBeGreaterThan(0);
  return report;
}

async function balancer(ports: readonly number[]): Promise<Balancer> {
  const lb = await startBalancer(
    ports.map((port) => ({ host: '127.0.0.1', port }))
  );
  cleanups.add(() => lb.close());
  return lb;
}

/** A 3-node cluster on a fresh Redis, behind a round-robin balancer. */
async function balancedCluster(): Promise<{
  cluster: Cluster;
  lb: Balancer;
}> {
  const redis = await startRedis({ cleanups });
  const cluster = await startCluster(
    { redisUrl: redis.url, nodes: 3 },
    cleanups
  );
  const lb = await balancer(cluster.nodes.map((node) => node.port));
  return { cluster, lb };
}

/** A server that records what each connection sent and how it ended. */
async function recorder(): Promise<{
  port: number;
  /** What each connection sent so far, in accept order. */
  received: string[];
  ends: string[];
}> {
  const received: string[] = [];
  const ends: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const i = sockets.push(socket) - 1;
    received[i] = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      received[i] += d;
    });
    socket.on('end', () => {
      ends.push(`fin after ${JSON.stringify(received[i])}`);
      socket.end('bye\n');
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      ends.push(`${err.code ?? 'error'} after ${JSON.stringify(received[i])}`)
    );
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve())
  );
  cleanups.add(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, received, ends };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    cleanups.add(() => socket.destroy());
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('the test balancer', () => {
  it('passes a half-close both ways and a reset, round-robin', async () => {
    const a = await recorder();
    const b = await recorder();
    const lb = await balancer([a.port, b.port]);

    const first = await dial(lb.port);
    let back = '';
    first.setEncoding('utf8').on('data', (d: string) => (back += d));
    const closed = new Promise<void>((resolve) =>
      first.once('close', () => resolve())
    );
    first.end('one\n');
    await closed;
    expect(back).toBe('bye\n');
    expect(a.ends).toEqual(['fin after "one\\n"']);

    const second = await dial(lb.port);
    second.write('two');
    await until(() => b.received[0] === 'two', 'the bytes before the reset');
    second.resetAndDestroy();
    await until(() => b.ends.length === 1, 'the reset to arrive', 2000);
    expect(b.ends).toEqual(['ECONNRESET after "two"']);
    expect(lb.perBackend()).toEqual([1, 1]);
  });

  it("shows the room the balancer's addresses, not the clients'", async () => {
    const t = await daemon();
    const lb = await balancer([t.port]);
    const a = await client(lb.port);
    await a.nextLine(2000);
    const b = await client(lb.port);
    await b.nextLine(2000);
    await b.send('hi');
    const relayed = await a.waitForLine((l) => l.endsWith('] hi'), 2000);
    const shown = /^\[(127\.0\.0\.1:\d+)\] hi$/.exec(relayed)?.[1];
    expect(shown, relayed).toBeDefined();
    expect(shown).not.toBe(b.localAddr);
    b.end();
    await a.waitForLine(`The user ${shown} left (1 user online)`, 2000);
    expect(a.lines).toEqual([
      'Connected to the chat server (1 user online)',
      `New user ${shown} entered (2 users online)`,
      `[${shown}] hi`,
      `The user ${shown} left (1 user online)`
    ]);
  });

  it('gives chat-chaos nothing to report in front of one daemon', async () => {
    const { port } = await daemon({ floodRate: DEFAULT_FLOOD_RATE });
    // Three "nodes" that are one daemon: round-robin, one room.
    const lb = await balancer([port, port, port]);
    expectClean(await chaos(lb.port, ['--seed', SEED, '--duration', '4s']));
  }, 60_000);
});

describeRedis('chat-chaos against a 3-node cluster behind a balancer', () => {
  it('finds no violation with every fault kind, observers on every node', async () => {
    const { cluster, lb } = await balancedCluster();

    const run = await chaos(lb.port, [
      '--scenario',
      'all',
      '--duration',
      CLUSTER_DURATION,
      '--seed',
      SEED
    ]);
    const report = expectClean(run, cluster.describe());

    // chat-chaos joins its five observers first, one after another: round
    // robin puts them on nodes 1 2 3 1 2, and the faults go everywhere.
    expect(report.options.observers).toBe(5);
    expect(Math.min(...lb.perBackend()), run.shown).toBeGreaterThanOrEqual(5);
    for (const node of cluster.nodes) {
      expect(node.run.child.exitCode, cluster.describe()).toBeNull();
      expect(await node.stop(), cluster.describe()).toBe(0);
    }
  }, 90_000);

  it('finds no violation in rooms, names, private lines and a name race across nodes', async () => {
    const { cluster, lb } = await balancedCluster();

    const run = await chaos(lb.port, [
      '--scenario',
      ROOM_SCENARIO,
      '--duration',
      ROOM_DURATION,
      '--seed',
      SEED,
      '--rooms',
      '3',
      '--room-observers',
      '9'
    ]);
    const shown = `${run.shown}\n${cluster.describe()}`;
    expect(run.code, shown).toBe(0);
    expectCleanRoomRun(run.report as ChaosReport, 9, shown);
    // Nine room observers after five v1 ones, round robin: three a node,
    // so every room holds members of several nodes.
    expect(Math.min(...lb.perBackend()), shown).toBeGreaterThanOrEqual(4);
    for (const node of cluster.nodes)
      expect(await node.stop(), cluster.describe()).toBe(0);
  }, 90_000);
});
