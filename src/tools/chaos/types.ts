/**
 * The shared vocabulary of chat-chaos: fault kinds, options, the schedule of
 * faults and the report (docs: /tmp/briefs/chaos-api.md, issue 4).
 */
import type { PeerTransport, PeerTransportKind } from '../peers/transport.js';

/** Every fault chat-chaos can inject, in the order reports list them. */
export const FAULT_KINDS = [
  'reset',
  'half-close',
  'stall',
  'slow',
  'slicer',
  'flood',
  'oversize',
  'garbage',
  'churn',
  'latency',
  'blackhole'
] as const;

/** One named faulty behaviour. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** True when `name` is a fault kind. */
export function isFaultKind(name: string): name is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(name);
}

/** The wire chat-chaos speaks to the server (docs/chaos.md#transports). */
export type ChaosTransport = PeerTransportKind;

/** Where every client of a run connects, and over what. */
export interface ChaosTarget {
  readonly host: string;
  readonly port: number;
  /** Plain TCP when absent. */
  readonly transport?: PeerTransport;
}

/** What one chaos run does and how far it may go. */
export interface ChaosOptions {
  host: string;
  port: number;
  /** `tcp` when absent; `wss` is WebSocket over TLS. */
  transport?: ChaosTransport;
  /** A PEM file of CAs to verify a TLS server against (default: the system store). */
  ca?: string;
  /** Over TLS, accept any certificate. */
  insecure?: boolean;
  /** Which fault kinds to inject. */
  scenarios: readonly FaultKind[];
  /** How long faults are injected (then a bounded settle and the checks). */
  durationMs: number;
  /** Faulty clients over the run: one per scheduled fault. */
  clients: number;
  /** Well-behaved clients that chat and record everything they receive. */
  observers: number;
  /** Lines per second each observer sends. */
  rate: number;
  seed: number;
  /** Hard bound on simultaneous connections the tool opens. */
  maxConnections: number;
  /** Hard bound on the bytes the tool sends in all. */
  maxBytes: number;
  /**
   * Rooms the room observers spread over (`#chaos-1..N`); 1 (the default
   * when absent) is a pure v1 run: no command is ever sent.
   */
  rooms?: number;
  /** Observers that use rooms and names (with `rooms` > 1). */
  roomObservers?: number;
}

/** What a violation broke; see docs/chaos.md. */
export type ChaosInvariant =
  | 'I1'
  | 'I2'
  | 'framing'
  | 'sanitised'
  | 'liveness'
  /** Per room: one order, each line once, counts. */
  | 'rooms'
  /** A line reached a member of another room. */
  | 'leak'
  /** A private line reached someone but its target, or not once. */
  | 'private'
  /** A name held twice, or a line under the wrong name. */
  | 'names'
  /** A v1 observer saw a command's line. */
  | 'v1'
  /** A command got no answer. */
  | 'commands';

/** One broken invariant, with the received lines that show it. */
export interface ChaosViolation {
  invariant: ChaosInvariant;
  message: string;
  evidence: string[];
}

/** One fault of the schedule: which kind, when, by which faulty client. */
export interface FaultAction {
  /** Milliseconds after the observers started chatting. */
  atMs: number;
  kind: FaultKind;
  /** The faulty client's number, 0-based, unique in the schedule. */
  client: number;
  /** The kind's own settings (see src/tools/chaos/schedule.ts). */
  params: Record<string, number | string>;
}

/** What the room observers did in a run (`--rooms` above 1), for the report. */
export interface RoomActivity {
  readonly rooms: number;
  readonly observers: number;
  /** Lines said in rooms, markers included. */
  readonly lines: number;
  /** `/join`s answered `Now in`, the first ones included. */
  readonly moves: number;
  readonly renames: number;
  /** `/msg`s answered `[you -> NAME]`. */
  readonly privates: number;
  /** Racers for one name, and how many got it (1 is right). */
  readonly racers: number;
  readonly winners: number;
}

/** What a run did and found. */
export interface ChaosReport {
  seed: number;
  options: ChaosOptions;
  /** The wire every client spoke (`options.transport`, `tcp` when absent). */
  transport: ChaosTransport;
  /** Deterministic from (options, seed). */
  schedule: FaultAction[];
  /** Faults actually carried out, by kind. */
  injected: Record<FaultKind, number>;
  messages: { sent: number; delivered: number };
  /** What the room observers did; absent in a v1 run. */
  rooms?: RoomActivity;
  violations: ChaosViolation[];
  /** `violations.length === 0`. */
  ok: boolean;
  /** Wall time of the whole run, checks included. */
  durationMs: number;
}

/** What `runChaos` reports while it runs. */
export interface ChaosProgress {
  elapsedMs: number;
  totalMs: number;
  /** Faults carried out so far. */
  injected: number;
  /** Lines sent so far. */
  sent: number;
}

/** Optional hooks of `runChaos`. */
export interface ChaosHooks {
  onProgress?: (progress: ChaosProgress) => void;
  /** Aborting ends the fault phase early; the checks still run. */
  signal?: AbortSignal;
}
