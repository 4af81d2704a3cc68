/**
 * One client process of the idle-connection scale workload (bench/scale.ts).
 * A process of its own so that several of them can together hold more
 * connections than one process may have descriptors, on the load
 * generator's core.
 *
 *   node --import tsx bench/scale-client.ts --port N --target N [--room N]
 *        [--host 127.0.0.1] [--concurrency 256] [--timeout-ms 60000]
 *        [--first-address 2] [--per-address 10000] [--poke-ms 0]
 *
 * Opens `target` of the room's `room` connections, at most `concurrency` of
 * them waiting for their greeting at a time, the i-th from 127.0.0.(first +
 * i / per-address) so that no source address runs out of ephemeral ports.
 * Every connection keeps reading: after its greeting, whose `(N users
 * online)` it records, it only counts the `New user … entered` notices of
 * the joins after it (room - N of them), without decoding them.
 *
 * Once its connections are greeted and their notices have arrived (or the
 * timeout, its errors or a `stop` line on stdin ended that), it prints one
 * JSON line, a ScaleClientReport, and then obeys lines on stdin:
 *
 * - `check`: opens one more connection (from 127.0.0.254) and prints a
 *   ScaleClientCheck with the count its greeting says;
 * - `fanout MS`: prints `{"type":"armed"}`, then waits up to MS for every
 *   open connection to receive a line holding FAN_OUT_MARK and prints a
 *   ScaleClientFanOut;
 * - `say` (at once, even while a `fanout` waits): one open connection says
 *   FAN_OUT_MARK; prints `{"type":"said","at":EPOCH_MS}` (`at` null when no
 *   connection is open);
 * - `drop C` (the reconnect storm, bench/storm.ts): resets every
 *   connection at once, opens all `target` again with C waiting for their
 *   greeting at a time (CONCURRENCY when C is 0), waits for their greetings
 *   (not for notices: in a storm the counts say nothing about those) and
 *   prints another ScaleClientReport;
 * - `quit`: closes every connection and exits.
 *
 * Progress goes to stderr every 5 s.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

/** What one client process saw, printed as a JSON line once connected (and after each `drop`). */
export interface ScaleClientReport {
  type: 'ready';
  target: number;
  /** Connections attempted. */
  launched: number;
  /** Connections whose greeting arrived. */
  greeted: number;
  /** Greeted connections still open when this was printed. */
  open: number;
  /** Epoch ms of the first connect; after `drop`, of the drop. */
  firstConnectAt: number;
  /** Epoch ms of the last greeting (0 when none came). */
  lastGreetingAt: number;
  /** Epoch ms when every notice expected had arrived, or null. */
  noticesDoneAt: number | null;
  /** `New user … entered` lines the greeted connections received. */
  notices: number;
  /** Σ (room - N) over the greetings' counts N: what a full room sends. */
  noticesExpected: number;
  /** Which counts the greetings said: a byte per count 0..room, base64. */
  countsSeen: string;
  /** Greetings whose count was out of range or already seen here. */
  duplicateCounts: number;
  /** Failures by code (`ECONNRESET`, `server full`, `closed by server`, …). */
  failures: Record<string, number>;
  /** The first few failures in words. */
  failureSamples: string[];
  /** Why connecting stopped short of `target`, or null. */
  stoppedBy: string | null;
  /** CPU seconds (user + system) this process used so far. */
  cpuSeconds: number;
  /** Connections reset by the `drop` this report answers (0 for the first connect). */
  dropped: number;
  /** Connections given up on while waiting for their greeting, by how far they got. */
  stuck: { 'SYN unanswered': number; 'connected, no greeting': number };
}

/** The answer to `fanout`: how many open connections got the marked line, and when the last did. */
export interface ScaleClientFanOut {
  type: 'fanned';
  /** Open connections when armed. */
  expected: number;
  received: number;
  /** Epoch ms of the last arrival, or null when none came. */
  lastAt: number | null;
}

/** The text of the one chat line the fan-out probe says (bench/scale-probes.ts). */
export const FAN_OUT_MARK = 'scale-fan-out-probe';

