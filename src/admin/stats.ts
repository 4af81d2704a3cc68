import type { Traffic } from '../transport/tcp-connection.js';

/**
 * The counters the admin listener reports (`/metrics`, `/events`), read from
 * its daemon at each scrape or tick. The daemon's `DaemonStats` has these
 * and more; src/admin names only what it reads, so it does not import
 * src/app, which starts it.
 */
export interface AdminStats {
  /** Membership of every room. */
  readonly members: number;
  /** Messages the rooms relayed. */
  readonly messages: number;
  /** Rooms open, `#lobby` included. */
  readonly rooms: number;
  /** Nicknames held. */
  readonly names: number;
  /** Commands answered with an `Error:` line, by reason. [CHAT-CMD-ERR] */
  readonly commandRefusals: Readonly<Record<string, number>>;
  /** Connections accepted as chat connections since start. */
  readonly accepted: number;
  /** Connections refused at accept time, by reason. */
  readonly refused: Readonly<Record<string, number>>;
  /** Connections ended, by reason (whether or not they had joined). */
  readonly disconnects: Readonly<Record<string, number>>;
  /** Lines whose delivery flood pacing delayed. */
  readonly pacedLines: number;
  /** What every connection so far has carried. */
  readonly traffic: Readonly<Traffic>;
  /** Failed TLS handshakes by reason; absent without a TLS listener. */
  readonly tlsHandshakeFailures?: Readonly<Record<string, number>>;
  /** WebSocket protocol errors by reason, when the daemon has a WebSocket listener. */
  readonly wsProtocolErrors?: Readonly<Record<string, number>>;
}
