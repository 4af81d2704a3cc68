import { createActor, fromPromise, type InspectionEvent } from 'xstate';
import type { OrderSink, RoomOrder } from '../actors/room-order.js';
import type { Logger } from '../app/logger.js';
import {
  backplaneMachine,
  whenStarted,
  type BackplaneActor
} from '../machines/backplane-machine.js';
import { NOT_SENT_NOTICE, UNAVAILABLE_NOTICE } from '../protocol/format.js';
import { CatchUpNotices } from './catch-up-notices.js';
import { RETRY_MS, type ClusterOptions } from './cluster-options.js';
import type { LogEntry } from './entries.js';
import { LeavesOut } from './leaves-out.js';
import { LinesInFlight } from './lines-in-flight.js';
import { LogReader } from './log-reader.js';
import { NodeMembers } from './node-members.js';
import { OutageLog } from './outage-log.js';
import { Outbox } from './outbox.js';
import type { RedisLink } from './redis-link.js';
import { Registration } from './registration.js';

/** What a Redis order needs. */
export interface RedisOrderOptions {
  /** The room's name in lower case: its keys are `NAME:{room}:…`. */
  room: string;
  /** The room's name as members see it (`#Dev`), for `/rooms`. */
  label: string;
  /** The lobby: every node is registered there, so it finds dead nodes. */
  lobby: boolean;
  cluster: ClusterOptions;
  /** The node's connections to Redis, shared by its rooms; its owner closes it. */
  link: RedisLink;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /**
   * Redis was out of reach for the grace period (or, for a room other than
   * the lobby, could not be reached when the room started): disconnect
   * every member of the room.
   */
  onExpired: (graceMs: number) => void;
  /** Joins the order only once this settles: the room's last life leaving it. */
  after?: Promise<void> | undefined;
}

/** A room's order kept in a Redis stream every node of the cluster shares. */
export interface RedisOrder extends RoomOrder {
  /** The node's link to Redis, for inspection. */
  readonly backplane: BackplaneActor;
  /** The room's members on every node, named as `/who` shows them. */
  who(): Promise<string[]>;
}

/**
 * Connects a cluster node to Redis and registers it in the lobby; resolves
 * once it is live, and rejects with one line when it cannot be. [CLUSTER-1]
 */
export async function startRedisOrder(
  options: RedisOrderOptions
): Promise<RedisOrder> {
  const { order, started } = createRedisOrder(options);
  const error = await started;
  if (error !== null) {
    order.stop();
    throw new Error(error);
  }
  return order;
}

/**
 * A room's order in Redis, at once: it connects and registers in the
 * background (`started` resolves with `null` once it is live, or with why
 * not), and what is appended meanwhile waits in its outbox. The room's one
 * order is a Redis stream every node shares, and the count is the
 * cluster's. [CLUSTER-1]
 *
 * ```
 *  append ─► Outbox ─► APPLY (one script per turn: membership, count, XADD)
 *                              │ Redis stream
 *  sink.deliver ◄─ LogReader ◄─┘ XREAD from the last id (every node, in order)
 * ```
 * The room's own joins, lines and leaves come back from the log like every
 * other node's, so they are in the one order too. `backplaneMachine`
 * follows the link: while Redis is out of reach (docs/cluster.md) members
 * are told so, each line sent is answered with an error, and nothing is
 * pretended; when Redis answers again the node registers its members again
 * (SYNC), reads on from the last entry it read, and tells each author whose
 * line went to Redis just before the outage and never appeared in the log.
 * Past the grace period `onExpired` disconnects members.
 */
