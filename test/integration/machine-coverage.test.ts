/**
 * Model-based coverage of the connection machine (issue 4, item 4): every
 * transition `xstate/graph` finds in `connectionMachine` is taken by the real
 * connection actors of a real daemon, over loopback sockets, in at least one
 * scenario below, and every state is visited. A new transition without a
 * real-server scenario fails the last test, which lists what is missing.
 *
 * The transitions are derived from the machine, never listed here: an event a
 * state does not handle itself is handled by its nearest ancestor that does
 * (a root-level `tcp.end` applies in `connecting` and `online`, not in
 * `leaving`, which absorbs it), and a targetless transition stays put.
 * What the actors really do is recorded through the daemon's `inspect`
 * option, from `@xstate.microstep` events: (previous state, event, new state)
 * for every microstep that took a transition, state changing or not.
 *
 * A few transitions no real server can take are listed in UNREACHABLE, each
 * with why; the test fails if one of them is ever taken (the entry is stale)
 * and checks the premise they rest on: `connecting` and `leaving` never last
 * beyond the call stack that entered them, because the room answers a join
 * or a leave synchronously, so only what a write raises there and then can
 * reach `leaving` (`tcp.slow`, `feed.error`), never a socket event or a
 * timer; and nothing is written to a connection while it is `connecting`.
 *
 * The last test reads what the scenarios before it recorded: run the file
 * whole (vitest runs a file's tests in order).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyStateNode, InspectionEvent, StateValue } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { connectionMachine } from '../../src/machines/connection-machine.js';
import { formatNowIn } from '../../src/protocol/command-format.js';
import {
  SHUTDOWN_NOTICE,
  SLOW_CONSUMER_NOTICE,
  formatGreeting,
  formatIdleTimeout,
  formatLeaveNotice,
  formatLineTooLong,
  formatOwn,
  formatRelayed,
  formatUnavailableTimeout,
  UNAVAILABLE_NOTICE
} from '../../src/protocol/format.js';
import type { TestDaemon, TestDaemonOptions } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { redisUnavailable, startRedis } from '../support/redis.js';
import { replacePort } from '../support/wrap-port.js';
import { until, within } from '../support/wait.js';

/** One transition: `from` and `to` are state paths joined by `.`. */
interface Transition {
  readonly from: string;
  readonly event: string;
  readonly to: string;
}

const keyOf = (t: Transition): string => `${t.from} --${t.event}--> ${t.to}`;

const pathOf = (node: AnyStateNode): string => node.path.join('.');

/** The atomic state a transition into `node` ends in. */
function settle(node: AnyStateNode): AnyStateNode {
  let at = node;
  for (let depth = 0; at.type === 'compound' && depth < 32; depth += 1)
    at = at.initial.target[0] ?? at;
  return at;
}

/**
 * Every (atomic state, event, atomic state) transition of `machine`, from
 * `toDirectedGraph`'s per-node edges (labelled with their event type): each
 * atomic state takes, for each event type, the edges of the nearest of itself
 * and its ancestors that declares it. Final states take none. Parallel states
 * would need one transition per region: they throw rather than give a wrong
 * answer.
 */
function transitionsOf(machine: typeof connectionMachine): Transition[] {
  const parents = new Map<DirectedGraphNode, DirectedGraphNode>();
  const nodes: DirectedGraphNode[] = [];
  const walk = (node: DirectedGraphNode): void => {
    if (node.stateNode.type === 'parallel')
      throw new Error(`parallel state ${node.id} is not supported`);
    nodes.push(node);
    for (const child of node.children) {
      parents.set(child, node);
      walk(child);
    }
  };
  walk(toDirectedGraph(machine));
  const events = new Set(
    nodes.flatMap((n) => n.edges.map((e) => e.label.text))
  );
  const out: Transition[] = [];
  for (const leaf of nodes) {
    if (leaf.children.length > 0 || leaf.stateNode.type === 'final') continue;
    for (const event of events) {
      let owner: DirectedGraphNode | undefined = leaf;
      while (
        owner !== undefined &&
        !owner.edges.some((e) => e.label.text === event)
      )
        owner = parents.get(owner);
      for (const edge of owner?.edges ?? []) {
        if (edge.label.text !== event) continue;
        const to =
          edge.transition.target === undefined
            ? leaf.stateNode
            : settle(edge.target);
        out.push({ from: pathOf(leaf.stateNode), event, to: pathOf(to) });
      }
    }
  }
  return out;
}