/** The answer to `check`. */
export interface ScaleClientCheck {
  type: 'checked';
  count: number | null;
  line: string | null;
  error: string | null;
}

const LF = 0x0a;
const ERROR = Buffer.from('Error: ');
const GREETING = /^Connected to the chat server \((\d+) users? online\)\r?$/;
/** Codes after which another connect cannot succeed either. */
const FATAL = new Set([
  'EMFILE',
  'ENFILE',
  'EADDRNOTAVAIL',
  'EADDRINUSE',
  'ECONNREFUSED',
  'ENOBUFS',
  'ENOMEM',
  'server full',
  'too many from address'
]);
/** Failures of other kinds tolerated before connecting stops. */
const MAX_FAILURES = 100;
/** How long connections still waiting for a greeting get after a stop. */
const GRACE_MS = 2000;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    target: { type: 'string' },
    room: { type: 'string' },
    concurrency: { type: 'string', default: '256' },
    'timeout-ms': { type: 'string', default: '60000' },
    'first-address': { type: 'string', default: '2' },
    'per-address': { type: 'string', default: '10000' },
    'poke-ms': { type: 'string', default: '0' }
  }
});
const HOST = values.host;
const PORT = Number(values.port);
const TARGET = Number(values.target);
const ROOM = Number(values.room ?? values.target);
const CONCURRENCY = Number(values.concurrency);
const TIMEOUT_MS = Number(values['timeout-ms']);
const FIRST_ADDRESS = Number(values['first-address']);
/**
 * A connection not greeted this long after its handshake sends one blank
 * line, as chat-client does (src/cli/client.ts, GREETING_POKE_MS); 0 =
 * never, a client that only reads.
 */
const POKE_MS = Number(values['poke-ms']);
const PER_ADDRESS = Number(values['per-address']);
if (!(PORT > 0) || !(TARGET > 0) || !(ROOM >= TARGET) || !(CONCURRENCY > 0)) {
  console.error('scale-client: --port and --target (<= --room) are required');
  process.exit(2);
}

/** Source address of the i-th connection. */
function sourceAddress(i: number): string {
  return `127.0.0.${Math.min(253, FIRST_ADDRESS + Math.floor(i / PER_ADDRESS))}`;
}

/**
 * Every read lands in this one buffer and is counted before the next: no
 * allocation per read, so the load generator costs less than the server.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const sockets = new Set<Socket>();
/** Connections still waiting for their greeting. */
const waiting = new Set<Socket>();
/** Which counts the greetings said. */
const seen = new Uint8Array(ROOM + 1);
const failures: Record<string, number> = {};
const failureSamples: string[] = [];
let launched = 0;
let inFlight = 0;
let greeted = 0;
let lost = 0;
let notices = 0;
let noticesExpected = 0;
let duplicateCounts = 0;
let firstConnectAt = 0;
let lastGreetingAt = 0;
let noticesDoneAt: number | null = null;
let stoppedBy: string | null = null;
let quitting = false;
/** Connections waiting for their greeting at once: CONCURRENCY, or what `drop` says. */
let concurrency = CONCURRENCY;
/** Bumped by `drop`: the dropped connections' closes are not failures. */
let generation = 0;
/** False after a `drop`: during a storm the greetings' counts say nothing about the notices owed. */
let awaitNotices = true;
let dropped = 0;
/** Connections still waiting for their greeting when a connect phase gave up. */
const stuck = { 'SYN unanswered': 0, 'connected, no greeting': 0 };
let finished = false;
let onSettled: (() => void) | null = null;
/** While a fan-out probe runs: connections that saw the mark, and the wait's end. */
let fanOut: {
  /** Connections greeted when it was armed: only they count. */
  greetedBefore: number;
  expected: number;
  received: number;
  lastAt: number | null;
  done: () => void;
} | null = null;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function fail(code: string, detail: string): void {
  failures[code] = (failures[code] ?? 0) + 1;
  if (failureSamples.length < 5) failureSamples.push(`${code}: ${detail}`);
  const total = Object.values(failures).reduce((a, b) => a + b, 0);
  if (stoppedBy === null && (FATAL.has(code) || total >= MAX_FAILURES))
    stoppedBy = `${code} (${detail}) after ${greeted} of ${TARGET} greeted`;
}

