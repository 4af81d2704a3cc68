/**
 * What a replay (harness.ts) hands back: each connection's transcript with
 * what it typed and when, for the properties, and the daemon-like stats.
 */
import type { Transcript } from '../../tools/peers/transcript.js';
import type { ReplayStats } from './memory-server.js';

/** One connection of one client, as the harness saw it. */
export interface ReplayConnection {
  readonly client: number;
  readonly connId: string;
  /** Its address as the server shows it. */
  readonly addr: string;
  /** Every line it received by the end of the window. */
  readonly lines: readonly string[];
  /** A cut line at the end of what it received, if any. */
  readonly partial: string;
  /** Joined, and still connected, reading and unharmed when the window ended. */
  readonly stayed: boolean;
  /** The chat texts it sent, in order. */
  readonly sent: readonly string[];
  /** The tick each line of `lines` was written in (`WriteLog`). */
  readonly ticks: readonly number[];
  /**
   * The tick of the first line written to it that it did not receive
   * (dropped as a slow consumer's, or unread at the end); Infinity if none.
   */
  readonly missedFrom: number;
  /** Every line it typed, chat and commands, with the tick it was sent in. */
  readonly typed: readonly Typed[];
  /** The tick by whose end the harness saw it closed; null if never. */
  readonly closedAt: number | null;
}

/** A line a client typed; `text` is the unique text it carries, if any. */
export interface Typed {
  readonly line: string;
  readonly tick: number;
  readonly text?: string;
}

/** What a replay observed. */
export interface ReplayResult {
  readonly seed: number;
  readonly connections: readonly ReplayConnection[];
  /** The window's transcripts, for `checkTranscripts`. */
  readonly transcripts: readonly Transcript[];
  /** Sender → texts, for the connections that stayed (`CheckOptions.sent`). */
  readonly sent: ReadonlyMap<string, readonly string[]>;
  /** Steps skipped as meaningless in their state. */
  readonly skipped: number;
  /** Stats when the window ended (before a shutdown, if it ended with one). */
  readonly window: ReplayStats;
  /** Stats once everyone left and the room went idle (before it stopped). */
  readonly final: ReplayStats;
  /** Daemon (room) faults; none expected. */
  readonly faults: readonly string[];
}
