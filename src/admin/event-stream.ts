import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { AdminStats } from './stats.js';
import type { ConnectionMonitor, RowQuery, Transition } from './monitor.js';

/** What one `/events` stream shows: a page of the table and maybe one connection. */
export interface ViewQuery extends RowQuery {
  /** A connection whose row and timeline ride along. */
  watch: string | null;
  /** Milliseconds between updates: at most 10 a second. */
  intervalMs: number;
  /** Room members to skip in the members list. */
  memberOffset: number;
  /** Room members listed per page. */
  memberLimit: number;
}

/**
 * The connection machine's state of a room member: joined, not yet leaving
 * (src/machines/connection-machine.ts). The members list shows these.
 */
export const MEMBER_STATE = 'online';

/** One room member as the members list shows it. */
export interface MemberRow {
  readonly id: string;
  readonly remote: string;
  /** When it joined (entered `online`), epoch milliseconds. */
  readonly since: number;
}

/** Bounds of the query parameters (docs/inspector.md). */
export const VIEW_BOUNDS = {
  /** Where a page starts: the table's (`offset`) and the members' (`memberOffset`). */
  offset: { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 },
  limit: { min: 1, max: 500, default: 50 },
  memberLimit: { min: 1, max: 500, default: 20 },
  intervalMs: { min: 100, max: 10_000, default: 200 },
  /** Transitions carried in one update; the rest are counted in `dropped`. */
  transitionsPerUpdate: 1000
} as const;

/** Above this many unsent bytes, updates are skipped until the viewer catches up. */
const BEHIND_BYTES = 256 * 1024;
/** Behind for this long, the viewer is cut off; its browser reconnects and starts afresh. */
const GIVE_UP_MS = 10_000;
/** A comment line this often keeps idle proxies from closing the stream. */
const HEARTBEAT_MS = 15_000;

function intParam(
  params: URLSearchParams,
  name: string,
  bounds: { min: number; max: number; default: number }
): number | string {
  const raw = params.get(name);
  if (raw === null || raw === '') return bounds.default;
  if (!/^\d+$/.test(raw))
    return `invalid ${name} "${raw}" (expected a whole number)`;
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max)
    return `invalid ${name} ${raw} (expected ${bounds.min} to ${bounds.max})`;
  return value;
}

/**
 * Reads `offset`, `limit`, `state`, `order`, `watch`, `interval`,
 * `memberOffset` and `memberLimit` from a query string; returns a one-line
 * error for a bad one.
 *
 * @example parseViewQuery(new URLSearchParams('state=online&watch=c7'), states)
 */
export function parseViewQuery(
  params: URLSearchParams,
  states: readonly string[]
): ViewQuery | string {
  const offset = intParam(params, 'offset', VIEW_BOUNDS.offset);
  if (typeof offset === 'string') return offset;
  const limit = intParam(params, 'limit', VIEW_BOUNDS.limit);
  if (typeof limit === 'string') return limit;
  const intervalMs = intParam(params, 'interval', VIEW_BOUNDS.intervalMs);
  if (typeof intervalMs === 'string') return intervalMs;
  const memberOffset = intParam(params, 'memberOffset', VIEW_BOUNDS.offset);
  if (typeof memberOffset === 'string') return memberOffset;
  const memberLimit = intParam(params, 'memberLimit', VIEW_BOUNDS.memberLimit);
  if (typeof memberLimit === 'string') return memberLimit;
  const state = params.get('state') ?? 'all';
  if (state !== 'all' && state !== 'live' && !states.includes(state)) {
    return `invalid state "${state}" (expected all, live, ${states.join(', ')})`;
  }
  const order = params.get('order') ?? 'newest';
  if (order !== 'newest' && order !== 'oldest')
    return `invalid order "${order}" (expected newest or oldest)`;
  const watch = params.get('watch');
  return {
    offset,
    limit,
    state,
    order,
    watch: watch === null || watch === '' ? null : watch,
    intervalMs,
    memberOffset,
    memberLimit
  };
}

/** What a stream reads from the daemon. */
export interface StreamSource {
  readonly monitor: ConnectionMonitor;
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

/**
 * Serves one `/events` viewer: `hello` once, then an `update` at most every
 * `intervalMs` when something changed (the aggregates and the transitions
 * since the last one always; the table page, the page of room members and
 * the watched connection only when they changed). A viewer that does not read is skipped while over
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
  let pending: Transition[] = [];
  let dropped = 0;
  let last = { aggregates: '', view: '', members: '', watch: '' };
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

  const subscription: Subscription = monitor.transitions$.subscribe(
    (transition) => {
      if (pending.length < VIEW_BOUNDS.transitionsPerUpdate)
        pending.push(transition);
      else dropped += 1;
    }
  );

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
      room: { members: stats.members, messages: stats.messages },
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
      rows: memberPage.rows.map(({ id, remote, since }): MemberRow => ({
        id,
        remote,
        since
      }))
    });
    const watch =
      query.watch === null
        ? ''
        : JSON.stringify({
            id: query.watch,
            row: monitor.row(query.watch) ?? null,
            timeline: monitor.timeline(query.watch) ?? []
          });
    const changed =
      pending.length > 0 ||
      dropped > 0 ||
      aggregates !== last.aggregates ||
      view !== last.view ||
      members !== last.members ||
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
      `"transitions":${JSON.stringify(pending)}`,
      `"dropped":${dropped}`
    ];
    if (view !== last.view) parts.push(`"view":${view}`);
    if (members !== last.members) parts.push(`"members":${members}`);
    if (watch !== last.watch && watch !== '') parts.push(`"watch":${watch}`);
    res.write(`event: update\ndata: {${parts.join(',')}}\n\n`);
    lastWrite = now;
    last = { aggregates, view, members, watch };
    pending = [];
    dropped = 0;
  };

  const timer = setInterval(tick, query.intervalMs);
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    subscription.unsubscribe();
    res.end();
    onClose();
  };
  res.on('close', end);
  tick();
  return { close: end };
}