/** The failures in one line: `ECONNRESET ×3, closed by server ×1 (…)`. */
function summary(): string {
  const parts = Object.entries(failures).map(([code, n]) => `${code} ×${n}`);
  return `${parts.join(', ')} (${greeted - lost} of ${TARGET} open)`;
}

/** Ends the wait in `main` once there is nothing more to wait for. */
function checkSettled(): void {
  if (greeted === TARGET && notices >= noticesExpected) noticesDoneAt ??= now();
  if (onSettled === null) return;
  if (greeted === TARGET && awaitNotices && notices < noticesExpected) return;
  if (greeted < TARGET && inFlight > 0) return;
  const settle = onSettled;
  onSettled = null;
  settle();
}

/** Opens the i-th idle connection. */
function launch(i: number): void {
  launched += 1;
  inFlight += 1;
  const born = generation;
  let greetedHere = false;
  let pending: Buffer = Buffer.alloc(0);
  let failed = false;
  /** The tail of the last read while a probe runs: the mark may straddle two reads. */
  let carry = '';
  let marked = false;
  /** This connection's place among the greeted (1 for the first), 0 before its greeting. */
  let order = 0;
  const socket = connect({
    host: HOST,
    port: PORT,
    localAddress: sourceAddress(i),
    onread: {
      buffer: READ_BUFFER,
      callback: (nread) => {
        onRead(nread);
        return true;
      }
    }
  });
  sockets.add(socket);
  waiting.add(socket);
  if (POKE_MS > 0)
    socket.once('connect', () => {
      const poke = setTimeout(() => {
        if (!greetedHere && !socket.destroyed) socket.write('\n');
      }, POKE_MS);
      socket.once('close', () => clearTimeout(poke));
    });
  const settleOne = (): void => {
    waiting.delete(socket);
    inFlight -= 1;
    fill();
    checkSettled();
  };
  const failOne = (code: string, detail: string): void => {
    if (failed || quitting || born !== generation) return;
    failed = true;
    if (greetedHere) lost += 1;
    // An abandoned straggler (see main) is not a failure.
    if (!waiting.has(socket) || !finished) fail(code, detail);
    if (!greetedHere) settleOne();
  };
  /** Counts one read of `nread` bytes in the shared buffer. */
  const onRead = (nread: number): void => {
    let chunk: Buffer = READ_BUFFER.subarray(0, nread);
    let from = 0;
    if (!greetedHere) {
      pending = Buffer.concat([pending, chunk]);
      const lf = pending.indexOf(LF);
      if (lf === -1) return;
      const line = pending.toString('utf8', 0, lf);
      const count = Number(GREETING.exec(line)?.[1] ?? NaN);
      if (!Number.isInteger(count)) {
        const refusal = /^Error: (server full|too many connections)/.exec(line);
        failOne(
          refusal?.[1] === 'server full'
            ? 'server full'
            : refusal === null
              ? 'bad greeting'
              : 'too many from address',
          line.slice(0, 120)
        );
        socket.destroy();
        return;
      }
      greetedHere = true;
      greeted += 1;
      order = greeted;
      lastGreetingAt = now();
      if (count >= 1 && count <= ROOM && seen[count] === 0) {
        seen[count] = 1;
        noticesExpected += ROOM - count;
      } else duplicateCounts += 1;
      chunk = pending;
      pending = Buffer.alloc(0);
      from = lf + 1;
      settleOne();
    }
    const at = chunk.indexOf(ERROR, from);
    if (at !== -1) {
      const end = chunk.indexOf(LF, at);
      failOne(
        'error line',
        chunk.toString('utf8', at, end === -1 ? chunk.length : end)
      );
    }
    if (fanOut !== null && !marked && order <= fanOut.greetedBefore) {
      const text = carry + chunk.toString('latin1', from);
      if (text.includes(FAN_OUT_MARK)) {
        marked = true;
        fanOut.received += 1;
        fanOut.lastAt = now();
        if (fanOut.received >= fanOut.expected) fanOut.done();
        return;
      }
      carry = text.slice(-FAN_OUT_MARK.length);
      return;
    }
    for (let lf = chunk.indexOf(LF, from); lf !== -1;) {
      notices += 1;
      lf = chunk.indexOf(LF, lf + 1);
    }
    if (greeted === TARGET && notices >= noticesExpected) checkSettled();
  };
  socket.on('error', (err: NodeJS.ErrnoException) => {
    failOne(err.code ?? 'error', err.message);
  });
  socket.on('close', () => {
    sockets.delete(socket);
    failOne(
      greetedHere ? 'closed by server' : 'closed before greeting',
      `connection ${i} from ${sourceAddress(i)}`
    );
  });
}