/** Every state a snapshot can be in: the atomic ones, final included. */
function statesOf(machine: typeof connectionMachine): string[] {
  const leaves = (node: DirectedGraphNode): DirectedGraphNode[] =>
    node.children.length === 0 ? [node] : node.children.flatMap(leaves);
  return leaves(toDirectedGraph(machine)).map((n) => pathOf(n.stateNode));
}

/** `online` for `'online'`, `a.b` for `{ a: 'b' }` (no parallel states). */
function pathOfValue(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? ['?', undefined];
  return child === undefined ? key : `${key}.${pathOfValue(child)}`;
}

/** What the daemon's connection actors did, as seen through `inspect`. */
interface Recorder {
  readonly inspect: (event: InspectionEvent) => void;
  readonly taken: Map<string, Transition>;
  readonly visited: Set<string>;
  /** States some actor stayed in past the call stack that entered it. */
  readonly lingered: Set<string>;
}

function createRecorder(machineId: string, initial: string): Recorder {
  const taken = new Map<string, Transition>();
  const visited = new Set<string>();
  const lingered = new Set<string>();
  const at = new WeakMap<object, { state: string; expired: boolean }>();
  const enter = (actor: object, state: string): void => {
    const entry = { state, expired: false };
    at.set(actor, entry);
    visited.add(state);
    process.nextTick(() => {
      entry.expired = true;
    });
  };
  return {
    taken,
    visited,
    lingered,
    inspect: (event) => {
      if (
        event.type !== '@xstate.snapshot' &&
        event.type !== '@xstate.microstep'
      )
        return;
      const snapshot = event.snapshot as
        { machine?: { id?: unknown }; value?: StateValue } | undefined;
      if (snapshot?.machine?.id !== machineId || snapshot.value === undefined)
        return;
      const actor = event.actorRef;
      if (event.type === '@xstate.snapshot' && !at.has(actor)) {
        enter(actor, pathOfValue(snapshot.value));
        return;
      }
      if (event.type !== '@xstate.microstep') return;
      // A microstep is reported for events no transition takes, too.
      if (event._transitions.length === 0) return;
      const from = at.get(actor) ?? { state: initial, expired: false };
      const to = pathOfValue(snapshot.value);
      const t = { from: from.state, event: event.event.type, to };
      taken.set(keyOf(t), t);
      if (to === from.state) return;
      if (from.expired) lingered.add(from.state);
      enter(actor, to);
    }
  };
}

const LEAVE_TIMEOUT = `xstate.after.leaveTimeout.${connectionMachine.id}.leaving`;
const MOVE_TIMEOUT = `xstate.after.leaveTimeout.${connectionMachine.id}.moving`;

/** A transition no real server can take, and why. */
interface Unreachable extends Transition {
  readonly why: string;
  /** It rests on `from` ending in the call stack that entered it (checked). */
  readonly transient: boolean;
}

const SYNC = {
  connecting:
    'connecting ends in the call stack that starts the actor (the room answers the join there), and',
  leaving:
    'leaving ends in the call stack that entered it (the room answers the leave there), and',
  moving:
    'moving ends in the call stack that entered it (the old room answers the leave there, then the new room the join), and'
} as const;