export function createRedisOrder(options: RedisOrderOptions): {
  order: RedisOrder;
  started: Promise<string | null>;
} {
  const { cluster, onExpired } = options;
  const { nodeId, graceMs } = cluster;
  const logger = options.logger.child({
    component: 'room',
    room: options.room,
    node: nodeId
  });
  const outage = new OutageLog(logger);
  const prefix = `${cluster.name}:{${options.room}}:`;
  const { link } = options;
  const members = new NodeMembers();
  const lines = new LinesInFlight();
  const notices = new CatchUpNotices(lines, members);
  const leaves = new LeavesOut();
  let sink: OrderSink | null = null;
  let running = true;

  const tell = (to: Iterable<string>, text: string): void =>
    sink?.tell(to, text);
  const isLive = (): boolean => backplane.getSnapshot().matches('live');
  /** A command failed: log it, and reconnect unless already out of reach. */
  const lose = (what: string, err: unknown): void => {
    logger.warn(what, { err: link.failed(err) });
    if (isLive()) link.reset();
  };

  /** An entry read: this node's own bookkeeping, then the room. */
  const deliver = (entry: LogEntry, old: boolean): void => {
    const own = !entry.elsewhere;
    if (own && (entry.type === 'line' || entry.type === 'act'))
      lines.readBack(entry.conn, old);
    else if (own && entry.type === 'join') members.greet(entry.conn);
    else if (own && entry.type === 'leave') {
      members.forget(entry.conn);
      leaves.back(entry.conn);
    }
    sink?.deliver(entry);
  };
  const caughtUp = (): void => notices.caughtUp(tell);
  const reader = new LogReader(link.streams, `${prefix}log`, nodeId, logger, {
    entry: deliver,
    lost: (entries) => sink?.deliver({ type: 'lost', entries }),
    caughtUp,
    failed: (err) => {
      logger.warn('redis read failed', { err: link.failed(err) });
      backplane.send({ type: 'link.lost' });
    }
  });
  const registration = new Registration({
    link,
    prefix,
    cluster,
    members,
    reader,
    label: options.label,
    lobby: options.lobby,
    onDataLost: () => {
      lines.becomeUncertain();
      logger.warn('redis lost its data; members registered again', {
        event: 'redis-reset'
      });
      notices.historyLost();
    }
  });
  const outbox = new Outbox(link, prefix, lines, {
    isLive,
    header: () => registration.applyHeader(),
    stale: () => backplane.send({ type: 'link.stale' }),
    notSent: (conn) => tell([conn], NOT_SENT_NOTICE),
    failed: (err) => lose('redis write failed', err)
  });

  const backplane = createActor(
    backplaneMachine.provide({
      actors: { register: fromPromise(() => registration.register()) },
      actions: {
        resume: () => {
          outage.end();
          if (sink !== null) reader.start();
          if (!reader.catchingUp) caughtUp();
          outbox.resume();
        },
        pause: () => reader.stop(),
        announceUnavailable: () => {
          outage.begin(link.lastError, members.size);
          // What was in flight may or may not be in the log: looked for
          // once Redis answers again. What never left waits for nothing.
          lines.becomeUncertain();
          for (const conn of outbox.drop()) tell([conn], NOT_SENT_NOTICE);
          sink?.releaseLeaves();
          leaves.clear();
          tell(members.ids(), UNAVAILABLE_NOTICE);
        },
        announceAvailable: () => notices.available(),
        disconnectMembers: () => {
          logger.warn('redis unreachable past the grace period', {
            event: 'expired',
            graceMs,
            members: members.size
          });
          onExpired(graceMs);
        },
        reportSyncFailure: ({ event }) =>
          outage.failed(link.failed((event as { error?: unknown }).error))
      }
    }),
    {
      id: options.lobby
        ? `backplane:${nodeId}`
        : `backplane:${nodeId}:#${options.room}`,
      input: { graceMs, retryMs: RETRY_MS },
      inspect: options.inspect
    }
  );
  const unwatch = link.watch({
    up: () => backplane.send({ type: 'link.up' }),
    lost: () => {
      if (isLive()) link.lastError = 'connection closed';
      backplane.send({ type: 'link.lost' });
    },
    stale: () => backplane.send({ type: 'link.stale' })
  });

  let stopBeating = (): void => undefined;
  const started = (async (): Promise<string | null> => {
    try {
      await options.after;
    } catch {
      // The room's last life failed to leave: this one registers anyway.
    }
    if (!running) return 'stopped before it started';
    backplane.start();
    if (!(await whenStarted(backplane)))
      return `cannot register with Redis at ${link.url}: ${link.lastError}`;
    // One heartbeat per node, in the lobby: it keeps the node alive in
    // every room, and finds the dead nodes of every room.
    if (!options.lobby) return null;
    stopBeating = registration.beatEvery({
      isLive,
      // Taken for dead: every room of the node registers again.
      stale: () => link.stale(),
      reaped: (n) =>
        logger.warn('removed the members of dead nodes', {
          event: 'reap',
          members: n
        }),
      failed: (err) => lose('redis heartbeat failed', err)
    });
    return null;
  })();

  const stop = (): void => {
    if (!running) return;
    running = false;
    reader.stop();
    stopBeating();
    backplane.send({ type: 'link.close' });
    unwatch();
  };
  const order: RedisOrder = {
    node: nodeId,
    backplane,
    start: (s) => {
      sink = s;
      if (isLive()) reader.start();
    },
    append: (entry) => {
      const { conn, remote } = entry;
      const name = entry.name ?? '';
      switch (entry.type) {
        case 'join':
          members.join(conn, remote, name);
          outbox.push({ kind: 'j', conn, remote, name });
          return true;
        case 'line':
        case 'act': {
          const state = backplane.getSnapshot();
          // Asked for every line: 'live' first, as a plain comparison.
          if (
            state.value !== 'live' &&
            (state.matches('recovering') || state.matches('expired'))
          ) {
            tell([conn], NOT_SENT_NOTICE);
            return false;
          }
          const kind = entry.type === 'line' ? 'm' : 'e';
          outbox.push({ kind, conn, remote, name, text: entry.text });
          return true;
        }
        case 'rename':
          // Registered with it from now on, so an outage keeps it.
          members.rename(conn, name);
          outbox.push({ kind: 'n', conn, remote, name, old: entry.old ?? '' });
          return true;
        case 'leave':
          // Every node logs the leave when it reads it, with the global
          // count; this is what only this node knows about it.
          logger.debug('member leaving', {
            connId: conn,
            remote,
            reason: entry.reason,
            ...entry.detail
          });
          members.leave(conn);
          if (isLive()) leaves.out(conn);
          outbox.push({
            kind: 'l',
            conn,
            remote,
            name,
            reason: entry.reason,
            quit: entry.detail?.quit ?? ''
          });
          // Out of reach, it comes back only after the outage.
          return isLive();
      }
    },
    who: () => link.scripts.chatWho(prefix),
    accepting: () => {
      const state = backplane.getSnapshot();
      return running && (state.matches('live') || state.matches('resyncing'));
    },
    close: async () => {
      if (!running) return;
      // No heartbeat after RETIRE: it would find the node gone and register
      // it again.
      stopBeating();
      // What members said and their leaves go out first, in order, and
      // each leaver gets everything ordered before its leave: its leave
      // comes back before the node leaves the room (within the node
      // timeout; after that it goes with what it has).
      outbox.send();
      if (!(await leaves.allBack(cluster.nodeTimeoutMs))) sink?.releaseLeaves();
      if (isLive())
        await registration
          .retire()
          .catch((err: unknown) =>
            logger.warn('leaving the cluster failed', { err: link.failed(err) })
          );
      stop();
    },
    stop
  };
  return { order, started };
}
