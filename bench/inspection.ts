/**
 * What inspection costs chat throughput (issue 5): the same workload against
 * the built daemon with the admin listener off, on with nobody watching, and
 * on with one `/events` viewer attached (the page's stream, 10 updates/s,
 * following one connection). Rounds alternate the three so drift in the
 * machine's load hits each alike; the table gives each one's median.
 *
 *   npm run bench:inspect
 *   npm run bench:inspect -- --seconds 5 --rounds 3 --chatters 50
 */
import { get, type ClientRequest } from 'node:http';
import { parseArgs } from 'node:util';
import {
  HOST,
  PINNED,
  chatRun,
  cpuSeconds,
  startServer,
  type ChatResult
} from './load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    chatters: { type: 'string', default: '50' },
    window: { type: 'string', default: '10' }
  }
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CHATTERS = Number(values.chatters);
const WINDOW = Number(values.window);

interface Mode {
  name: string;
  args: string[];
  viewer: boolean;
}

const MODES: Mode[] = [
  { name: 'admin off', args: [], viewer: false },
  {
    name: 'admin on, no viewer',
    args: ['--admin', `${HOST}:0`],
    viewer: false
  },
  {
    name: 'admin on, one viewer',
    args: ['--admin', `${HOST}:0`],
    viewer: true
  }
];

/** An `/events` reader like the page: counts the updates it gets. */
function attachViewer(
  adminPort: number
): Promise<{ updates: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    let updates = 0;
    const request: ClientRequest = get(
      {
        host: HOST,
        port: adminPort,
        path: '/events?interval=100&watch=c1&order=newest'
      },
      (res) => {
        res.setEncoding('utf8').on('data', (chunk: string) => {
          updates += chunk.split('event: update').length - 1;
        });
        resolve({ updates: () => updates, close: () => request.destroy() });
      }
    );
    request.once('error', reject);
  });
}

interface Measured extends ChatResult {
  viewerUpdates: number;
  /** Server CPU per 100,000 deliveries: what the load generator's limits cannot hide. */
  cpuMsPer100k: number;
}

async function measure(mode: Mode): Promise<Measured> {
  const server = await startServer(mode.args);
  try {
    const viewer =
      mode.viewer && server.adminPort !== null
        ? await attachViewer(server.adminPort)
        : null;
    const pid = server.child.pid ?? 0;
    const cpuBefore = cpuSeconds(pid);
    const result = await chatRun(server.port, CHATTERS, SECONDS, WINDOW);
    const cpu = cpuSeconds(pid) - cpuBefore;
    const viewerUpdates = viewer?.updates() ?? 0;
    viewer?.close();
    const deliveries = result.deliveriesPerSec * SECONDS;
    return {
      ...result,
      viewerUpdates,
      cpuMsPer100k: Math.round(((cpu * 1000) / deliveries) * 100_000)
    };
  } finally {
    server.stop();
  }
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const runs = new Map<string, Measured[]>(MODES.map((mode) => [mode.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) runs.get(mode.name)?.push(await measure(mode));
}

const summary = MODES.map((mode) => {
  const results = runs.get(mode.name) ?? [];
  return {
    mode: mode.name,
    deliveriesPerSec: median(results.map((r) => r.deliveriesPerSec)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    cpuMsPer100k: median(results.map((r) => r.cpuMsPer100k)),
    viewerUpdatesPerSec:
      Math.round((median(results.map((r) => r.viewerUpdates)) / SECONDS) * 10) /
      10,
    rounds: results.map((r) => r.deliveriesPerSec)
  };
});
const base = summary[0]?.deliveriesPerSec ?? 1;
const baseCpu = summary[0]?.cpuMsPer100k ?? 1;
console.log(
  `\n${CHATTERS} chatters, window ${WINDOW}, ${SECONDS} s per run, ${ROUNDS} rounds (median shown), ` +
    `${PINNED ? 'server on core 0, load generator on core 1' : 'not pinned (no taskset)'}\n`
);
console.log(
  '| admin listener | deliveries/s | vs off | server CPU ms per 100k deliveries | vs off | p50 ms | p99 ms | viewer updates/s | deliveries/s, every round |'
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const s of summary) {
  console.log(
    `| ${s.mode} | ${s.deliveriesPerSec} | ${(s.deliveriesPerSec / base).toFixed(2)} | ${s.cpuMsPer100k} | ${(s.cpuMsPer100k / baseCpu).toFixed(2)} | ${s.p50Ms} | ${s.p99Ms} | ${s.viewerUpdatesPerSec} | ${s.rounds.join(', ')} |`
  );
}
console.log(
  `\n${JSON.stringify({ chatters: CHATTERS, window: WINDOW, seconds: SECONDS, rounds: ROUNDS, pinned: PINNED, summary })}`
);