/** Transitions no real server can take, each with why (see the file comment). */
const UNREACHABLE: readonly Unreachable[] = [
  ...(['connecting', 'leaving'] as const).flatMap((from) =>
    ['tcp.end', 'tcp.error', 'tcp.close', 'tcp.idle'].map((event) => ({
      from,
      event,
      to: 'leaving',
      why: `${SYNC[from]} ${event} comes from a socket event or a timer, in a later turn`,
      transient: true
    }))
  ),
  ...(['server.shutdown', 'server.unavailable'] as const).map((event) => ({
    from: 'connecting',
    event,
    to: 'leaving',
    why: `${SYNC.connecting} the daemon sends ${event} only to actors it registered after their start`,
    transient: true
  })),
  {
    from: 'leaving',
    event: 'server.unavailable',
    to: 'leaving',
    // In a cluster a leave lasts until it comes back from Redis; but once
    // Redis is out of reach every leave is answered at once, long before
    // the grace period ends and server.unavailable is sent.
    why: 'a cluster node answers every leave the moment Redis is out of reach, and server.unavailable comes a grace period later',
    transient: false
  },
  ...(['feed.error', 'tcp.slow'] as const).map((event) => ({
    from: 'connecting',
    event,
    to: 'leaving',
    why: `${SYNC.connecting} nothing is written to a connection before it is online: its greeting goes out with the turn's batch, after the room answered the join`,
    transient: true
  })),
  ...[
    'tcp.end',
    'tcp.error',
    'tcp.close',
    'tcp.idle',
    'server.shutdown',
    'server.unavailable',
    'feed.error',
    'tcp.slow'
  ].map((event) => ({
    from: 'moving',
    event,
    to: 'leaving',
    why: `${SYNC.moving} ${event} comes from a socket event, a timer, the daemon or a write, none of which can run in that call stack (nothing is written to it there: its greeting goes out with the turn's batch)`,
    transient: true
  })),
  {
    from: 'moving',
    event: MOVE_TIMEOUT,
    to: 'closed',
    why: `${SYNC.moving} the old room always answers room.leave, so the timer is cancelled before it fires`,
    transient: true
  },
  {
    from: 'leaving',
    event: LEAVE_TIMEOUT,
    to: 'closed',
    why: `${SYNC.leaving} the room always answers room.leave, so the timer is cancelled before it fires`,
    transient: true
  },
  {
    from: 'online',
    event: 'tcp.close',
    to: 'leaving',
    why: "Node emits 'end' (allowHalfOpen) or 'error' before 'close' unless the server destroys the socket, which it does only once the actor has ended",
    transient: false
  }
];

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

const recorder = createRecorder(
  connectionMachine.id,
  pathOf(settle(connectionMachine.root))
);

/** A daemon whose connection actors report to the recorder. */
function watched(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  return daemon({ ...options, inspect: recorder.inspect });
}

/** A daemon's ending reasons so far, leaving out the zero ones. */
function endings(t: TestDaemon): Record<string, number> {
  return Object.fromEntries(
    Object.entries(t.daemon.stats().disconnects).filter(([, n]) => n > 0)
  );
}

async function endedWith(
  t: TestDaemon,
  expected: Record<string, number>
): Promise<void> {
  await until(
    () => JSON.stringify(endings(t)) === JSON.stringify(expected),
    `disconnects ${JSON.stringify(expected)}`,
    5000,
    () => `disconnects ${JSON.stringify(endings(t))}`
  );
}

