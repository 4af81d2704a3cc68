/**
 * Deterministic replay (issue 4, item 3): a schedule of client steps runs
 * against the real connection and room machines, composed by the daemon's
 * own `ConnectionRegistry`, over `MemoryConnection`s instead of sockets.
 * Those run the daemon's connection policy (`InputGate` for held input and
 * idleness, `SendLimits` for the send marks, the stall watchdog and giving
 * up); only how bytes move is simulated (issue 16, item 2). Everything is
 * synchronous: XState and RxJS deliver in the caller's stack, and every
 * timer (XState's `after`, the transport's idle, stall and linger) runs on a
 * `VirtualClock` over XState's `SimulatedClock`. No socket, no real timer,
 * no microtask: the same schedule and seed give the same transcripts, byte
 * for byte, in milliseconds.
 *
 * ## Replaying a failing property
 * fast-check prints, on failure, the shrunk schedule and a line such as
 * `{ seed: 1127415329, path: "41:2:0:1", endOnFailure: true }`. Either
 * - pass `seed` and `path` back to `fc.assert(property, { seed, path })`
 *   (test/unit/testing/replay reads `REPLAY_SEED` and `REPLAY_PATH` from the
 *   environment for this: `REPLAY_SEED=1127415329 REPLAY_PATH=41:2:0:1
 *   npx vitest run test/unit/testing/replay`), which reruns just that case, or
 * - paste the printed schedule into `replay(schedule, options)`: steps are
 *   plain JSON, and its `seed` option is the one the property used.
 */
import { resolveLimits, type Limits } from '../../app/limits.js';
import { createLogger, type Logger } from '../../app/logger.js';
import type { ConnectionPort } from '../../machines/types.js';
import { LEAVE_TIMEOUT_MS, LINGER_MS } from '../../protocol/constants.js';
import type { MemoryConnection } from '../../transport/memory-connection.js';
import { createMemoryServer, type MemoryServer } from './memory-server.js';
import type { ReplayConnection, ReplayResult, Typed } from './replay-result.js';
import { Scheduler } from './scheduler.js';
import { carriesText, isTyping, typedLine, type ReplayStep } from './steps.js';
import { WriteLog } from './write-log.js';

export type { ReplayStats } from './memory-server.js';
export type { ReplayConnection, ReplayResult, Typed } from './replay-result.js';

/** How to run a replay. */
export interface ReplayOptions {
  /** Seeds the slicing of lines (see `slice`); default 0. */
  seed?: number;
  /** Limits, as for the daemon; the defaults otherwise. `floodRate` is ignored. */
  limits?: Partial<Limits>;
  /** Sends each line in 1-7 byte pieces chosen by the seed. */
  slice?: boolean;
  /** Wraps each port before its actor sees it, as `DaemonOptions.wrapPort`. */
  wrapPort?: (port: ConnectionPort, connId: string) => ConnectionPort;
  /**
   * After the window, everyone still connected closes and virtual time
   * runs until every connection is gone (`final`); default true.
   */
  settle?: boolean;
  /** Default: silent. */
  logger?: Logger;
}

interface Client {
  readonly client: number;
  readonly connId: string;
  readonly conn: MemoryConnection;
  readonly sent: string[];
  readonly typed: Typed[];
  closedAt: number | null;
}

const FIRST_PORT = 50_000;
const SETTLE_ROUNDS = 10;

/**
 * Runs `schedule` against the real machines over memory connections and
 * returns every connection's transcript and the daemon-like stats.
 *
 * @example
 * const result = replay([
 *   { kind: 'join', client: 0 },
 *   { kind: 'join', client: 1 },
 *   { kind: 'say', client: 0 }
 * ]);
 * checkTranscripts(result.transcripts, { sent: result.sent }); // []
 */