function fill(): void {
  while (
    stoppedBy === null &&
    !finished &&
    inFlight < concurrency &&
    launched < TARGET
  )
    launch(launched);
}

function progress(): void {
  console.error(
    `scale-client: ${greeted}/${TARGET} greeted, ${inFlight} in flight, ` +
      `${notices}/${noticesExpected} notices, ${Math.round(now() - firstConnectAt)} ms`
  );
}

function report(): ScaleClientReport {
  const { user, system } = process.cpuUsage();
  return {
    type: 'ready',
    target: TARGET,
    launched,
    greeted,
    open: greeted - lost,
    firstConnectAt,
    lastGreetingAt,
    noticesDoneAt,
    notices,
    noticesExpected,
    countsSeen: Buffer.from(seen).toString('base64'),
    duplicateCounts,
    failures,
    failureSamples,
    stoppedBy,
    cpuSeconds: Math.round((user + system) / 1e4) / 100,
    dropped,
    stuck: { ...stuck }
  };
}

/** Waits until everything is greeted and notified, or `ms` passes. */
function settled(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      onSettled = null;
      resolve(false);
    }, ms);
    onSettled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    checkSettled();
  });
}

/** Stops connecting and waiting now (the bench says another process stopped). */
function stop(): void {
  stoppedBy ??= 'stopped by the bench (another client process stopped)';
  const settle = onSettled;
  onSettled = null;
  settle?.();
}

/**
 * Arms the fan-out probe: every open connection now looks for the mark.
 * Resolves once all of them saw it, or after `ms`.
 */
function awaitFanOut(ms: number): Promise<ScaleClientFanOut> {
  return new Promise((resolve) => {
    const expected = greeted - lost;
    const finish = (): void => {
      clearTimeout(timer);
      const seen = fanOut;
      fanOut = null;
      resolve({
        type: 'fanned',
        expected,
        received: seen?.received ?? 0,
        lastAt: seen?.lastAt ?? null
      });
    };
    const timer = setTimeout(finish, ms);
    fanOut = {
      greetedBefore: greeted,
      expected,
      received: 0,
      lastAt: null,
      done: finish
    };
    if (expected === 0) finish();
  });
}

/** Says the fan-out probe's line from one greeted, open connection. */
function say(): { type: 'said'; at: number | null } {
  for (const socket of sockets) {
    if (waiting.has(socket) || socket.destroyed) continue;
    socket.write(`${FAN_OUT_MARK}\n`);
    return { type: 'said', at: now() };
  }
  return { type: 'said', at: null };
}

function check(): Promise<ScaleClientCheck> {
  return new Promise((resolve) => {
    const socket = connect({
      host: HOST,
      port: PORT,
      localAddress: '127.0.0.254'
    });
    sockets.add(socket);
    let text = '';
    const timer = setTimeout(() => {
      resolve({ type: 'checked', count: null, line: null, error: 'timeout' });
    }, 10_000);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const lf = text.indexOf('\n');
      if (lf === -1) return;
      clearTimeout(timer);
      const line = text.slice(0, lf);
      const count = GREETING.exec(line)?.[1];
      resolve({
        type: 'checked',
        count: count === undefined ? null : Number(count),
        line,
        error: null
      });
      // Keep reading (and discarding) like the others.
      socket.removeAllListeners('data').resume();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({
        type: 'checked',
        count: null,
        line: null,
        error: err.code ?? err.message
      });
    });
  });
}

