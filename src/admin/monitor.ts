import { Observable, Subject } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { nameKey } from '../protocol/command.js';
import type { Traffic } from '../transport/tcp-connection.js';

/** The live numbers of one connection, read when a row is built. */
export interface TrafficSource {
  readonly traffic: Readonly<Traffic>;
  readonly queuedBytes: number;
}

/** One transition in a connection's timeline. */
export interface TimelineEntry {
  /** Epoch milliseconds. */
  readonly at: number;
  /** The event that caused it: `tcp.end`, `room.joined`, `after leaveTimeout`, … */
  readonly event: string;
  /** `null` for the first entry (the actor starting). */
  readonly from: string | null;
  readonly to: string;
}

/** A transition of any connection, as `/events` streams it. */
export interface Transition extends TimelineEntry {
  readonly id: string;
  readonly remote: string;
}

/**
 * A connection taking a nickname (`/nick`) or changing rooms (`/join`,
 * `/part`), as `/events` streams it (docs/events.md).
 */
export interface IdentityChange {
  readonly id: string;
  readonly remote: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** Its old nickname or room; `null` for a first nickname. */
  readonly from: string | null;
  readonly to: string;
}

/** One connection as the inspector's table shows it. */
export interface ConnectionRow {
  readonly id: string;
  readonly remote: string;
  /** How it came: `tcp`, `tls` (`ws` to come). */
  readonly transport: string;
  readonly state: string;
  /** Its nickname (the last it held, once closed); `null` without one. */
  readonly name: string | null;
  /** Its room (`#lobby`, `#dev`); `null` before its actor started. */
  readonly room: string | null;
  /** When it entered `state`, epoch milliseconds. */
  readonly since: number;
  readonly openedAt: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly queuedBytes: number;
  /** Why it left, once it is leaving or closed. */
  readonly reason: string | null;
}

/** Which rows to list. */
export interface RowQuery {
  offset: number;
  limit: number;
  /** A state name, `live` (every state but the final one) or `all`. */
  state: string;
  order: 'newest' | 'oldest';
  /** Only connections in this room (`#dev`, any case); every room if left out or `null`. */
  room?: string | null;
}

/** How a monitor is set up. */
export interface MonitorOptions {
  /** The connection machine's states, in definition order. */
  states: readonly string[];
  /** The final state, which ends a record's live life. */
  finalState: string;
  /** Closed connections kept for the table and their timelines; default 1000. */
  retainClosed?: number;
  /**
   * The daemon's transports, listed in `liveCounts` even with no
   * connection; default `['tcp']`.
   */
  transports?: readonly string[];
  /** Transitions kept per connection, the most recent; default 32. */
  timelineLength?: number;
  now?: () => number;
}

interface ConnectionRecord {
  readonly id: string;
  readonly remote: string;
  readonly transport: string;
  readonly openedAt: number;
  state: string;
  since: number;
  reason: string | null;
  name: string | null;
  room: string | null;
  readonly timeline: TimelineEntry[];
  /** Live while open; `null` once closed, when `final` holds the last numbers. */
  source: TrafficSource | null;
  final: Readonly<Traffic>;
}

interface SnapshotLike {
  readonly status?: string;
  readonly value?: unknown;
  readonly context?: {
    readonly reason?: unknown;
    /** The connection's RoomRef, whose id is `room:NAME`. */
    readonly room?: { readonly id?: unknown };
  };
}

const NOT_STARTED = '';
const NO_TRAFFIC: Readonly<Traffic> = Object.freeze({
  bytesIn: 0,
  bytesOut: 0,
  linesIn: 0,
  linesOut: 0
});

/** A RoomRef's id, `room:dev`, as members see the room: `#dev`. */
function roomLabel(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  return id.startsWith('room:') ? `#${id.slice('room:'.length)}` : id;
}

/** `xstate.after.leaveTimeout.connection.leaving` → `after leaveTimeout`. */
function eventName(type: string): string {
  if (type.startsWith('xstate.after.')) {
    return `after ${type.slice('xstate.after.'.length).split('.', 1)[0] ?? ''}`;
  }
  return type;
}

/**
 * Every connection's lifecycle, fed by the daemon's one inspection observer:
 * its state, when it got there, its timeline, and (through the transport)
 * its traffic, its room (from its snapshots' context) and its nickname
 * (`renamed`, from the daemon's name registry). Keeps live connections and the last `retainClosed` closed
 * ones. Costs one map lookup per snapshot while nobody reads it; its
 * transitions, renames and moves are only built for `transitions$`,
 * `renames$` and `moves$` while someone subscribes.
 */
