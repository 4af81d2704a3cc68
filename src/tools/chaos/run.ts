/**
 * One chaos run: observers join and chat, faulty clients act out the
 * schedule, then the faults stop, the room settles, and the checks run.
 *
 *   0 ─ observers join ─ chat at --rate ─────────────── durationMs
 *       room observers (--rooms N > 1): chat, move, rename, whisper; race for a name at durationMs / 2
 *       faults start at their atMs, hold, leave ───────┤ stop: reset what is left
 *                                                      ├ wait for their leaves (bounded)
 *                                                      ├ settle: every observer's marker reaches all (bounded)
 *                                                      ├ checks: I1 I2 framing sanitised (+ room checks)
 *                                                      └ liveness: a newcomer is served
 */
import {
  learnObserverNames,
  tagSenders,
  type ObserverNames
} from './addresses.js';
import { checkRun } from './checks.js';
import { createBounds } from './bounds.js';
import { awaitDepartures, countSeenBy } from './departures.js';
import { ChaosError } from './errors.js';
import { createFaultRuntime } from './faulty.js';
import { BEHAVIOURS } from './faults/index.js';
import { checkLiveness } from './liveness.js';
import { joinObservers, type ObserverGroup } from './observers.js';
import { checkRooms } from './room-checks.js';
import { roomActivity } from './room-log.js';
import { joinRoomObservers, type RoomGroup } from './room-observers.js';
import { planSchedule } from './schedule.js';
import { chaosTarget } from './target.js';
import {
  FAULT_KINDS,
  type ChaosHooks,
  type ChaosOptions,
  type ChaosReport,
  type ChaosViolation,
  type FaultKind
} from './types.js';

/** How long faults get to wind down once the run stops them. */
const WIND_DOWN_MS = 5000;
/** How long the room gets to announce the leaves of closed faulty clients. */
const DEPARTURE_TIMEOUT_MS = 10_000;
/** How long every observer's marker gets to reach every observer. */
const SETTLE_TIMEOUT_MS = 10_000;
const PROGRESS_EVERY_MS = 250;

function within(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([Promise.allSettled(promises), deadline]).then(() =>
    clearTimeout(timer)
  );
}

/** Resolves after `ms`, or when `signal` aborts. */
function faultPhase(
  ms: number,
  signal: AbortSignal | undefined
): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function settleViolation(
  missing: { observer: string; marker: string }[],
  observers: ObserverGroup,
  names: ObserverNames
): ChaosViolation {
  const first = missing[0] ?? { observer: '?', marker: '?' };
  const i = observers.peers.findIndex((p) => p.localAddr === first.observer);
  const name = names.names[i] ?? first.observer;
  const lines = observers.peers[i]?.lines ?? [];
  return {
    invariant: 'I1',
    message: `observer ${name} never received ${JSON.stringify(first.marker)} within ${SETTLE_TIMEOUT_MS / 1000} s after the faults stopped${missing.length > 1 ? ` (${missing.length - 1} more markers missing)` : ''}`,
    evidence: lines
      .slice(-4)
      .map(
        (line, i) =>
          `${name} line ${lines.length - Math.min(4, lines.length) + i + 1}: ${JSON.stringify(line)}`
      )
  };
}

/**
 * Runs one bounded, seeded chaos session against `options.host:port` and
 * reports what it did and every invariant it saw broken. Rejects with
 * `ChaosError` only when the run cannot happen (no server, no greeting).
 *
 * @example
 * const report = await runChaos({ ...options, seed: 42 });
 * if (!report.ok) console.log(renderReport(report));
 */
