import { forget, type LinesInFlight } from './lines-in-flight.js';
import type { RedisLink } from './redis-link.js';

/** One op of a turn's APPLY: join, line, leave, rename (`n`) or `/me` (`e`), in the node's order; `name` is '' for the anonymous. */
export type Op =
  | { kind: 'j'; conn: string; remote: string; name: string }
  | {
      kind: 'm' | 'e';
      conn: string;
      remote: string;
      name: string;
      text: string;
    }
  | {
      kind: 'l';
      conn: string;
      remote: string;
      name: string;
      reason: string;
      quit: string;
    }
  | { kind: 'n'; conn: string; remote: string; name: string; old: string };

/**
 * The op as APPLY takes it (src/cluster/scripts.ts), JSON encoded here so
 * that Lua never parses, escapes or copies a line: a line, rename or `/me`
 * whole, as the log's entry holds it (`["m",0,conn,remote,name,text]`); a
 * join or leave without its opening `[`, kind and count, which only Lua
 * knows (`"conn","remote","name",…]`).
 */
export function encodeOp(op: Op): string {
  switch (op.kind) {
    case 'j':
      return JSON.stringify([op.conn, op.remote, op.name]).slice(1);
    case 'l':
      return JSON.stringify([
        op.conn,
        op.remote,
        op.name,
        op.reason,
        op.quit
      ]).slice(1);
    case 'm':
    case 'e':
      return JSON.stringify([op.kind, 0, op.conn, op.remote, op.name, op.text]);
    case 'n':
      return JSON.stringify([op.kind, 0, op.conn, op.remote, op.name, op.old]);
  }
}

/** What an outbox needs to know and tells about its writes. */
export interface OutboxHooks {
  /** Writes go out only while the node is live. */
  isLive(): boolean;
  /** APPLY's arguments before the ops: node id, epoch, log length. */
  header(): string[];
  /** APPLY answered that the node must register again; nothing was written. */
  stale(): void;
  /** Redis did not log this line of `conn` (not a member there). */
  notSent(conn: string): void;
  /** The write failed; whether it ran is unknown. */
  failed(err: unknown): void;
}

/**
 * The node's joins, lines and leaves not yet sent to Redis, in the node's
 * order. At the end of a turn of the event loop they go out together as
 * one APPLY script call, which logs them atomically as one stream entry
 * (src/cluster/scripts.ts); while one APPLY waits for its answer, the next
 * turns' ops wait too and then go out together. One call in flight at a
 * time makes the calls bigger and fewer under load (each is a write to
 * Redis's socket and a script run there: docs/cluster.md, "Measured"), and
 * adds at most one round trip to a line that comes while another call is
 * out. A line sent is in flight until it is read back (`LinesInFlight`).
 */
export class Outbox {
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #lines: LinesInFlight;
  readonly #hooks: OutboxHooks;
  #ops: Op[] = [];
  #scheduled = false;
  /** An APPLY has not answered yet: the next waits for it. */
  #applying = false;

  constructor(
    link: RedisLink,
    prefix: string,
    lines: LinesInFlight,
    hooks: OutboxHooks
  ) {
    this.#link = link;
    this.#prefix = prefix;
    this.#lines = lines;
    this.#hooks = hooks;
  }

  /** Adds `op`; it goes out at the end of the turn, if the node is live. */
  push(op: Op): void {
    this.#ops.push(op);
    if (this.#hooks.isLive()) this.#schedule();
  }

  /** The node is live again: what waited goes out at the end of the turn. */
  resume(): void {
    if (this.#ops.length > 0) this.#schedule();
  }

  /** Drops everything waiting; returns the author of each line dropped. */
  drop(): string[] {
    const authors = this.#ops.flatMap((op) =>
      op.kind === 'm' || op.kind === 'e' ? [op.conn] : []
    );
    this.#ops = [];
    return authors;
  }

  /** Sends what waits now, in one APPLY. */
  send(): void {
    this.#scheduled = false;
    if (this.#applying) return;
    if (this.#ops.length === 0 || !this.#hooks.isLive()) return;
    const ops = this.#ops;
    this.#ops = [];
    const args = this.#hooks.header();
    for (const op of ops) {
      // Only a join needs its address apart (for the membership hash).
      if (op.kind === 'j') args.push(op.kind, op.conn, op.remote, encodeOp(op));
      else args.push(op.kind, op.conn, encodeOp(op));
      if (op.kind === 'm' || op.kind === 'e') this.#lines.sent(op.conn);
    }
    const sent = this.#lines.current;
    this.#applying = true;
    this.#link.scripts.chatApply(this.#prefix, ...args).then(
      ([status, skipped = []]) => {
        this.#applying = false;
        if (status === 'resync') {
          // Nothing was written: the ops go again, first, once registered.
          for (const op of ops)
            if (op.kind === 'm' || op.kind === 'e') forget(sent, op.conn);
          this.#ops = [...ops, ...this.#ops];
          this.#hooks.stale();
          return;
        }
        for (const i of skipped) {
          const op = ops[i - 1];
          if (op === undefined) continue;
          if (op.kind === 'm' || op.kind === 'e') forget(sent, op.conn);
          this.#hooks.notSent(op.conn);
        }
        // What came meanwhile goes out at the end of this turn.
        if (this.#ops.length > 0 && this.#hooks.isLive()) this.#schedule();
      },
      // Unknown whether it ran: the lines stay in flight; once Redis
      // answers again they are looked for in the log.
      (err: unknown) => {
        this.#applying = false;
        this.#hooks.failed(err);
      }
    );
  }

  /** Sends at the end of this turn, unless a send is due or an APPLY is out. */
  #schedule(): void {
    if (this.#scheduled || this.#applying) return;
    this.#scheduled = true;
    setImmediate(() => this.send());
  }
}
