import { randomUUID } from 'node:crypto';
import { LOG_MAX_EVENTS, type ClusterOptions } from './cluster-options.js';
import type { LogReader } from './log-reader.js';
import type { NodeMembers } from './node-members.js';
import type { RedisLink } from './redis-link.js';

/**
 * The node's standing with Redis: its registration with its members
 * (SYNC, at start and after every outage), its heartbeat (BEAT, which also
 * removes dead nodes' members) and its retirement (RETIRE). It keeps the
 * epoch of Redis's data the node knows, so it sees when Redis lost it.
 */
export class Registration {
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #nodeId: string;
  readonly #ttl: string;
  readonly #timeoutMs: number;
  readonly #maxlen = String(LOG_MAX_EVENTS);
  readonly #members: NodeMembers;
  readonly #reader: LogReader;
  readonly #onDataLost: () => void;
  readonly #label: string;
  /** '1' in the lobby: a node dead there is retired from every room. */
  readonly #whole: string;
  /** The epoch of Redis's data this node knows; '' before the first SYNC. */
  #epoch = '';

  constructor(options: {
    link: RedisLink;
    prefix: string;
    cluster: ClusterOptions;
    members: NodeMembers;
    reader: LogReader;
    /** Redis lost its data since the last registration. */
    onDataLost: () => void;
    /** The room's name as members see it (`#Dev`). */
    label: string;
    /** True for the lobby, where every node is registered. */
    lobby: boolean;
  }) {
    this.#link = options.link;
    this.#prefix = options.prefix;
    this.#nodeId = options.cluster.nodeId;
    this.#ttl = String(options.cluster.nodeTimeoutMs);
    this.#timeoutMs = options.cluster.nodeTimeoutMs;
    this.#members = options.members;
    this.#reader = options.reader;
    this.#onDataLost = options.onDataLost;
    this.#label = options.label;
    this.#whole = options.lobby ? '1' : '0';
  }

  /** APPLY's arguments before its ops. */
  applyHeader(): string[] {
    return [this.#nodeId, this.#epoch, this.#maxlen];
  }

  /**
   * SYNC: (re)registers the node with the members it has now, and tells
   * the reader where to read on from and what to catch up to.
   */
  async register(): Promise<void> {
    // The retry timer may fire while only one connection is back; reading
    // would then fail at once and look like a second outage.
    if (!this.#link.ready) throw new Error('redis connections not ready');
    const [current, logEnd, logSeq] = await this.#link.scripts.chatSync(
      this.#prefix,
      this.#nodeId,
      randomUUID(),
      this.#epoch,
      this.#ttl,
      this.#maxlen,
      this.#label,
      // At first start the node reads from the end of the log: members it
      // already has join through APPLY, after that point, and see their join.
      ...(this.#epoch === '' ? [] : this.#members.syncArgs())
    );
    if (this.#epoch === '') {
      // First start: read from here on; what came before is not ours.
      this.#reader.moveTo(logEnd, logSeq);
    } else if (current !== this.#epoch) {
      this.#onDataLost();
      this.#reader.moveTo('0-0', 0);
    }
    this.#epoch = current;
    this.#reader.catchUpTo(logEnd);
  }

  /** BEAT: `stale` when the node must register again, else the dead nodes' members it removed. */
  async beat(): Promise<'stale' | number> {
    const [status, removed = 0] = await this.#link.scripts.chatBeat(
      this.#prefix,
      this.#nodeId,
      this.#epoch,
      this.#ttl,
      this.#maxlen,
      this.#whole
    );
    return status === 'resync' ? 'stale' : removed;
  }

  /**
   * Beats five times per node timeout while `isLive()`: `stale` when the
   * node must register again, `reaped` with the dead nodes' members it
   * removed, `failed` when the beat failed. Returns the stop.
   */
  beatEvery(hooks: {
    isLive: () => boolean;
    stale: () => void;
    reaped: (members: number) => void;
    failed: (err: unknown) => void;
  }): () => void {
    const beat = (): void => {
      if (!hooks.isLive()) return;
      this.beat().then((result) => {
        if (result === 'stale') hooks.stale();
        else if (result > 0) hooks.reaped(result);
      }, hooks.failed);
    };
    const timer = setInterval(beat, Math.max(50, this.#timeoutMs / 5));
    return () => clearInterval(timer);
  }

  /** RETIRE: the node's members still registered leave; the node is removed. */
  async retire(): Promise<void> {
    await this.#link.scripts.chatRetire(
      this.#prefix,
      this.#nodeId,
      this.#maxlen
    );
  }
}