export function replay(
  schedule: readonly ReplayStep[],
  options: ReplayOptions = {}
): ReplayResult {
  const seed = options.seed ?? 0;
  const limits = resolveLimits(options.limits ?? {});
  const scheduler = new Scheduler<ReplayStep>(seed);
  const run = { skipped: 0, says: 0, shutDown: false, step: 0 };
  const tick = { key: '', value: -1 };
  const tickNow = (): number => {
    const key = `${run.step}:${scheduler.clock.now()}`;
    if (key !== tick.key) Object.assign(tick, { key, value: tick.value + 1 });
    return tick.value;
  };
  const log = new WriteLog(tickNow);
  const { wrapPort } = options;
  const server = createMemoryServer({
    limits,
    clock: scheduler.clock,
    logger: options.logger ?? createLogger({ console: false }),
    // The log sees what reaches the connection: below any injected fault.
    wrapPort: (port, connId) => {
      const logged = log.wrap(port, connId);
      return wrapPort ? wrapPort(logged, connId) : logged;
    }
  });
  const clients: Client[] = [];
  const current = new Map<number, Client>();
  const noteClosed = (): void => {
    for (const c of clients)
      if (c.closedAt === null && !c.conn.isOpen) c.closedAt = tickNow();
  };

  const send = (c: Client, text: string): void => {
    const bytes = Buffer.from(`${text}\n`);
    if (options.slice !== true) {
      c.conn.peerSend(bytes);
      return;
    }
    for (let at = 0; at < bytes.length && c.conn.peerState === 'open';) {
      const size = scheduler.rng.int(1, 7);
      c.conn.peerSend(bytes.subarray(at, at + size));
      at += size;
    }
  };

  const apply = (step: ReplayStep): boolean => {
    noteClosed();
    run.step += 1;
    if (step.kind === 'advance') {
      scheduler.clock.advance(step.ms);
      return true;
    }
    if (step.kind === 'shutdown') {
      run.shutDown = true;
      return false;
    }
    const c = current.get(step.client);
    const open = c !== undefined && c.conn.isOpen;
    const canSend = open && c.conn.peerState === 'open';
    if (isTyping(step)) {
      if (!canSend) {
        run.skipped += 1;
        return true;
      }
      const text = carriesText(step) ? `c${step.client}.${++run.says}` : '';
      const line = typedLine(step, text);
      if (step.kind === 'say') c.sent.push(text);
      c.typed.push({ line, tick: tickNow(), ...(text && { text }) });
      send(c, line);
      return true;
    }
    switch (step.kind) {
      case 'join': {
        if (open) break;
        const remote = `127.0.0.1:${FIRST_PORT + clients.length + 1}`;
        const accepted = server.accept(remote);
        if (accepted === null) break;
        const joined = {
          client: step.client,
          ...accepted,
          sent: [],
          typed: [],
          closedAt: null
        };
        clients.push(joined);
        current.set(step.client, joined);
        return true;
      }
      case 'oversize':
        if (!canSend) break;
        send(c, 'x'.repeat(limits.maxLineBytes + 1));
        return true;
      case 'fin':
        if (!canSend) break;
        c.conn.peerFin();
        return true;
      case 'close':
        if (!canSend) break;
        c.conn.peerClose();
        return true;
      case 'reset':
        if (!open || c.conn.peerState === 'reset') break;
        if (step.midLine === true && canSend) c.conn.peerSend('half a li');
        c.conn.peerReset();
        return true;
      case 'stall':
        if (!open || !c.conn.peerReading) break;
        c.conn.stopReading(step.budget);
        return true;
      case 'resume':
        if (!open || c.conn.peerReading) break;
        c.conn.resumeReading();
        return true;
    }
    run.skipped += 1;
    return true;
  };

  scheduler.enqueue(...schedule);
  scheduler.runQueued(apply, schedule.length);
  noteClosed();
  // At a shutdown the window ends as it begins: who was online then stays.
  const stayed = new Set(clients.filter(isStaying));
  const window = server.stats();
  if (run.shutDown) server.shutdown();
  const connections = clients.map((c) =>
    report(c, stayed.has(c), log.read(c.connId, c.conn.transcript()))
  );
  if (options.settle !== false) settle(server, clients, limits, scheduler);
  const final = server.stats();
  server.stop();

  return {
    seed,
    connections,
    transcripts: connections.map(({ addr, lines, stayed }) => ({
      addr,
      lines,
      stayed
    })),
    sent: new Map(
      connections.filter((c) => c.stayed).map((c) => [c.addr, c.sent])
    ),
    skipped: run.skipped,
    window,
    final,
    faults: [...server.faults]
  };
}

/** Online, reading and untouched by its own faults: its transcript is complete. */
function isStaying(c: Client): boolean {
  const { conn } = c;
  return (
    !conn.isEnding &&
    conn.peerState === 'open' &&
    conn.peerReading &&
    conn.transcript()[0]?.startsWith('Connected to the chat server') === true
  );
}

function report(
  c: Client,
  stayed: boolean,
  read: { ticks: number[]; missedFrom: number }
): ReplayConnection {
  return {
    client: c.client,
    connId: c.connId,
    addr: c.conn.remote,
    lines: c.conn.transcript(),
    partial: c.conn.partialLine(),
    stayed,
    sent: [...c.sent],
    ...read,
    typed: [...c.typed],
    closedAt: c.closedAt
  };
}

/** Everyone still connected closes; time runs until every connection is gone. */
function settle(
  server: MemoryServer,
  clients: readonly Client[],
  limits: Limits,
  scheduler: Scheduler<ReplayStep>
): void {
  for (const { conn } of clients) {
    if (conn.isOpen && conn.peerState === 'open') conn.peerClose();
  }
  const wait =
    Math.max(
      limits.stallTimeoutMs,
      limits.idleTimeoutMs,
      limits.shutdownTimeoutMs,
      LEAVE_TIMEOUT_MS,
      LINGER_MS
    ) + 1;
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    scheduler.clock.advance(wait);
    if (server.stats().open === 0 && scheduler.clock.pendingTimers === 0)
      return;
  }
}