export class ConnectionMonitor {
  readonly #records = new Map<string, ConnectionRecord>();
  readonly #closed: string[] = [];
  #closedHead = 0;
  readonly #counts: Map<string, number>;
  readonly #states: readonly string[];
  readonly #finalState: string;
  readonly #transports: readonly string[];
  readonly #retainClosed: number;
  readonly #timelineLength: number;
  readonly #now: () => number;
  readonly #transitions = new Subject<Transition>();
  readonly #renames = new Subject<IdentityChange>();
  readonly #moves = new Subject<IdentityChange>();
  #closedTotal = 0;

  /** Every transition of every connection, as it happens. */
  readonly transitions$: Observable<Transition> =
    this.#transitions.asObservable();
  /** Every nickname taken, as it happens. */
  readonly renames$: Observable<IdentityChange> = this.#renames.asObservable();
  /** Every change of room, as the connection takes its next room. */
  readonly moves$: Observable<IdentityChange> = this.#moves.asObservable();

  constructor(options: MonitorOptions) {
    this.#states = options.states;
    this.#finalState = options.finalState;
    this.#transports = options.transports ?? ['tcp'];
    this.#retainClosed = options.retainClosed ?? 1000;
    this.#timelineLength = options.timelineLength ?? 32;
    this.#now = options.now ?? Date.now;
    this.#counts = new Map(options.states.map((state) => [state, 0]));
  }

