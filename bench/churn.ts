/**
 * Connect/disconnect churn (issue 6): how many connections a second a server
 * takes through join, greeting and leave while the counts stay true.
 *
 * One watcher stays connected throughout; `concurrency` workers each loop
 * for `seconds`: connect (from source addresses spread over 127.0.0.2…, so
 * ports in TIME_WAIT never run out), wait for the greeting, `end()`, wait for
 * the close. The watcher keeps a running count from its greeting and every
 * notice after it, and each notice's `(N users online)` must equal it; every
 * address must join before it leaves and leave once. After the workers stop
 * and the notices settle, the count must be back to 1, joins must equal
 * leaves and lie between the completed cycles and the attempts (a cycle that
 * timed out may or may not have reached the server), and a fresh client
 * must be greeted with `(2 users online)`. A cycle that takes over 5 s is
 * reported in `errors`; on a loaded machine that is often a dropped SYN
 * (`packetDrops`) waiting for its retransmission.
 *
 *   npx tsx bench/churn.ts [--kinds actor-chat,raw] [--seconds 5] [--concurrency 50]
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import {
  HOST,
  cpuSeconds,
  open,
  percentile,
  startKind,
  stopAndWait,
  type BenchServer,
  type ServerKind
} from './load.js';
import { softnetDrops } from './scale.js';

/** What one churn run measured. */
export interface ChurnResult {
  kind: ServerKind;
  /** From the first connect until the last worker finished. */
  seconds: number;
  /** Connect, greeting, close: completed. */
  cycles: number;
  connectionsPerSec: number;
  /**
   * Every notice's count equals the running count, every address joins and
   * leaves once, joins equal leaves (at least the completed cycles, at most
   * the attempts), and the final counts are right. Timeouts and socket
   * errors of single cycles are in `errors` but do not make this false.
   */
  countsCorrect: boolean;
  /** One line per kind of violation or failure, with how often it happened. */
  errors: string[];
  /** CPU seconds the server used during the cycles. */
  serverCpuSeconds: number;
  /** How long completed cycles took, in ms. */
  cycleP50Ms: number;
  cycleP99Ms: number;
  cycleMaxMs: number;
  /** Packets the kernel dropped meanwhile (machine-wide; see softnetDrops). */
  packetDrops: number;
}

const GREETING = /^Connected to the chat server \((\d+) users? online\)$/;
const JOINED = /^New user (\S+) entered \((\d+) users? online\)$/;
const LEFT = /^The user (\S+) left \((\d+) users? online\)$/;
/** How long one connect-greet-close cycle may take. */
const CYCLE_TIMEOUT_MS = 5000;
/** How long the notices get to catch up after the workers stop. */
const SETTLE_MS = 5000;
/** Source addresses 127.0.0.2 … 127.0.0.(1 + ADDRESSES). */
const ADDRESSES = 200;

/**
 * Violations by kind: how many, and the first example. Failures of one
 * cycle (timeouts, socket errors) are recorded with `add`, wrong counts
 * with `addCount`.
 */
class Violations {
  readonly #seen = new Map<string, { count: number; example: string }>();
  #countsWrong = false;

  add(kind: string, example: string): void {
    const entry = this.#seen.get(kind);
    if (entry === undefined) this.#seen.set(kind, { count: 1, example });
    else entry.count += 1;
  }

  addCount(kind: string, example: string): void {
    this.#countsWrong = true;
    this.add(kind, example);
  }

  get countsCorrect(): boolean {
    return !this.#countsWrong;
  }

  lines(): string[] {
    return [...this.#seen].map(
      ([kind, { count, example }]) => `${kind} ×${count} (first: ${example})`
    );
  }
}

/** The watcher: a running count checked against every notice. */
interface Watcher {
  readonly socket: Socket;
  count: number;
  joins: number;
  leaves: number;
}

function watch(socket: Socket, violations: Violations): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const watcher: Watcher = { socket, count: 0, joins: 0, leaves: 0 };
    const present = new Set<string>();
    let greeted = false;
    let partial = '';
    const timer = setTimeout(
      () => reject(new Error('watcher: no greeting in 5 s')),
      5000
    );
    const onLine = (line: string): void => {
      if (!greeted) {
        const count = GREETING.exec(line)?.[1];
        if (count === undefined) {
          reject(new Error(`watcher: unexpected greeting "${line}"`));
          return;
        }
        greeted = true;
        clearTimeout(timer);
        watcher.count = Number(count);
        if (watcher.count !== 1)
          violations.addCount('watcher not alone at the start', line);
        resolve(watcher);
        return;
      }
      const join = JOINED.exec(line);
      const leave = join === null ? LEFT.exec(line) : null;
      const match = join ?? leave;
      if (match === null) {
        violations.addCount('unexpected line', line.slice(0, 120));
        return;
      }
      const [, address = '', said = ''] = match;
      if (join !== null) {
        watcher.joins += 1;
        watcher.count += 1;
        if (present.has(address)) violations.addCount('joined twice', line);
        present.add(address);
      } else {
        watcher.leaves += 1;
        watcher.count -= 1;
        if (!present.delete(address))
          violations.addCount('left without joining (or twice)', line);
      }
      if (Number(said) !== watcher.count)
        violations.addCount(
          'notice count differs from the running count',
          `${line} (running count ${watcher.count})`
        );
    };
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    });
    socket.on('error', (err) =>
      violations.addCount('watcher error', err.message)
    );
    socket.on('close', () =>
      violations.addCount('watcher disconnected', 'closed by the server')
    );
  });
}

