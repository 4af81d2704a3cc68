import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { AdminStats } from './stats.js';
import type {
  ConnectionMonitor,
  IdentityChange,
  Transition
} from './monitor.js';
import type { RoomBoard } from './room-board.js';
import { VIEW_BOUNDS, type ViewQuery } from './view-query.js';

/**
 * The connection machine's state of a room member: joined, not yet leaving
 * (src/machines/connection-machine.ts). The members list shows these.
 */
export const MEMBER_STATE = 'online';

/** One room member as the members list shows it. */
export interface MemberRow {
  readonly id: string;
  readonly remote: string;
  /** Its nickname, `null` without one. */
  readonly name: string | null;
  /** The room it is a member of. */
  readonly room: string | null;
  /** When it joined (entered `online`), epoch milliseconds. */
  readonly since: number;
}

/** Above this many unsent bytes, updates are skipped until the viewer catches up. */
const BEHIND_BYTES = 256 * 1024;
/** Behind for this long, the viewer is cut off; its browser reconnects and starts afresh. */
const GIVE_UP_MS = 10_000;
/** A comment line this often keeps idle proxies from closing the stream. */
const HEARTBEAT_MS = 15_000;

/** What a stream reads from the daemon. */
export interface StreamSource {
  readonly monitor: ConnectionMonitor;
  /** The rooms, read and rated once for every viewer. */
  readonly rooms: RoomBoard;
  stats(): AdminStats;
}

/** One open `/events` stream. */
export interface EventStream {
  /** Ends the stream (the daemon is closing). */
  close(): void;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Collects what happens between two updates, at most `transitionsPerUpdate`. */
class Pending<T> {
  items: T[] = [];
  dropped = 0;

  add(item: T): void {
    if (this.items.length < VIEW_BOUNDS.transitionsPerUpdate)
      this.items.push(item);
    else this.dropped += 1;
  }

  /** What was collected, then starts afresh (`dropped` too). */
  take(): T[] {
    const { items } = this;
    this.items = [];
    this.dropped = 0;
    return items;
  }
}

/**
 * Serves one `/events` viewer: `hello` once, then an `update` at most every
 * `intervalMs` when something changed (the aggregates, and the transitions,
 * renames and moves since the last one always; the table page, the page of
 * room members, the page of rooms and the watched connection only when
 * they changed). A viewer that does not read is skipped while over
 * 256 KiB behind, and cut off after 10 s of that: it never holds up the
 * daemon and never keeps its slot. Calls `onClose` once when the stream ends
 * for any reason.
 */
export function openEventStream(
  res: ServerResponse,
  source: StreamSource,
  query: ViewQuery,
  hello: unknown,
  headers: Readonly<Record<string, string>>,
  onClose: () => void
): EventStream {
  const { monitor } = source;
  const transitions = new Pending<Transition>();
  const renames = new Pending<IdentityChange>();
  const moves = new Pending<IdentityChange>();
  let last = { aggregates: '', view: '', members: '', rooms: '', watch: '' };
  let lastWrite = Date.now();
  let behindSince: number | null = null;
  let ended = false;

  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no'
  });
  // Browsers reconnect this long after the stream drops (a daemon restart).
  res.write(`retry: 1000\n\n${frame('hello', hello)}`);

  const subscriptions: Subscription[] = [
    monitor.transitions$.subscribe((item) => transitions.add(item)),
    monitor.renames$.subscribe((item) => renames.add(item)),
    monitor.moves$.subscribe((item) => moves.add(item))
  ];

  const tick = (): void => {
    const now = Date.now();
    if (res.writableLength > BEHIND_BYTES) {
      behindSince ??= now;
      if (now - behindSince >= GIVE_UP_MS) end();
      return;
    }
    behindSince = null;
    const stats = source.stats();
    const aggregates = JSON.stringify({
      room: {
        members: stats.members,
        messages: stats.messages,
        rooms: stats.rooms,
        names: stats.names
      },
      states: monitor.stateCounts(),
      totals: {
        accepted: stats.accepted,
        refused: stats.refused,
        disconnects: stats.disconnects
      }
    });
    const page = monitor.rows(query);
    const view = JSON.stringify({
      offset: query.offset,
      limit: query.limit,
      state: query.state,
      order: query.order,
      room: query.room,
      total: page.total,
      rows: page.rows
    });
    const memberPage = monitor.rows({
      state: MEMBER_STATE,
      order: 'oldest',
      offset: query.memberOffset,
      limit: query.memberLimit
    });
    const members = JSON.stringify({
      offset: query.memberOffset,
      limit: query.memberLimit,
      total: memberPage.total,
      rows: memberPage.rows.map(
        ({ id, remote, name, room, since }): MemberRow => ({
          id,
          remote,
          name,
          room,
          since
        })
      )
    });
    const roomPage = source.rooms.page(query.roomOffset, query.roomLimit);
    const rooms = JSON.stringify({
      offset: query.roomOffset,
      limit: query.roomLimit,
      ...roomPage
    });
    const watch =
      query.watch === null
        ? ''
        : JSON.stringify({
            id: query.watch,
            row: monitor.row(query.watch) ?? null,
            timeline: monitor.timeline(query.watch) ?? []
          });
    const dropped = transitions.dropped + renames.dropped + moves.dropped;
    const changed =
      transitions.items.length > 0 ||
      renames.items.length > 0 ||
      moves.items.length > 0 ||
      dropped > 0 ||
      aggregates !== last.aggregates ||
      view !== last.view ||
      members !== last.members ||
      rooms !== last.rooms ||
      watch !== last.watch;
    if (!changed) {
      if (now - lastWrite >= HEARTBEAT_MS) {
        res.write(': ping\n\n');
        lastWrite = now;
      }
      return;
    }
    // Assembled from the strings already made, so nothing is encoded twice.
    const parts = [
      `"at":${now}`,
      aggregates.slice(1, -1),
      `"transitions":${JSON.stringify(transitions.take())}`,
      `"renames":${JSON.stringify(renames.take())}`,
      `"moves":${JSON.stringify(moves.take())}`,
      `"dropped":${dropped}`
    ];
    if (view !== last.view) parts.push(`"view":${view}`);
    if (members !== last.members) parts.push(`"members":${members}`);
    if (rooms !== last.rooms) parts.push(`"rooms":${rooms}`);
    if (watch !== last.watch && watch !== '') parts.push(`"watch":${watch}`);
    res.write(`event: update\ndata: {${parts.join(',')}}\n\n`);
    lastWrite = now;
    last = { aggregates, view, members, rooms, watch };
  };

  const timer = setInterval(tick, query.intervalMs);
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    for (const subscription of subscriptions) subscription.unsubscribe();
    res.end();
    onClose();
  };
  res.on('close', end);
  tick();
  return { close: end };
}