  /** Registers an accepted connection; call before its actor starts. */
  track(
    id: string,
    remote: string,
    source: TrafficSource,
    transport = 'tcp'
  ): void {
    const now = this.#now();
    this.#records.set(id, {
      id,
      remote,
      transport,
      openedAt: now,
      state: NOT_STARTED,
      since: now,
      reason: null,
      name: null,
      room: null,
      timeline: [],
      source,
      final: NO_TRAFFIC
    });
  }

  /**
   * The inspection observer: records each change of a tracked actor's state.
   * Everything else (other event types, other actors, snapshots that do not
   * change the state) returns at once.
   */
  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.snapshot') return;
    const actor = event.actorRef;
    if (actor.sessionId !== event.rootId || !('id' in actor)) return;
    const record = this.#records.get(String(actor.id));
    if (record === undefined || record.source === null) return;
    const snapshot = event.snapshot as SnapshotLike;
    // The room changes in the step `moving` → `connecting` (the machine's
    // takeNextRoom), before that transition is recorded below.
    const room = roomLabel(snapshot.context?.room?.id);
    if (room !== null && room !== record.room) this.#enter(record, room);
    if (snapshot.status === 'error') {
      this.#move(record, 'error', this.#finalState, 'internal error');
      return;
    }
    const to = typeof snapshot.value === 'string' ? snapshot.value : null;
    if (to === null || to === record.state) return;
    const reason = snapshot.context?.reason;
    this.#move(
      record,
      eventName(event.event.type),
      to,
      typeof reason === 'string' ? reason : null
    );
  };

  /**
   * `id` took the nickname `name` (the name registry said `claimed`). The
   * name stays on its row after it closes, so the table still says who it
   * was.
   */
  renamed(id: string, name: string): void {
    const record = this.#records.get(id);
    if (record === undefined || record.name === name) return;
    const from = record.name;
    record.name = name;
    if (this.#renames.observed)
      this.#renames.next(this.#change(record, from, name));
  }

  #enter(record: ConnectionRecord, room: string): void {
    const from = record.room;
    record.room = room;
    // The first room is where it starts, not a move.
    if (from !== null && this.#moves.observed)
      this.#moves.next(this.#change(record, from, room));
  }

  #change(
    record: ConnectionRecord,
    from: string | null,
    to: string
  ): IdentityChange {
    return { id: record.id, remote: record.remote, at: this.#now(), from, to };
  }

  /**
   * The daemon's word that a connection is done, with why: closes its record
   * if inspection does not. XState tells an actor's observers it is done
   * before it sends the inspection event of that last step, so this waits a
   * microtask for that event (and its real name) first.
   */
  done(id: string, reason: string): void {
    queueMicrotask(() => {
      const record = this.#records.get(id);
      if (record !== undefined && record.source !== null)
        this.#move(record, 'done', this.#finalState, reason);
    });
  }

  #move(
    record: ConnectionRecord,
    event: string,
    to: string,
    reason: string | null
  ): void {
    const at = this.#now();
    const from = record.state === NOT_STARTED ? null : record.state;
    if (from !== null) this.#add(from, -1);
    record.state = to;
    record.since = at;
    record.reason = reason ?? record.reason;
    const entry: TimelineEntry = { at, event, from, to };
    record.timeline.push(entry);
    if (record.timeline.length > this.#timelineLength) record.timeline.shift();
    if (to === this.#finalState) this.#close(record);
    else this.#add(to, 1);
    if (this.#transitions.observed)
      this.#transitions.next({
        ...entry,
        id: record.id,
        remote: record.remote
      });
  }

  #add(state: string, delta: number): void {
    this.#counts.set(state, (this.#counts.get(state) ?? 0) + delta);
  }

  #close(record: ConnectionRecord): void {
    const { source } = record;
    if (source !== null) record.final = { ...source.traffic };
    record.source = null;
    this.#closedTotal += 1;
    this.#closed.push(record.id);
    while (this.#closed.length - this.#closedHead > this.#retainClosed) {
      const oldest = this.#closed[this.#closedHead];
      this.#closedHead += 1;
      if (oldest !== undefined) this.#records.delete(oldest);
    }
    // Compact the queue once its dead head outweighs what it holds.
    if (this.#closedHead > this.#retainClosed) {
      this.#closed.splice(0, this.#closedHead);
      this.#closedHead = 0;
    }
  }

  /** Live connections by state, every state of the machine listed; the final one counts those closed since start. */
  stateCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const state of this.#states) {
      counts[state] =
        state === this.#finalState
          ? this.#closedTotal
          : (this.#counts.get(state) ?? 0);
    }
    return counts;
  }

  /**
   * Live connections by state, every state but the final one: what a gauge
   * of "right now" shows (closed ones are a total, not a level).
   */
  liveStateCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const state of this.#states)
      if (state !== this.#finalState)
        counts[state] = this.#counts.get(state) ?? 0;
    return counts;
  }

  /**
   * Open connections per transport and live state, every pair listed (the
   * transports given at construction and any seen since). Walks the
   * records: meant for a scrape, not for every event.
   */
  liveCounts(): { transport: string; state: string; count: number }[] {
    const counts = new Map<string, Map<string, number>>();
    const of = (transport: string): Map<string, number> => {
      let byState = counts.get(transport);
      if (byState === undefined) {
        byState = new Map(
          this.#states
            .filter((state) => state !== this.#finalState)
            .map((state) => [state, 0])
        );
        counts.set(transport, byState);
      }
      return byState;
    };
    for (const transport of this.#transports) of(transport);
    for (const record of this.#records.values()) {
      if (record.state === NOT_STARTED || record.state === this.#finalState)
        continue;
      const byState = of(record.transport);
      byState.set(record.state, (byState.get(record.state) ?? 0) + 1);
    }
    return [...counts].flatMap(([transport, byState]) =>
      [...byState].map(([state, count]) => ({ transport, state, count }))
    );
  }

  /** Connections whose actor has not reached the final state. */
  liveCount(): number {
    let live = 0;
    for (const [state, count] of this.#counts)
      if (state !== this.#finalState) live += count;
    return live;
  }

  /** Bytes owed to peers right now: the largest backlog and the sum. */
  queuedBytes(): { max: number; sum: number } {
    let max = 0;
    let sum = 0;
    for (const record of this.#records.values()) {
      const queued = record.source?.queuedBytes ?? 0;
      sum += queued;
      if (queued > max) max = queued;
    }
    return { max, sum };
  }

  /** One page of rows, and how many match the query in all. */
  rows(query: RowQuery): { total: number; rows: ConnectionRow[] } {
    const all = [...this.#records.values()];
    if (query.order === 'newest') all.reverse();
    const rows: ConnectionRow[] = [];
    let total = 0;
    const room = query.room ? nameKey(query.room) : null;
    for (const record of all) {
      if (!this.#matches(record, query.state)) continue;
      if (
        room !== null &&
        (record.room === null || nameKey(record.room) !== room)
      )
        continue;
      if (total >= query.offset && rows.length < query.limit)
        rows.push(this.#row(record));
      total += 1;
    }
    return { total, rows };
  }

  #matches(record: ConnectionRecord, state: string): boolean {
    if (record.state === NOT_STARTED) return false;
    if (state === 'all') return true;
    if (state === 'live') return record.source !== null;
    return record.state === state;
  }

  /** One connection's row, if it is live or among the retained closed ones. */
  row(id: string): ConnectionRow | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : this.#row(record);
  }

  /** One connection's most recent transitions, oldest first. */
  timeline(id: string): readonly TimelineEntry[] | undefined {
    return this.#records.get(id)?.timeline;
  }

  #row(record: ConnectionRecord): ConnectionRow {
    const traffic = record.source?.traffic ?? record.final;
    return {
      id: record.id,
      remote: record.remote,
      transport: record.transport,
      state: record.state,
      name: record.name,
      room: record.room,
      since: record.since,
      openedAt: record.openedAt,
      messagesIn: traffic.linesIn,
      messagesOut: traffic.linesOut,
      bytesIn: traffic.bytesIn,
      bytesOut: traffic.bytesOut,
      queuedBytes: record.source?.queuedBytes ?? 0,
      reason: record.reason
    };
  }

  /** Ends `transitions$`, `renames$` and `moves$`. */
  stop(): void {
    this.#transitions.complete();
    this.#renames.complete();
    this.#moves.complete();
  }
}