/**
 * One cycle from `localAddress`: connect, greeting, `end()`, close. Resolves
 * true when it completed, false (with the violation recorded) when not.
 */
function cycle(
  port: number,
  localAddress: string,
  violations: Violations
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port, localAddress });
    let text = '';
    let greeted = false;
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!ok) socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => {
      violations.add(
        greeted ? 'close timeout' : 'greeting timeout',
        `from ${localAddress} after ${CYCLE_TIMEOUT_MS} ms`
      );
      finish(false);
    }, CYCLE_TIMEOUT_MS);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      if (greeted) return;
      text += chunk;
      const lf = text.indexOf('\n');
      if (lf === -1) return;
      const line = text.slice(0, lf).replace(/\r$/, '');
      if (!GREETING.test(line)) {
        violations.addCount('bad greeting', line.slice(0, 120));
        finish(false);
        return;
      }
      greeted = true;
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      violations.add(`socket error ${err.code ?? ''}`.trim(), err.message);
      finish(false);
    });
    socket.on('close', () => {
      if (!greeted && !done)
        violations.add('closed before the greeting', `from ${localAddress}`);
      finish(greeted);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The count a fresh client's greeting says, or the reason there is none. */
async function greetingCount(port: number): Promise<number | string> {
  const socket = await open(port);
  try {
    return await new Promise<number | string>((resolve) => {
      let text = '';
      const timer = setTimeout(() => resolve('no greeting in 5 s'), 5000);
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        const lf = text.indexOf('\n');
        if (lf === -1) return;
        clearTimeout(timer);
        const line = text.slice(0, lf).replace(/\r$/, '');
        const count = GREETING.exec(line)?.[1];
        resolve(count === undefined ? line : Number(count));
      });
    });
  } finally {
    socket.destroy();
  }
}

function serverArgs(kind: ServerKind, concurrency: number): string[] {
  if (kind !== 'actor-chat') return [];
  return [
    '--max-connections',
    String(concurrency + 100),
    '--idle-timeout',
    '0'
  ];
}

/** Runs the churn workload against a fresh `kind` server. */
export async function churn(
  kind: ServerKind,
  options: { seconds: number; concurrency: number }
): Promise<ChurnResult> {
  const { seconds, concurrency } = options;
  const server: BenchServer = await startKind(kind, {
    args: serverArgs(kind, concurrency)
  });
  const violations = new Violations();
  let watcher: Watcher | null = null;
  try {
    watcher = await watch(await open(server.port), violations);
    let cycles = 0;
    let attempts = 0;
    const pid = server.child.pid ?? 0;
    const cpuBefore = cpuSeconds(pid);
    const dropsBefore = softnetDrops();
    const started = performance.now();
    const until = started + seconds * 1000;
    const durations: number[] = [];
    const worker = async (): Promise<void> => {
      while (performance.now() < until && server.child.exitCode === null) {
        const address = `127.0.0.${2 + (attempts % ADDRESSES)}`;
        attempts += 1;
        const begun = performance.now();
        if (await cycle(server.port, address, violations)) {
          cycles += 1;
          durations.push(performance.now() - begun);
        }
        // A failing server must not turn this into a busy loop.
        else await sleep(10);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = (performance.now() - started) / 1000;
    const drops = softnetDrops() - dropsBefore;
    durations.sort((a, b) => a - b);
    const cpu =
      server.child.exitCode === null ? cpuSeconds(pid) - cpuBefore : 0;
    const w = watcher;
    const settleUntil = Date.now() + SETTLE_MS;
    // Settled: every join has its leave and nobody but the watcher is left.
    while (
      Date.now() < settleUntil &&
      !(w.joins >= cycles && w.leaves === w.joins && w.count === 1)
    )
      await sleep(20);
    if (server.child.exitCode !== null || server.child.signalCode !== null)
      violations.addCount(
        'server died',
        server.output().trim().split('\n').slice(-2).join(' | ')
      );
    if (w.count !== 1)
      violations.addCount(
        'running count not back to 1',
        `${w.count} after ${SETTLE_MS} ms`
      );
    // A cycle that timed out may or may not have reached the server.
    if (w.joins !== w.leaves || w.joins < cycles || w.joins > attempts)
      violations.addCount(
        'joins and leaves differ from the cycles',
        `${w.joins} joins, ${w.leaves} leaves, ${cycles} cycles (${attempts} attempts)`
      );
    const fresh = await greetingCount(server.port);
    if (fresh !== 2)
      violations.addCount(
        'fresh client not greeted with (2 users online)',
        String(fresh)
      );
    return {
      kind,
      seconds: Math.round(elapsed * 100) / 100,
      cycles,
      connectionsPerSec: Math.round(cycles / elapsed),
      countsCorrect: violations.countsCorrect,
      errors: violations.lines(),
      serverCpuSeconds: Math.round(cpu * 100) / 100,
      cycleP50Ms: Math.round(percentile(durations, 0.5) * 10) / 10,
      cycleP99Ms: Math.round(percentile(durations, 0.99) * 10) / 10,
      cycleMaxMs: Math.round(percentile(durations, 1) * 10) / 10,
      packetDrops: drops
    };
  } finally {
    watcher?.socket.removeAllListeners('close').destroy();
    await stopAndWait(server);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      kinds: { type: 'string', default: 'actor-chat,raw' },
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '50' }
    }
  });
  for (const kind of values.kinds.split(',') as ServerKind[]) {
    const result = await churn(kind, {
      seconds: Number(values.seconds),
      concurrency: Number(values.concurrency)
    });
    console.log(JSON.stringify(result));
  }
}