export async function runChaos(
  options: ChaosOptions,
  hooks: ChaosHooks = {}
): Promise<ChaosReport> {
  const started = performance.now();
  const schedule = planSchedule(options);
  const bounds = createBounds(options);
  // Held back for the liveness client.
  if (!bounds.takeConnections(1)) {
    throw new ChaosError(
      '--max-connections leaves no room for the liveness check'
    );
  }
  const target = chaosTarget(options);
  const observers = await joinObservers(
    target,
    options.observers,
    options.rate,
    bounds
  );
  let rooms: RoomGroup | null = null;
  if ((options.rooms ?? 1) > 1) {
    try {
      rooms = await joinRoomObservers(
        {
          ...target,
          rooms: options.rooms ?? 1,
          observers: options.roomObservers ?? 0,
          rate: options.rate,
          seed: options.seed
        },
        bounds
      );
    } catch (err) {
      observers.close();
      throw err;
    }
  }
  const runtime = createFaultRuntime(target, bounds);
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  let injectedTotal = 0;
  let faultsSent = 0;
  const progress = (): void =>
    hooks.onProgress?.({
      elapsedMs: Math.min(
        options.durationMs,
        Math.round(performance.now() - started)
      ),
      totalMs: options.durationMs,
      injected: injectedTotal,
      sent: observers.sentCount + (rooms?.sentCount ?? 0) + faultsSent
    });
  const ticker = setInterval(progress, PROGRESS_EVERY_MS);
  let race: Promise<void> = Promise.resolve();
  const raceTimer = setTimeout(() => {
    race = rooms?.race() ?? race;
  }, options.durationMs / 2);
  try {
    observers.startChatting();
    rooms?.startChatting();
    const faults = schedule.map(async (action) => {
      const ctx = runtime.context(action);
      await ctx.sleep(action.atMs);
      if (ctx.stopped) return;
      const done = await BEHAVIOURS[action.kind](ctx).catch(() => false);
      if (done) {
        injected[action.kind] += 1;
        injectedTotal += 1;
      }
    });
    await faultPhase(options.durationMs, hooks.signal);
    clearTimeout(raceTimer);
    runtime.stop();
    await race;
    await observers.stopChatting();
    await rooms?.stopChatting();
    // Resetting what is still open also ends the faults' waits on it.
    await runtime.close();
    await within(faults, WIND_DOWN_MS);
    clearInterval(ticker);
    progress();

    const violations: ChaosViolation[] = [];
    const reference = observers.peers[0];
    // Behind a proxy the room does not show our local addresses: learn them.
    const learn = (): ObserverNames =>
      learnObserverNames(observers.peers, [
        ...observers.peers,
        ...runtime.connections.map((c) => c.peer)
      ]);
    const early = learn();
    const ours = new Set(
      early.direct
        ? runtime.connections
            .filter((c) => !c.proxied)
            .map((c) => c.peer.localAddr)
        : tagSenders(runtime.connections, {
            addr: early.names[0] ?? '',
            lines: [...(reference?.lines ?? [])],
            stayed: true
          })
    );
    const departures =
      reference === undefined
        ? { violations: [], quiet: false }
        : await awaitDepartures(
            reference,
            ours,
            observers.peers.length,
            DEPARTURE_TIMEOUT_MS,
            { namedAll: early.direct && early.heard }
          );
    violations.push(...departures.violations);
    const missing = await observers.settle(SETTLE_TIMEOUT_MS);
    const names = learn();
    await rooms?.settle(SETTLE_TIMEOUT_MS);
    if (missing.length > 0)
      violations.push(settleViolation(missing, observers, names));
    const transcripts = observers
      .transcripts()
      .map((t, i) => ({ ...t, addr: names.names[i] ?? t.addr }));
    for (const c of runtime.connections)
      faultsSent += c.sent.length + c.loose.length;
    violations.push(
      ...checkRun({
        observers: transcripts,
        observerBytes: observers.peers.map((p, i) => ({
          addr: names.names[i] ?? p.localAddr,
          bytes: p.bytes()
        })),
        sent: new Map(
          observers.peers.map((p, i) => [
            names.names[i] ?? p.localAddr,
            observers.sent.get(p.localAddr) ?? []
          ])
        ),
        faulty: runtime.connections,
        direct: names.direct
      })
    );
    if (rooms !== null)
      violations.push(...checkRooms(rooms.log(), transcripts));
    if (reference !== undefined) {
      bounds.releaseConnections(1);
      violations.push(
        ...(await checkLiveness({
          ...target,
          reference,
          referenceName: names.names[0] ?? reference.localAddr,
          online: departures.quiet ? countSeenBy(reference) : null,
          text: `alive after chaos seed ${options.seed}`
        }))
      );
    }
    const delivered = [
      ...transcripts.map((t) => t.lines),
      ...(rooms?.peers ?? []).map((p) => p.lines)
    ].reduce(
      (sum, lines) => sum + lines.filter((line) => line.startsWith('[')).length,
      0
    );
    return {
      seed: options.seed,
      options,
      transport: options.transport ?? 'tcp',
      schedule,
      injected,
      messages: {
        sent: observers.sentCount + (rooms?.sentCount ?? 0) + faultsSent,
        delivered
      },
      ...(rooms === null
        ? {}
        : { rooms: roomActivity(rooms.log(), options.rooms ?? 1) }),
      violations,
      ok: violations.length === 0,
      durationMs: Math.round(performance.now() - started)
    };
  } finally {
    clearInterval(ticker);
    clearTimeout(raceTimer);
    runtime.stop();
    observers.close();
    rooms?.close();
    await runtime.close();
  }
}
