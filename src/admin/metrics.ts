import {
  Counter,
  Gauge,
  Registry,
  collectDefaultMetrics,
  type CollectFunction
} from 'prom-client';
import type { AdminStats } from './stats.js';
import type { ConnectionMonitor } from './monitor.js';
import type { RoomSource } from './room-board.js';
import { ROOM_SERIES, topRooms } from './top-rooms.js';

/** What the metrics are read from, at scrape time. */
export interface MetricsSource {
  stats(): AdminStats;
  readonly monitor: ConnectionMonitor;
  /** Every running room. */
  rooms(): readonly RoomSource[];
  /** Inspector pages and `/events` streams open right now. */
  viewers(): number;
}

/** A daemon's Prometheus metrics. */
export interface Metrics {
  readonly contentType: string;
  /** The exposition text, every value read now. */
  render(): Promise<string>;
}

/**
 * The daemon's metrics in its own registry (never prom-client's global one),
 * with Node's default process metrics. Values are read from the daemon when
 * scraped, not counted twice: nothing here runs between scrapes except what
 * `collectDefaultMetrics` itself samples (event-loop delay).
 */
export function createMetrics(source: MetricsSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Read once per scrape: every collect below uses the same reading.
  let stats: AdminStats | null = null;
  let queued: { max: number; sum: number } | null = null;
  const read = (): AdminStats => (stats ??= source.stats());
  const readQueued = () => (queued ??= source.monitor.queuedBytes());

  /** A counter whose total lives elsewhere: set, at scrape, to what it reads. */
  const total = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    values: () => ReadonlyArray<[Partial<Record<L, string>>, number]>
  ): void => {
    const collect: CollectFunction<Counter<L>> = function () {
      this.reset();
      for (const [labels, value] of values()) this.inc(labels, value);
    };
    new Counter({ name, help, labelNames, registers: [registry], collect });
  };
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    values: () => ReadonlyArray<[Partial<Record<L, string>>, number]>
  ): void => {
    const collect: CollectFunction<Gauge<L>> = function () {
      this.reset();
      for (const [labels, value] of values()) this.set(labels, value);
    };
    new Gauge({ name, help, labelNames, registers: [registry], collect });
  };
  const byLabel = <L extends string>(
    label: L,
    record: Readonly<Record<string, number>>
  ): Array<[Partial<Record<L, string>>, number]> =>
    Object.entries(record).map(([key, value]) => [
      { [label]: key } as Partial<Record<L, string>>,
      value
    ]);

  // Closed connections are a running total, not a level: they are counted
  // in chat_disconnects_total (by reason), never in this gauge.
  gauge(
    'chat_connections',
    'Open connections by transport and state of their actor right now.',
    ['transport', 'state'],
    () =>
      source.monitor
        .liveCounts()
        .map(({ transport, state, count }) => [{ transport, state }, count])
  );
  total(
    'chat_connections_accepted_total',
    'Connections accepted as chat connections.',
    [],
    () => [[{}, read().accepted]]
  );
  total(
    'chat_connections_refused_total',
    'Connections refused at accept time, by reason.',
    ['reason'],
    () => byLabel('reason', read().refused)
  );
  total(
    'chat_disconnects_total',
    'Connections ended, by reason.',
    ['reason'],
    () => byLabel('reason', read().disconnects)
  );
  total(
    'chat_tls_handshake_failures_total',
    'TLS handshakes that failed, by reason.',
    ['reason'],
    () => byLabel('reason', read().tlsHandshakeFailures ?? {})
  );
  total(
    'chat_ws_protocol_errors_total',
    'WebSocket peers that broke the protocol, by what they did.',
    ['reason'],
    () => byLabel('reason', read().wsProtocolErrors ?? {})
  );
  gauge('chat_rooms', 'Rooms open right now, #lobby included.', [], () => [
    [{}, read().rooms]
  ]);
  gauge('chat_names', 'Nicknames held right now.', [], () => [
    [{}, read().names]
  ]);
  // One series per room would grow with every room a client opens: the
  // top ROOM_SERIES by members get their own, the rest share "(other)".
  gauge(
    'chat_room_members',
    `Members right now of the ${ROOM_SERIES} largest rooms, and of all the others as room="(other)".`,
    ['room'],
    () =>
      topRooms(
        source
          .rooms()
          .map((room) => ({ label: room.label, members: room.memberCount() }))
      ).map(([room, members]) => [{ room }, members])
  );
  total('chat_room_messages_total', 'Messages the rooms relayed.', [], () => [
    [{}, read().messages]
  ]);
  total(
    'chat_command_refusals_total',
    'Commands answered with an Error: line, by reason.',
    ['reason'],
    () => byLabel('reason', read().commandRefusals)
  );
  total(
    'chat_lines_received_total',
    'Non-blank lines read from clients.',
    [],
    () => [[{}, read().traffic.linesIn]]
  );
  total(
    'chat_lines_sent_total',
    'Lines queued for clients (relayed messages, notices, errors).',
    [],
    () => [[{}, read().traffic.linesOut]]
  );
  total('chat_received_bytes_total', 'Bytes read from clients.', [], () => [
    [{}, read().traffic.bytesIn]
  ]);
  total(
    'chat_sent_bytes_total',
    'Bytes handed to the kernel for clients.',
    [],
    () => [[{}, read().traffic.bytesOut]]
  );
  total(
    'chat_flood_paced_lines_total',
    'Lines whose delivery flood pacing delayed.',
    [],
    () => [[{}, read().pacedLines]]
  );
  gauge(
    'chat_send_queue_max_bytes',
    'The largest backlog owed to one client right now.',
    [],
    () => [[{}, readQueued().max]]
  );
  gauge(
    'chat_send_queue_bytes',
    'Bytes owed to all clients right now.',
    [],
    () => [[{}, readQueued().sum]]
  );
  gauge(
    'chat_inspector_viewers',
    'Inspector pages and /events streams open right now.',
    [],
    () => [[{}, source.viewers()]]
  );

  return {
    contentType: registry.contentType,
    render: async () => {
      stats = null;
      queued = null;
      try {
        return await registry.metrics();
      } finally {
        stats = null;
        queued = null;
      }
    }
  };
}
