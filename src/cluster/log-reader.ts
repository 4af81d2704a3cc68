import type { Logger } from '../app/logger.js';
import { decodeEntry, type LogEntry, type RawEntry } from './entries.js';
import type { StreamHub, StreamReader } from './stream-hub.js';

/** What the reader hands on, in the log's order. */
export interface ReaderHooks {
  /** One event; `old` when it was logged before the point the node is catching up to. */
  entry(entry: LogEntry, old: boolean): void;
  /** This many events are missing here: the log dropped them before this node read them. */
  lost(entries: number): void;
  /** The node has read everything logged up to its last registration. */
  caughtUp(): void;
  /** A read failed: the link is lost. */
  failed(err: unknown): void;
}

/** `1764000000000-3` as a comparable pair. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}

/**
 * Reads the room's log through the node's `StreamHub` from the last id
 * read, so a node that lost its connection reads on where it stopped,
 * missing nothing and seeing nothing twice. Each entry is decoded into its
 * events, numbered one by one, so a gap says how many events the capped log
 * dropped (docs/cluster.md). After a registration it
 * knows where the log ended then, and says when it has caught up to there.
 */
export class LogReader {
  readonly #hub: StreamHub;
  readonly #logger: Logger;
  readonly #hooks: ReaderHooks;
  readonly #stream: StreamReader;
  /** This node: the events it appended are not `elsewhere`. */
  readonly #here: string;
  /** The last entry read. */
  #lastId = '0-0';
  /** Its sequence number, to see gaps. */
  #lastSeq = 0;
  /** After a registration: reading is catching up until this entry. */
  #catchUpTo: string | null = null;

  constructor(
    hub: StreamHub,
    key: string,
    here: string,
    logger: Logger,
    hooks: ReaderHooks
  ) {
    this.#hub = hub;
    this.#here = here;
    this.#logger = logger;
    this.#hooks = hooks;
    this.#stream = {
      key,
      lastId: () => this.#lastId,
      entries: (raw) => this.#read(raw),
      failed: (err) => hooks.failed(err)
    };
  }

  /** True until what was logged before the last registration is read. */
  get catchingUp(): boolean {
    return this.#catchUpTo !== null;
  }

  /** Reads on from entry `id`, numbered `seq` (0-0 and 0: from the start). */
  moveTo(id: string, seq: number): void {
    this.#lastId = id;
    this.#lastSeq = seq;
  }

  /** The log ended at `logEnd` when the node registered: catch up to it. */
  catchUpTo(logEnd: string): void {
    this.#catchUpTo = compareIds(this.#lastId, logEnd) >= 0 ? null : logEnd;
  }

  /** Starts reading (again) from the last id read. */
  start(): void {
    this.#hub.add(this.#stream);
  }

  /** Stops reading; a read out is ignored when it answers. */
  stop(): void {
    this.#hub.remove(this.#stream);
  }

  #read(entries: RawEntry[]): void {
    for (const raw of entries) this.#take(raw);
    if (
      this.#catchUpTo !== null &&
      (entries.length === 0 || compareIds(this.#lastId, this.#catchUpTo) >= 0)
    ) {
      this.#catchUpTo = null;
      this.#hooks.caughtUp();
    }
  }

  #take(raw: RawEntry): void {
    const entries = decodeEntry(raw, this.#here);
    this.#lastId = raw[0];
    if (entries === null) {
      this.#logger.warn('skipped a log entry that is not ours', { id: raw[0] });
      return;
    }
    const seq = entries[0]?.seq ?? 0;
    if (this.#lastSeq > 0 && seq > this.#lastSeq + 1) {
      const lost = seq - this.#lastSeq - 1;
      this.#logger.error('log entries lost', {
        event: 'gap',
        lost,
        at: raw[0]
      });
      this.#hooks.lost(lost);
    }
    this.#lastSeq = seq + entries.length - 1;
    // One entry is one turn of one node: all of it is before the point
    // caught up to, or none.
    const old =
      this.#catchUpTo !== null && compareIds(raw[0], this.#catchUpTo) <= 0;
    for (const entry of entries) this.#hooks.entry(entry, old);
  }
}
