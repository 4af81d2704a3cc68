/**
 * What a stuck reader costs everyone else, with and without the send-queue
 * logic (issue 3). Starts the built daemon (dist/) as a child process per
 * run, 50 clients chatting as fast as a window of 10 lines in flight allows,
 * plus N clients that never read. Prints a markdown table and JSON.
 *
 *   npm run bench            (builds first)
 *   npm run bench -- --seconds 5 --chatters 50
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import {
  PINNED,
  chat,
  open,
  percentile,
  rssMb,
  startServer,
  type ChatStats
} from './load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    chatters: { type: 'string', default: '50' },
    window: { type: 'string', default: '10' }
  }
});
const SECONDS = Number(values.seconds);
const CHATTERS = Number(values.chatters);
const WINDOW = Number(values.window);

interface Run {
  name: string;
  stuck: number;
  args: string[];
}

const QUEUE_OFF = [
  '--send-queue-bytes',
  '0',
  '--send-queue-soft-bytes',
  '0',
  '--stall-timeout',
  '0'
];
const RUNS: Run[] = [
  { name: 'no stuck reader', stuck: 0, args: [] },
  { name: '1 stuck, send queue on', stuck: 1, args: [] },
  { name: '1 stuck, send queue off', stuck: 1, args: QUEUE_OFF },
  { name: '5 stuck, send queue on', stuck: 5, args: [] },
  { name: '5 stuck, send queue off', stuck: 5, args: QUEUE_OFF }
];

interface Result {
  run: string;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverRssMb: number;
  stuckDisconnected: number;
}

/** Slow-consumer disconnects in the daemon's JSON log: one `member left` record each. */
function slowConsumers(logFile: string): number {
  try {
    return (
      readFileSync(logFile, 'utf8').split('"reason":"slow consumer"').length - 1
    );
  } catch {
    return 0;
  }
}

async function measure(run: Run): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'actor-chat-bench-'));
  const logFile = join(dir, 'chat.log');
  const server = await startServer([...run.args, '--log-file', logFile]);
  const { port } = server;
  const stuck: Socket[] = [];
  for (let i = 0; i < run.stuck; i++) {
    const socket = await open(port);
    socket.pause(); // never reads
    stuck.push(socket);
  }
  const chatters = await Promise.all(
    Array.from({ length: CHATTERS }, () => open(port))
  );
  const stats: ChatStats = { received: 0, latencies: [] };
  const started = Date.now();
  const until = started + SECONDS * 1000;
  await Promise.all(chatters.map((s) => chat(s, stats, until, WINDOW)));
  const elapsed = (Date.now() - started) / 1000;
  const rss = rssMb(server.child.pid ?? 0);
  for (const s of [...chatters, ...stuck]) s.destroy();
  server.stop();
  // A paused client never notices the server closing it: ask the log.
  const disconnected = slowConsumers(logFile);
  rmSync(dir, { recursive: true, force: true });
  const sorted = stats.latencies.sort((a, b) => a - b);
  return {
    run: run.name,
    deliveriesPerSec: Math.round(stats.received / elapsed),
    p50Ms: Math.round(percentile(sorted, 0.5) * 10) / 10,
    p99Ms: Math.round(percentile(sorted, 0.99) * 10) / 10,
    serverRssMb: rss,
    stuckDisconnected: disconnected
  };
}

const results: Result[] = [];
for (const run of RUNS) results.push(await measure(run));
const base = results[0]?.deliveriesPerSec ?? 1;
console.log(
  `\n${CHATTERS} chatters, window ${WINDOW}, ${SECONDS} s per run, ${PINNED ? 'server on core 0, load generator on core 1' : 'server and load generator not pinned (no taskset)'}\n`
);
console.log(
  '| run | deliveries/s | vs no stuck | p50 ms | p99 ms | server RSS MB | slow consumers disconnected |'
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.run} | ${r.deliveriesPerSec} | ${(r.deliveriesPerSec / base).toFixed(2)} | ${r.p50Ms} | ${r.p99Ms} | ${r.serverRssMb} | ${r.stuckDisconnected} |`
  );
}
console.log(
  `\n${JSON.stringify({ chatters: CHATTERS, window: WINDOW, seconds: SECONDS, results })}`
);
