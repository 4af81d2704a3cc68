/**
 * What a stuck reader costs everyone else, with and without the send-queue
 * logic (issue 3). Starts the built daemon (dist/) as a child process per
 * run, 50 clients chatting as fast as a window of 10 lines in flight allows,
 * plus N clients that never read. Prints a markdown table and JSON.
 *
 *   npm run bench            (builds first)
 *   npm run bench -- --seconds 5 --chatters 50
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

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
const HOST = '127.0.0.1';

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

function startServer(
  args: string[]
): Promise<{ child: ChildProcess; port: number; slowConsumers: () => number }> {
  const child = spawn(
    process.execPath,
    [
      'dist/cli/server.js',
      HOST,
      '0',
      '--log-level',
      'info',
      '--flood-rate',
      '0',
      ...args
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let warnings = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      warnings += chunk;
    });
    const slowConsumers = (): number =>
      warnings.split('slow consumer disconnected').length - 1;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /started on port (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), slowConsumers });
    });
    child.once('exit', (code) =>
      reject(new Error(`server exited with ${code}`))
    );
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One chatting client: keeps WINDOW own lines in flight, counts what it receives. */
function chat(
  socket: Socket,
  stats: { received: number; latencies: number[] },
  until: number
): Promise<void> {
  let inFlight = 0;
  let partial = '';
  let seq = 0;
  const send = (): void => {
    while (inFlight < WINDOW && Date.now() < until) {
      inFlight += 1;
      socket.write(`${process.hrtime.bigint()} ${seq++}\n`);
    }
  };
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stats.received += 1;
      if (line.startsWith('[You] ')) {
        inFlight -= 1;
        const sent = BigInt(line.slice(6).split(' ', 1)[0] ?? '0');
        stats.latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
      }
    }
    send();
  });
  return new Promise((resolve) => {
    const greeted = (): void => send();
    socket.once('data', greeted);
    setTimeout(resolve, until - Date.now());
  });
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
  );
}

async function measure(run: Run): Promise<Result> {
  const { child, port, slowConsumers } = await startServer(run.args);
  const stuck: Socket[] = [];
  for (let i = 0; i < run.stuck; i++) {
    const socket = await open(port);
    socket.pause(); // never reads
    stuck.push(socket);
  }
  const chatters = await Promise.all(
    Array.from({ length: CHATTERS }, () => open(port))
  );
  const stats = { received: 0, latencies: [] as number[] };
  const started = Date.now();
  const until = started + SECONDS * 1000;
  await Promise.all(chatters.map((s) => chat(s, stats, until)));
  const elapsed = (Date.now() - started) / 1000;
  const rss = rssMb(child.pid ?? 0);
  // A paused client never notices the server closing it: ask the server.
  const disconnected = slowConsumers();
  for (const s of [...chatters, ...stuck]) s.destroy();
  child.kill('SIGKILL');
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
  `\n${CHATTERS} chatters, window ${WINDOW}, ${SECONDS} s per run, server and load generator on the same machine\n`
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
