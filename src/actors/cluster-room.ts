import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { BehaviorSubject } from 'rxjs';
import {
  assertEvent,
  createActor,
  fromPromise,
  type ActorRefFrom
} from 'xstate';
import {
  decodeEntry,
  type LogEntry,
  type RawEntry
} from '../cluster/entries.js';
import { OutageLog } from '../cluster/outage-log.js';
import { APPLY, BEAT, RETIRE, SYNC } from '../cluster/scripts.js';
import { backplaneMachine } from '../machines/backplane-machine.js';
import type { RoomEmitted } from '../machines/room-events.js';
import { roomMachine } from '../machines/room-machine.js';
import type { ConnectionRef } from '../machines/types.js';
import {
  AVAILABLE_NOTICE,
  HISTORY_LOST_NOTICE,
  MAYBE_LOST_NOTICE,
  NOT_SENT_NOTICE,
  SHUTDOWN_NOTICE,
  UNAVAILABLE_NOTICE,
  formatGreeting,
  formatJoinNotice,
  formatLeaveNotice,
  formatLostEntries,
  formatRelayed
} from '../protocol/format.js';
import { BatchBuilder, line } from './broadcast.js';
import {
  IMMEDIATE,
  MAX_BATCH_BYTES,
  createBroadcaster,
  type Room,
  type RoomOptions
} from './room-actor.js';

/** Where the cluster lives and how this node behaves in it. */
export interface ClusterOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /** This node's name in the cluster; unique among live nodes. */
  nodeId: string;
  /** Key prefix: every key is `NAME:{room}:…` (docs/cluster.md). */
  name: string;
  /** How long members are kept, and told to wait, while Redis is out of reach. */
  graceMs: number;
  /** A node whose heartbeat is older than this is dead; it beats five times as often. */
  nodeTimeoutMs: number;
}

/** What a cluster room needs beyond a room's options. */
export interface ClusterRoomOptions extends RoomOptions {
  cluster: ClusterOptions;
  /** Redis was out of reach for the grace period: disconnect every member. */
  onExpired: (graceMs: number) => void;
  /** How long the first connection to Redis may take; default 5 s. */
  connectTimeoutMs?: number;
}

/** A room whose order and count live in Redis, shared by every node. */
export interface ClusterRoom extends Room {
  /** The node's link to Redis, for inspection. */
  readonly backplane: ActorRefFrom<typeof backplaneMachine>;
  /** False while Redis is out of reach: new connections are refused then. */
  accepting(): boolean;
  /** Leaves the cluster: members still registered leave with a notice; then the connections close. */
  retire(): Promise<void>;
}

/** Entries kept in the room's log, about; a node further behind sees a gap. */
export const LOG_MAX_ENTRIES = 100_000;
/** Entries one read takes at most. */
const READ_COUNT = 1000;
/** How long one read waits for new entries. */
const READ_BLOCK_MS = 1000;
/** Between attempts to register again while Redis is out of reach. */
const RETRY_MS = 500;

/** One op of a turn's APPLY: join, line or leave, in the node's order. */
type Op =
  | { kind: 'j'; conn: string; remote: string }
  | { kind: 'm'; conn: string; remote: string; text: string }
  | { kind: 'l'; conn: string; remote: string; reason: string };

/** The scripts, as ioredis defines them on a connection. */
interface Scripts {
  chatApply(prefix: string, ...args: string[]): Promise<[string, number[]?]>;
  chatSync(
    prefix: string,
    ...args: string[]
  ): Promise<[string, string, number]>;
  chatBeat(prefix: string, ...args: string[]): Promise<[string, number?]>;
  chatRetire(prefix: string, ...args: string[]): Promise<number>;
}

