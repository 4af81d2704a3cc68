import { randomBytes } from 'node:crypto';
import type { Transcript } from '../../src/tools/peers/transcript.js';
import type { Cleanups } from './cleanup.js';
import { connectClient, type TestClient } from './client.js';
import { runServerCli, type ServerRun } from './server-cli.js';
import { within } from './wait.js';

/** One chat-server of a cluster, running from source in a child process. */
export interface ClusterNode {
  /** Its --node-id: n1, n2, … */
  readonly id: string;
  /** Its chat port. */
  readonly port: number;
  readonly run: ServerRun;
  /** SIGKILL: no goodbye, its heartbeat simply stops. Resolves once it is dead. */
  kill(): Promise<void>;
  /** SIGTERM: a graceful shutdown. Resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Nodes sharing one room through one Redis. */
export interface Cluster {
  /** The --cluster name, unique to this cluster so runs never collide. */
  readonly name: string;
  readonly redisUrl: string;
  readonly nodes: readonly ClusterNode[];
  /** Starts one more node (id n<k>) in the same cluster. */
  addNode(extraArgs?: readonly string[]): Promise<ClusterNode>;
  /** Every node's stdout and stderr, for failure messages. */
  describe(): string;
}

const EXIT_MS = 10_000;

/** A cluster name no other test or run uses. */
export function uniqueClusterName(): string {
  return `t-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The arguments of one node: loopback, port 0, a 1 s node timeout so a dead
 * node is noticed quickly, then `extraArgs` (later options win).
 */
export function nodeArgs(
  redisUrl: string,
  nodeId: string,
  cluster: string,
  extraArgs: readonly string[] = []
): string[] {
  // prettier-ignore
  return [
    '127.0.0.1', '0', '--redis', redisUrl, '--node-id', nodeId,
    '--cluster', cluster, '--node-timeout', '1s', '--log-level', 'info',
    ...extraArgs
  ];
}

function signalled(run: ServerRun): boolean {
  return run.child.exitCode !== null || run.child.signalCode !== null;
}

/** Starts one node and waits for its start line; `cleanups` kills it. */
export async function startNode(
  options: {
    redisUrl: string;
    cluster: string;
    id: string;
    extraArgs?: readonly string[];
  },
  cleanups: Cleanups
): Promise<ClusterNode> {
  const { redisUrl, cluster, id, extraArgs } = options;
  const run = runServerCli(
    nodeArgs(redisUrl, id, cluster, extraArgs),
    cleanups
  );
  const port = await run.started();
  return {
    id,
    port,
    run,
    async kill() {
      if (!signalled(run)) run.child.kill('SIGKILL');
      await within(run.exited, EXIT_MS, `node ${id} dying of SIGKILL`);
    },
    async stop() {
      if (!signalled(run)) run.child.kill('SIGTERM');
      return within(run.exited, EXIT_MS, `node ${id} exiting on SIGTERM`);
    }
  };
}

/**
 * Starts `nodes` chat-servers in one cluster on `redisUrl`, all at once, and
 * waits for every start line.
 *
 * @example
 * const redis = await startRedis({ cleanups });
 * const cluster = await startCluster({ redisUrl: redis.url, nodes: 3 }, cleanups);
 * const client = await connectClient(cluster.nodes[0].port);
 */
export async function startCluster(
  options: {
    redisUrl: string;
    nodes: number;
    /** Default: a fresh uniqueClusterName(). */
    name?: string;
    extraArgs?: readonly string[];
  },
  cleanups: Cleanups
): Promise<Cluster> {
  const { redisUrl, extraArgs = [] } = options;
  const name = options.name ?? uniqueClusterName();
  const nodes: ClusterNode[] = [];
  const start = (id: string, args: readonly string[]) =>
    startNode({ redisUrl, cluster: name, id, extraArgs: args }, cleanups);
  const started = await Promise.all(
    Array.from({ length: options.nodes }, (_, i) =>
      start(`n${i + 1}`, extraArgs)
    )
  );
  nodes.push(...started);
  return {
    name,
    redisUrl,
    nodes,
    async addNode(args = extraArgs) {
      const node = await start(`n${nodes.length + 1}`, args);
      nodes.push(node);
      return node;
    },
    describe: () =>
      nodes
        .map(
          (n) =>
            `--- node ${n.id} (port ${n.port}) stdout:\n${n.run.stdout()}\n--- stderr:\n${n.run.stderr()}`
        )
        .join('\n')
  };
}

/** The lines a cluster adds to the protocol (issue 7). */
export const UNAVAILABLE = 'Error: chat is temporarily unavailable';
export const NOT_SENT =
  'Error: chat is temporarily unavailable; your message was not sent';
export const MAY_NOT_HAVE_REACHED =
  'Error: chat was temporarily unavailable; your message may not have reached everyone';
export const AVAILABLE_AGAIN = 'Chat is available again';

/** `Error: disconnected: chat unavailable for 2 s` for a 2 s grace. */
export function unavailableFor(seconds: number): string {
  return `Error: disconnected: chat unavailable for ${seconds} s`;
}

/** `(N users online)` as the protocol writes it [CHAT-COUNT-1]. */
export function online(count: number): string {
  return `(${count} ${count === 1 ? 'user' : 'users'} online)`;
}

export const greeting = (count: number): string =>
  `Connected to the chat server ${online(count)}`;
export const entered = (addr: string, count: number): string =>
  `New user ${addr} entered ${online(count)}`;
export const left = (addr: string, count: number): string =>
  `The user ${addr} left ${online(count)}`;

/**
 * Connects `count` clients to `nodes` round-robin (client i to node
 * i % nodes.length), one at a time, each after the previous one's greeting:
 * so client i is greeted with `already + i + 1` online. `cleanups` destroys
 * them.
 */
export async function joinClients(
  nodes: readonly ClusterNode[],
  count: number,
  cleanups: Cleanups,
  already = 0
): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i += 1) {
    const node = nodes[i % nodes.length];
    if (node === undefined) throw new Error('joinClients: no nodes');
    const client = await connectClient(node.port);
    cleanups.add(() => client.destroy());
    clients.push(client);
    const first = await client.nextLine(5000);
    if (first !== greeting(already + i + 1))
      throw new Error(
        `client ${i} on node ${node.id} was greeted with ${JSON.stringify(first)}, expected ${JSON.stringify(greeting(already + i + 1))}`
      );
  }
  return clients;
}

/**
 * What `client` received, for checkTranscripts (src/tools/peers/transcript.ts),
 * without `Chat is available again`: a notice that is not a room event and
 * that the checker, written for one node, does not know.
 */
export function transcriptOf(client: TestClient, stayed: boolean): Transcript {
  return {
    addr: client.localAddr,
    lines: client.lines.filter((line) => line !== AVAILABLE_AGAIN),
    stayed
  };
}