/**
 * Opens TARGET connections, `concurrency` waiting for their greeting at a
 * time, and waits (at most TIMEOUT_MS) for every greeting and, unless after
 * a drop, every notice owed; stragglers get GRACE_MS, then go.
 */
async function connectAll(): Promise<void> {
  const ticker = setInterval(progress, 5000);
  fill();
  const complete = await settled(TIMEOUT_MS);
  if (!complete && stoppedBy === null) {
    stoppedBy =
      greeted < TARGET
        ? `timeout after ${TIMEOUT_MS / 1000} s: ${greeted} of ${TARGET} greeted`
        : `timeout after ${TIMEOUT_MS / 1000} s waiting for notices: ${notices} of ${noticesExpected}`;
  }
  finished = true;
  if (!complete) {
    // Stragglers still waiting for a greeting get a short grace, then go.
    if (inFlight > 0) await settled(GRACE_MS);
    // Which side of the handshake each was stuck on: a connection the
    // kernel here calls established may be one whose final ACK the server
    // dropped (its accept queue full, after a SYN cookie): it then waits
    // for a greeting that never comes.
    for (const socket of waiting) {
      stuck[socket.connecting ? 'SYN unanswered' : 'connected, no greeting'] +=
        1;
      socket.destroy();
    }
  }
  if (stoppedBy === null && greeted - lost < TARGET) stoppedBy = summary();
  clearInterval(ticker);
  progress();
}

/**
 * The reconnect storm: resets every connection at once (an RST, as a
 * network blip looks once the client notices), then opens all TARGET again,
 * `newConcurrency` waiting for their greeting at a time. The counters start
 * over; `firstConnectAt` becomes the drop's time.
 */
async function drop(newConcurrency: number): Promise<void> {
  generation += 1;
  const at = now();
  dropped = 0;
  for (const socket of sockets) {
    socket.resetAndDestroy();
    dropped += 1;
  }
  sockets.clear();
  waiting.clear();
  launched = 0;
  inFlight = 0;
  greeted = 0;
  lost = 0;
  notices = 0;
  noticesExpected = 0;
  duplicateCounts = 0;
  lastGreetingAt = 0;
  noticesDoneAt = null;
  stoppedBy = null;
  finished = false;
  awaitNotices = false;
  seen.fill(0);
  for (const code of Object.keys(failures)) delete failures[code];
  failureSamples.length = 0;
  stuck['SYN unanswered'] = 0;
  stuck['connected, no greeting'] = 0;
  concurrency = newConcurrency > 0 ? newConcurrency : CONCURRENCY;
  firstConnectAt = at;
  await connectAll();
}

async function main(): Promise<void> {
  const commands = createInterface({ input: process.stdin });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  commands.on('line', (line) => {
    if (line === 'stop') stop();
    else if (line === 'say') console.log(JSON.stringify(say()));
    else lines.push(line);
    wake?.();
  });
  commands.on('close', () => {
    closed = true;
    wake?.();
  });
  firstConnectAt = now();
  await connectAll();
  console.log(JSON.stringify(report()));
  for (;;) {
    const command = lines.shift();
    if (command === undefined) {
      if (closed) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      continue;
    }
    if (command === 'check') console.log(JSON.stringify(await check()));
    if (command.startsWith('drop ')) {
      await drop(Number(command.slice(5)));
      console.log(JSON.stringify(report()));
    }
    if (command.startsWith('fanout ')) {
      const fanned = awaitFanOut(Number(command.slice(7)));
      console.log(JSON.stringify({ type: 'armed' }));
      console.log(JSON.stringify(await fanned));
    }
    if (command === 'quit') break;
  }
  quitting = true;
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}

await main();