describe('connection machine, real-server scenarios', () => {
  it('a member chats, sends an over-long line, quits; another resets', async () => {
    const t = await watched({ maxLineBytes: 64 });
    const a = await client(t.port);
    expect(await a.nextLine()).toBe(formatGreeting(1));
    const b = await client(t.port);
    expect(await b.nextLine()).toBe(formatGreeting(2));
    await a.send('hello');
    await b.waitForLine(formatRelayed(a.localAddr, 'hello'));
    await a.send('x'.repeat(100));
    await a.waitForLine(formatLineTooLong(64));
    a.end();
    await b.waitForLine(formatLeaveNotice(a.localAddr, 1));
    await within(a.closed, 5000, 'the quitter closed');
    b.reset();
    await endedWith(t, { 'client quit': 1, 'socket error': 1 });
  });

  it('an idle member is disconnected', async () => {
    const t = await watched({ idleTimeoutMs: 150 });
    const a = await client(t.port);
    await a.waitForLine(formatIdleTimeout(150));
    await within(a.closed, 5000, 'the idle member closed');
    await endedWith(t, { 'idle timeout': 1 });
  });

  it('members whose send queue overflows are slow consumers', async () => {
    const t = await watched({ sendQueueBytes: 512 });
    const a = await client(t.port);
    await a.nextLine();
    const b = await client(t.port);
    await b.nextLine();
    await a.send('y'.repeat(600));
    for (const peer of [a, b]) {
      await peer.waitForLine(SLOW_CONSUMER_NOTICE);
      await within(peer.closed, 5000, 'the slow consumer closed');
    }
    await endedWith(t, { 'slow consumer': 2 });
  });

  it('a member whose write throws leaves with an internal error', async () => {
    const t = await watched({
      wrapPort: replacePort('c2', (port) => ({
        write: (data) => {
          if (data.toString().includes('poison')) throw new Error('boom');
          port.write(data);
        }
      }))
    });
    const a = await client(t.port);
    await a.nextLine();
    const victim = await client(t.port);
    await victim.nextLine();
    await a.send('poison');
    await a.waitForLine(formatLeaveNotice(victim.localAddr, 1));
    await within(victim.closed, 5000, 'the victim closed');
    await endedWith(t, { 'internal error': 1 });
  });

  it('a newcomer whose greeting write throws leaves with an internal error', async () => {
    const t = await watched({
      wrapPort: replacePort('c2', () => ({
        write: () => {
          throw new Error('greeting exploded');
        }
      }))
    });
    const a = await client(t.port);
    await a.nextLine();
    const victim = await client(t.port);
    await within(victim.closed, 5000, 'the victim closed');
    expect(victim.lines).toEqual([]);
    // Its greeting goes out once it is a member, so the others saw it come
    // and go.
    await a.waitForLine(formatLeaveNotice(victim.localAddr, 1));
    await endedWith(t, { 'internal error': 1 });
    expect(t.daemon.memberCount()).toBe(1);
  });

  it('a newcomer whose greeting overflows, and whose write then throws, leaves as a slow consumer', async () => {
    const t = await watched({
      sendQueueBytes: 16,
      wrapPort: replacePort('c1', (port) => ({
        write: (data) => {
          port.write(data);
          throw new Error('after the overflow');
        }
      }))
    });
    const a = await client(t.port);
    await within(a.closed, 5000, 'the newcomer closed');
    // What the socket already held still goes out, then the farewell.
    expect(a.lines).toEqual([formatGreeting(1), SLOW_CONSUMER_NOTICE]);
    await endedWith(t, { 'slow consumer': 1 });
  });

  it('members are told when the server shuts down', async () => {
    const t = await watched();
    const a = await client(t.port);
    await a.nextLine();
    await within(t.daemon.close(), 5000, 'daemon.close()');
    await within(a.closed, 5000, 'the member closed');
    expect(a.lines).toEqual([formatGreeting(1), SHUTDOWN_NOTICE]);
    expect(endings(t)).toEqual({ 'server shutdown': 1 });
  });

  it('a newcomer accepted as the shutdown begins is rejected', async () => {
    let shutdown: () => void = () => undefined;
    const t = await watched({
      // The shutdown begins while c2 is being accepted, before its join.
      wrapPort: (port, connId) => {
        if (connId === 'c2') shutdown();
        return port;
      }
    });
    shutdown = () => void t.daemon.close();
    const a = await client(t.port);
    await a.nextLine();
    const late = await client(t.port);
    await within(late.closed, 5000, 'the newcomer closed');
    expect(late.lines).toEqual([SHUTDOWN_NOTICE]);
    await within(a.closed, 5000, 'the member closed');
    await endedWith(t, { 'server shutdown': 2 });
  });

  it('a shutdown that begins during a fan-out ends members already leaving', async () => {
    // Members a, b, c, subscribed in that order; a sends the trigger. The
    // queue takes a's "[You] " echo, but not the "[ADDR] " copy b and c get,
    // nor the echo and one more line. b's copy overflows, so b is leaving
    // when c's port, as its copy reaches it, begins the shutdown:
    // server.shutdown reaches b while leaving. c's copy, and for a b's leave
    // notice, then overflow after server.shutdown: tcp.slow reaches them
    // while leaving.
    const text = `trigger ${'z'.repeat(192)}`;
    let shutdown: () => void = () => undefined;
    const t = await watched({
      sendQueueBytes: 210,
      wrapPort: replacePort('c3', (port) => ({
        write: (data) => {
          if (data.toString().includes('trigger')) shutdown();
          port.write(data);
        }
      }))
    });
    shutdown = () => void t.daemon.close();
    const a = await client(t.port);
    await a.nextLine();
    const b = await client(t.port);
    await b.nextLine();
    const c = await client(t.port);
    await c.nextLine();
    await a.waitForLine(`New user ${c.localAddr} entered (3 users online)`);
    await b.waitForLine(`New user ${c.localAddr} entered (3 users online)`);
    await a.send(text);
    await within(
      Promise.all([a.closed, b.closed, c.closed]),
      5000,
      'every member closed'
    );
    expect(a.lines.at(-1)).toBe(formatOwn(text));
    expect(b.lines.at(-1)).toBe(SLOW_CONSUMER_NOTICE);
    expect(c.lines.at(-1)).toBe(formatRelayed(a.localAddr, text));
    // The first ending of each is its reason.
    await endedWith(t, { 'server shutdown': 2, 'slow consumer': 1 });
  });

  it('a member moves to a room and back, then quits with a reason [CHAT-CMD-JOIN] [CHAT-CMD-QUIT]', async () => {
    const t = await watched();
    const a = await client(t.port);
    expect(await a.nextLine()).toBe(formatGreeting(1));
    await a.send('/join #coverage');
    expect(await a.nextLine()).toBe(formatNowIn('#coverage', 1));
    await a.send('/part');
    expect(await a.nextLine()).toBe(formatNowIn('#lobby', 1));
    await a.send('/quit done');
    await within(a.closed, 5000, 'the quitter closed');
    await endedWith(t, { 'client quit': 1 });
  });

  // The one scenario that needs a real Redis: a cluster node's members are
  // disconnected once Redis stays away past the grace period.
  const noRedis = redisUnavailable('own');
  it.skipIf(noRedis !== null && process.env.REQUIRE_REDIS !== '1')(
    `members of a cluster node that lost Redis past the grace period leave (${noRedis ?? 'real Redis'})`,
    async () => {
      const redis = await startRedis({ own: true, cleanups });
      const t = await watched({
        cluster: {
          url: redis.url,
          nodeId: 'n1',
          name: 'coverage',
          graceMs: 300,
          nodeTimeoutMs: 1000
        }
      });
      const a = await client(t.port);
      expect(await a.nextLine()).toBe(formatGreeting(1));
      await redis.kill();
      await a.waitForLine(UNAVAILABLE_NOTICE);
      await a.waitForLine(formatUnavailableTimeout(300));
      await within(a.closed, 5000, 'the member closed');
      await endedWith(t, { 'chat unavailable': 1 });
    }
  );

  it('exercises every transition and state of the machine', () => {
    const model = new Map(
      transitionsOf(connectionMachine).map((t) => [keyOf(t), t])
    );
    const exempt = new Map(UNREACHABLE.map((u) => [keyOf(u), u]));
    if (noRedis !== null && process.env.REQUIRE_REDIS !== '1') {
      // Said loudly: the transition is not checked on this machine.
      console.warn(
        `SKIPPED: online --server.unavailable--> leaving: ${noRedis}`
      );
      exempt.set('online --server.unavailable--> leaving', {
        from: 'online',
        event: 'server.unavailable',
        to: 'leaving',
        why: noRedis,
        transient: false
      });
    }
    const taken = [...recorder.taken.keys()];

    // The derivation and the recording agree on what a transition is.
    expect(model.size).toBeGreaterThan(0);
    expect(
      taken.filter((k) => !model.has(k)),
      'taken by the server, but not in the model'
    ).toEqual([]);
    expect(
      [...exempt.keys()].filter((k) => !model.has(k)),
      'UNREACHABLE entries that are not transitions of the machine'
    ).toEqual([]);
    expect(
      UNREACHABLE.filter((u) => recorder.taken.has(keyOf(u))).map(
        (u) => `${keyOf(u)}, said to be unreachable: ${u.why}`
      ),
      'UNREACHABLE entries a scenario took: remove them from UNREACHABLE'
    ).toEqual([]);
    // The premise of UNREACHABLE.
    const transient = new Set(
      UNREACHABLE.filter((u) => u.transient).map((u) => u.from)
    );
    expect(
      [...recorder.lingered].filter((s) => transient.has(s)),
      'states UNREACHABLE assumes to end in the call stack that entered them'
    ).toEqual([]);

    const missing = [...model.keys()].filter(
      (k) => !recorder.taken.has(k) && !exempt.has(k)
    );
    expect(
      missing,
      `transitions of connectionMachine no real-server scenario takes; add a scenario to ${import.meta.filename}`
    ).toEqual([]);
    expect(
      statesOf(connectionMachine).filter((s) => !recorder.visited.has(s)),
      'states no real-server scenario visits'
    ).toEqual([]);
  });
});