/** `1764000000000-3` as a comparable pair. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}

/**
 * Starts a cluster node's room: the room machine still decides this node's
 * members' joins and leaves, but the room's one order is a Redis stream
 * every node shares, and the count is the cluster's. [CLUSTER-1]
 *
 * ```
 *  say / member.joined / member.left ─► outbox ─► APPLY (one script per turn:
 *                                                 membership, count, XADD)
 *                                                        │ Redis stream
 *  each member's feed ◄─ messages$ ◄─ batch ◄─ XREAD ◄───┘ (every node, in order)
 * ```
 * A member's own lines, its join and its leave come back from the log like
 * everyone else's, so they are in the one order too: its greeting when its
 * join is read, `[You]` when its line is, and a leaver's connection closes
 * once its leave is read (it has everything ordered before it then).
 *
 * While Redis is out of reach (docs/cluster.md) members are told so, each
 * line sent is answered with an error, and nothing is pretended; when Redis
 * answers again the node registers its members again (SYNC), reads on from
 * the last entry it read, and tells each author whose line went to Redis
 * just before the outage and never appeared in the log. Past the grace
 * period the daemon disconnects members (`onExpired`).
 */
export async function startClusterRoom(
  options: ClusterRoomOptions
): Promise<ClusterRoom> {
  const { name, onFault, onExpired, cluster } = options;
  const { nodeId } = cluster;
  const scheduler = options.scheduler ?? IMMEDIATE;
  const logger = options.logger.child({
    component: 'room',
    room: name,
    node: nodeId
  });
  const chatLogged = logger.isLevelEnabled('chat');
  const outage = new OutageLog(logger);
  const prefix = `${cluster.name}:{${name}}:`;
  const logKey = `${prefix}log`;
  const maxlen = String(LOG_MAX_ENTRIES);
  const ttl = String(cluster.nodeTimeoutMs);

  const redisOptions: RedisOptions = {
    lazyConnect: true,
    // Nothing waits for a connection that is not there: a line sent while
    // Redis is out of reach is answered with an error, not queued and sent
    // later out of order.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // A half-open connection (Redis gone without a reset) is found within
    // the node timeout: both connections always have a command out.
    socketTimeout: cluster.nodeTimeoutMs + READ_BLOCK_MS,
    connectionName: `actor-chat:${nodeId}`
  };
  const commands = new Redis(cluster.url, redisOptions);
  const reader = new Redis(cluster.url, redisOptions);
  for (const [name, lua] of [
    ['chatApply', APPLY],
    ['chatSync', SYNC],
    ['chatBeat', BEAT],
    ['chatRetire', RETIRE]
  ] as const)
    commands.defineCommand(name, { numberOfKeys: 1, lua });
  const scripts = commands as unknown as Scripts;

  const broadcast = createBroadcaster();
  const count = new BehaviorSubject(0);
  const batch = new BatchBuilder();
  let seq = 0;
  let said = 0;
  let open = true;
  let running = true;
  let lastError = '';

  /** This node's members: address and `[ADDR] `; mirrors the machine's roster. */
  const speakers = new Map<string, { remote: string; prefix: Buffer }>();
  /** Members whose own join was read from the log: they have their greeting. */
  const greeted = new Set<string>();
  /** Leavers whose connection closes once their leave is read from the log. */
  const awaiting = new Map<string, ConnectionRef | null>();
  /** Leavers whose leave was read, to confirm once the batch is out. */
  const confirming: ConnectionRef[] = [];
  /** Lines for some members only, out after the batch. */
  const directs: Array<{ to: ReadonlySet<string>; text: string }> = [];
  /** Ops of this turn, not sent yet. */
  let outbox: Op[] = [];
  let applyScheduled = false;
  /** Lines sent to Redis and not read back yet, per author. */
  let inFlight = new Map<string, number>();
  /** Lines in flight when Redis went out of reach: found in the log, or their authors are told. */
  let uncertain = new Map<string, number>();
  /** The epoch of Redis's data this node knows; '' before the first SYNC. */
  let epoch = '';
  /** The last entry read. */
  let lastId = '0-0';
  /** Its sequence number, to see gaps. */
  let lastSeq = 0;
  /** After a SYNC: reading is catching up until this entry. */
  let catchUpTo: string | null = null;
  let announceWhenCaughtUp = false;
  /** Redis lost its data: members are told once this node has caught up. */
  let historyLost = false;
  /** Bumped to stop the read loop; a loop runs while it holds its number. */
  let reading = 0;
  let flushHandle: unknown = null;
  let beat: NodeJS.Timeout | null = null;

  const room = createActor(
    roomMachine.provide({
      actions: {
        // A leaver's connection closes once its leave comes back from the
        // log, so it has everything ordered before it.
        confirmLeave: ({ event }) => {
          assertEvent(event, 'room.leave');
          if (event.ref === undefined) return;
          if (awaiting.has(event.connId)) awaiting.set(event.connId, event.ref);
          else event.ref.send({ type: 'room.left' });
        }
      }
    }),
    { id: `room:${name}`, input: { name }, inspect: options.inspect }
  );

  const publishBatch = (): void => {
    if (flushHandle !== null) scheduler.clear(flushHandle);
    flushHandle = null;
    const taken = batch.take(seq + 1);
    if (taken !== null) {
      seq += 1;
      broadcast.publish(taken);
    }
    for (const { to, text } of directs.splice(0)) {
      broadcast.publish({ kind: 'direct', to, bytes: line(text), lines: 1 });
    }
    for (const ref of confirming.splice(0)) {
      if (ref.getSnapshot().status === 'active')
        ref.send({ type: 'room.left' });
    }
  };
  const pending = (): boolean =>
    !batch.isEmpty || directs.length > 0 || confirming.length > 0;
  const flush = (): void => {
    if (pending() && running) room.send({ type: 'room.flush' });
  };
  const flushSoon = (): void => {
    if (batch.bytes >= MAX_BATCH_BYTES) flush();
    else if (flushHandle === null)
      flushHandle = scheduler.set(() => {
        flushHandle = null;
        flush();
      }, 0);
  };
  const tell = (to: Iterable<string>, text: string): void => {
    const set = new Set(to);
    if (set.size === 0) return;
    directs.push({ to: set, text });
    flushSoon();
  };
  /** A leaver gets what this node has so far, and its connection closes now. */
  const farewell = (connId: string, ref: ConnectionRef | null): void => {
    batch.leave(connId, null);
    broadcast.publish({
      kind: 'farewell',
      connId,
      batch: batch.peek(seq + 1, connId)
    });
    if (ref !== null && ref.getSnapshot().status === 'active')
      ref.send({ type: 'room.left' });
  };

  const isLive = (): boolean => backplane.getSnapshot().matches('live');
  const queue = (op: Op): void => {
    outbox.push(op);
    if (applyScheduled || !isLive()) return;
    applyScheduled = true;
    setImmediate(sendOutbox);
  };

  /** Sends this turn's ops in one APPLY. */
  const sendOutbox = (): void => {
    applyScheduled = false;
    if (outbox.length === 0 || !isLive()) return;
    const ops = outbox;
    outbox = [];
    const args: string[] = [nodeId, epoch, maxlen];
    for (const op of ops) {
      if (op.kind === 'j') args.push('j', op.conn, op.remote);
      else if (op.kind === 'm') {
        args.push('m', op.conn, op.remote, op.text);
        inFlight.set(op.conn, (inFlight.get(op.conn) ?? 0) + 1);
      } else args.push('l', op.conn, op.remote, op.reason);
    }
    const sent = inFlight;
    scripts.chatApply(prefix, ...args).then(
      ([status, skipped = []]) => {
        if (status === 'resync') {
          // Nothing was written: the ops go again, first, once registered.
          for (const op of ops) if (op.kind === 'm') forgetLine(sent, op.conn);
          outbox = [...ops, ...outbox];
          backplane.send({ type: 'link.stale' });
          return;
        }
        const authors = skipped.map((i) => ops[i - 1]?.conn ?? '');
        for (const conn of authors) {
          forgetLine(sent, conn);
          tell([conn], NOT_SENT_NOTICE);
        }
      },
      (err: unknown) => {
        // Unknown whether it ran: the lines stay in flight; once Redis
        // answers again they are looked for in the log.
        lastError = describe(err);
        logger.warn('redis write failed', { err: lastError });
        if (isLive()) commands.disconnect(true);
      }
    );
  };
  /** One line of `conn` is no longer in flight. */
  const forgetLine = (from: Map<string, number>, conn: string): void => {
    const left = (from.get(conn) ?? 0) - 1;
    if (left > 0) from.set(conn, left);
    else from.delete(conn);
  };

  /** Puts entries read from the log into this turn's batch, in order. */
  const deliver = (raw: RawEntry[]): void => {
    for (const item of raw) {
      const entry = decodeEntry(item);
      lastId = item[0];
      if (entry === null) {
        logger.warn('skipped a log entry that is not ours', { id: item[0] });
        continue;
      }
      if (lastSeq > 0 && entry.seq > lastSeq + 1) {
        const lost = entry.seq - lastSeq - 1;
        logger.error('log entries lost', { event: 'gap', lost, at: entry.id });
        if (open) batch.notice(line(formatLostEntries(lost)));
      }
      lastSeq = entry.seq;
      apply(entry);
    }
    if (catchUpTo !== null && compareIds(lastId, catchUpTo) >= 0) caughtUp();
    flushSoon();
  };

  const apply = (entry: LogEntry): void => {
    const own = entry.node === nodeId;
    const speaker = own ? speakers.get(entry.conn) : undefined;
    switch (entry.type) {
      case 'line': {
        if (own) {
          const old =
            catchUpTo !== null && compareIds(entry.id, catchUpTo) <= 0;
          forgetLine(old ? uncertain : inFlight, entry.conn);
        }
        said += 1;
        if (chatLogged) {
          logger.log('chat', 'member said', {
            event: 'message',
            node: entry.node,
            connId: entry.conn,
            remote: entry.remote,
            text: entry.text
          });
        }
        if (!open) return;
        if (speaker !== undefined)
          batch.say(entry.conn, speaker.prefix, entry.text);
        else batch.notice(line(formatRelayed(entry.remote, entry.text)));
        return;
      }
      case 'join': {
        count.next(entry.count);
        logger.info('member joined', {
          event: 'join',
          node: entry.node,
          connId: entry.conn,
          remote: entry.remote,
          count: entry.count
        });
        if (!open) return;
        const notice = line(formatJoinNotice(entry.remote, entry.count));
        if (speaker !== undefined) {
          greeted.add(entry.conn);
          batch.join(entry.conn, line(formatGreeting(entry.count)), notice);
        } else batch.notice(notice);
        return;
      }
      case 'leave': {
        count.next(entry.count);
        logger.info('member left', {
          event: 'leave',
          node: entry.node,
          connId: entry.conn,
          remote: entry.remote,
          count: entry.count,
          reason: entry.reason
        });
        const notice = line(formatLeaveNotice(entry.remote, entry.count));
        if (own && awaiting.has(entry.conn)) {
          const ref = awaiting.get(entry.conn) ?? null;
          awaiting.delete(entry.conn);
          batch.leave(entry.conn, open ? notice : null);
          if (ref !== null) confirming.push(ref);
        } else if (speaker !== undefined) {
          // Removed as a dead node's member while still here (this node
          // stalled past its timeout): it joins again when the node
          // registers again, and sees itself neither leave nor join.
          greeted.delete(entry.conn);
        } else if (open) batch.notice(notice);
        return;
      }
    }
  };

  const caughtUp = (): void => {
    catchUpTo = null;
    for (const [conn, lines] of uncertain) {
      for (let i = 0; i < lines; i += 1) tell([conn], MAYBE_LOST_NOTICE);
    }
    uncertain = new Map();
    if (historyLost) {
      historyLost = false;
      tell(speakers.keys(), HISTORY_LOST_NOTICE);
    }
    if (announceWhenCaughtUp) {
      announceWhenCaughtUp = false;
      tell(speakers.keys(), AVAILABLE_NOTICE);
    }
  };

  const read = async (generation: number): Promise<void> => {
    while (reading === generation) {
      let reply: Array<[string, RawEntry[]]> | null;
      try {
        reply = await reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          logKey,
          lastId
        );
      } catch (err) {
        if (reading !== generation) return;
        lastError = describe(err);
        logger.warn('redis read failed', { err: lastError });
        backplane.send({ type: 'link.lost' });
        return;
      }
      if (reading !== generation) return;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length > 0) deliver(entries);
      else if (catchUpTo !== null) {
        caughtUp();
        flushSoon();
      }
    }
  };

  /** SYNC: (re)registers the node with the members it has now. */
  const register = async (): Promise<void> => {
    // The retry timer may fire while only one connection is back; reading
    // would then fail at once and look like a second outage.
    if (commands.status !== 'ready' || reader.status !== 'ready')
      throw new Error('redis connections not ready');
    const members: string[] = [];
    for (const [conn, { remote }] of speakers)
      members.push(conn, remote, greeted.has(conn) ? '1' : '0');
    const [current, logEnd, logSeq] = await scripts.chatSync(
      prefix,
      nodeId,
      randomUUID(),
      epoch,
      ttl,
      maxlen,
      ...members
    );
    if (epoch === '') {
      // First start: read from here on; what came before is not ours.
      lastId = logEnd;
      lastSeq = logSeq;
    } else if (current !== epoch) {
      for (const [conn, n] of inFlight)
        uncertain.set(conn, (uncertain.get(conn) ?? 0) + n);
      inFlight = new Map();
      logger.warn('redis lost its data; members registered again', {
        event: 'redis-reset'
      });
      lastId = '0-0';
      lastSeq = 0;
      // What other nodes had not read yet when Redis lost it is gone for
      // them, and nobody can tell which lines those were: say so to all.
      historyLost = true;
    }
    epoch = current;
    catchUpTo = compareIds(lastId, logEnd) >= 0 ? null : logEnd;
  };

  const backplane = createActor(
    backplaneMachine.provide({
      actors: { register: fromPromise(register) },
      actions: {
        resume: () => {
          outage.end();
          reading += 1;
          void read(reading);
          if (catchUpTo === null) caughtUp();
          if (outbox.length > 0) {
            applyScheduled = true;
            setImmediate(sendOutbox);
          }
        },
        pause: () => {
          reading += 1;
        },
        announceUnavailable: () => {
          outage.begin(lastError, speakers.size);
          // What was in flight may or may not be in the log: looked for
          // once Redis answers again. What never left waits for nothing.
          for (const [conn, n] of inFlight)
            uncertain.set(conn, (uncertain.get(conn) ?? 0) + n);
          inFlight = new Map();
          for (const op of outbox)
            if (op.kind === 'm') tell([op.conn], NOT_SENT_NOTICE);
          outbox = [];
          for (const [conn, ref] of awaiting) farewell(conn, ref);
          awaiting.clear();
          tell(speakers.keys(), UNAVAILABLE_NOTICE);
          flush();
        },
        announceAvailable: () => {
          announceWhenCaughtUp = true;
        },
        disconnectMembers: () => {
          logger.warn('redis unreachable past the grace period', {
            event: 'expired',
            graceMs: cluster.graceMs,
            members: speakers.size
          });
          onExpired(cluster.graceMs);
        },
        reportSyncFailure: ({ event }) => {
          lastError = describe((event as { error?: unknown }).error);
          outage.failed(lastError);
        }
      }
    }),
    {
      id: `backplane:${nodeId}`,
      input: { graceMs: cluster.graceMs, retryMs: RETRY_MS },
      inspect: options.inspect
    }
  );

  const linkChanged = (): void => {
    if (!running) return;
    if (commands.status === 'ready' && reader.status === 'ready')
      backplane.send({ type: 'link.up' });
  };
  for (const connection of [commands, reader]) {
    connection.on('ready', linkChanged);
    connection.on('close', () => {
      if (!running) return;
      if (isLive()) lastError = 'connection closed';
      backplane.send({ type: 'link.lost' });
    });
    connection.on('error', (err: unknown) => {
      lastError = describe(err);
      logger.debug('redis connection error', { err: lastError });
    });
  }

  const heartbeat = (): void => {
    if (!isLive()) return;
    scripts
      .chatBeat(prefix, nodeId, epoch, ttl, maxlen)
      .then(([status, removed = 0]) => {
        if (status === 'resync') backplane.send({ type: 'link.stale' });
        else if (removed > 0)
          logger.warn('removed the members of dead nodes', {
            event: 'reap',
            members: removed
          });
      })
      .catch((err: unknown) => {
        lastError = describe(err);
        logger.warn('redis heartbeat failed', { err: lastError });
        if (isLive()) commands.disconnect(true);
      });
  };

  room.on('*', (emitted: RoomEmitted) => {
    if (emitted.type === 'room.flushed') {
      publishBatch();
      return;
    }
    switch (emitted.type) {
      case 'member.joined': {
        const { connId, remote } = emitted;
        speakers.set(connId, { remote, prefix: Buffer.from(`[${remote}] `) });
        queue({ kind: 'j', conn: connId, remote });
        return;
      }
      case 'member.left': {
        const { connId, remote } = emitted;
        // Every node logs the leave when it reads it, with the global
        // count; this is what only this node knows about it.
        logger.debug('member leaving', {
          connId,
          remote,
          reason: emitted.reason,
          ...emitted.detail
        });
        speakers.delete(connId);
        greeted.delete(connId);
        queue({ kind: 'l', conn: connId, remote, reason: emitted.reason });
        if (isLive() && open) awaiting.set(connId, null);
        else farewell(connId, null);
        return;
      }
      case 'room.closing':
        logger.info('room closing', {
          event: 'closing',
          members: speakers.size
        });
        open = false;
        batch.notice(line(SHUTDOWN_NOTICE));
        flushSoon();
        return;
    }
  });
  room.subscribe({
    error: (err) => {
      logger.error('room failed', { err });
      onFault(err);
    }
  });

  const connectAll = async (): Promise<void> => {
    try {
      await Promise.all([commands.connect(), reader.connect()]);
    } catch (err) {
      commands.disconnect();
      reader.disconnect();
      // ioredis rejects with "Connection is closed."; its error event said why.
      throw new Error(
        `cannot reach Redis at ${redact(cluster.url)}: ${lastError || describe(err)}`,
        { cause: err }
      );
    }
  };
  await connectAll();
  room.start();
  backplane.start();
  await new Promise<void>((resolve, reject) => {
    const watch = backplane.subscribe((snapshot) => {
      if (snapshot.matches('live')) {
        watch.unsubscribe();
        resolve();
      } else if (!snapshot.matches('starting')) {
        watch.unsubscribe();
        reject(
          new Error(
            `cannot register with Redis at ${redact(cluster.url)}: ${lastError}`
          )
        );
      }
    });
  }).catch((err: unknown) => {
    running = false;
    backplane.stop();
    room.stop();
    commands.disconnect();
    reader.disconnect();
    throw err;
  });
  beat = setInterval(heartbeat, Math.max(50, cluster.nodeTimeoutMs / 5));

  const stop = (): void => {
    if (!running) return;
    flush();
    running = false;
    reading += 1;
    if (beat !== null) clearInterval(beat);
    if (flushHandle !== null) scheduler.clear(flushHandle);
    backplane.send({ type: 'link.close' });
    room.stop();
    broadcast.complete();
    count.complete();
    commands.disconnect();
    reader.disconnect();
  };

  return {
    name,
    ref: room,
    backplane,
    messages$: broadcast.messages$,
    count$: count.asObservable(),
    say: (connId, text) => {
      const speaker = speakers.get(connId);
      if (speaker === undefined || !open || !running) return false;
      const state = backplane.getSnapshot();
      if (state.matches('recovering') || state.matches('expired')) {
        tell([connId], NOT_SENT_NOTICE);
        return false;
      }
      queue({ kind: 'm', conn: connId, remote: speaker.remote, text });
      return true;
    },
    flush,
    memberCount: () => room.getSnapshot().context.roster.size,
    feedCount: broadcast.feedCount,
    messageCount: () => said,
    isRunning: () => room.getSnapshot().status === 'active',
    accepting: () => {
      const state = backplane.getSnapshot();
      return running && (state.matches('live') || state.matches('resyncing'));
    },
    retire: async () => {
      if (!running) return;
      // What members said and their leaves go out first, in order.
      sendOutbox();
      if (isLive()) {
        await scripts
          .chatRetire(prefix, nodeId, maxlen)
          .catch((err: unknown) =>
            logger.warn('leaving the cluster failed', { err: describe(err) })
          );
      }
      stop();
    },
    stop
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
