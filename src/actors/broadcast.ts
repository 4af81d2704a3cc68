import { defer, filter, takeWhile, type MonoTypeOperatorFunction } from 'rxjs';
import { OWN_PREFIX } from '../protocol/format.js';

/**
 * Consecutive items of the room's one order (joins, chat lines, leaves, the
 * closing notice) as one buffer most members are sent whole: every line as
 * the others see it. A member the batch is about (it wrote a line, joined
 * or left in it) is sent its own copy instead (`bytesFor`); everyone else
 * gets the same buffer, so an item costs no allocation per recipient.
 */
export interface Batch {
  readonly kind: 'batch';
  /** Position in the room's one order (the batch is one position). */
  readonly seq: number;
  /** Every line, as the members it is not about see it, in order. */
  readonly others: Buffer;
  /** Lines in `others`. */
  readonly lines: number;
  /** Per member the batch is about: where its own view differs. */
  readonly marks: ReadonlyMap<string, Marks>;
}

/**
 * The last thing a leaving member is sent: its view of the batch being
 * collected, up to its own leave. Published the moment the room decides the
 * leave, so the leaver has everything ordered before it before its
 * connection closes; everyone else ignores it and gets the batch, with the
 * leave notice, at the end of the turn.
 */
export interface Farewell {
  readonly kind: 'farewell';
  readonly connId: string;
  readonly batch: Batch;
}

/**
 * Lines for some members only, in their place in the order: what a cluster
 * node tells its own members about itself (Redis out of reach, a line that
 * was not sent). Reaches a member even before its join is in the order.
 */
export interface Direct {
  readonly kind: 'direct';
  readonly to: ReadonlySet<string>;
  readonly bytes: Buffer;
  readonly lines: number;
}

/** One item of the room's broadcast. */
export type Broadcast = Batch | Farewell | Direct;

/** Where one member's view of a batch differs from `others`. */
export interface Marks {
  /** It joined here: it gets `greeting` for the notice, and nothing before. */
  join?: { start: number; end: number; line: number; greeting: Buffer };
  /** It left here: it gets nothing from `at` (its own leave notice) on. */
  leave?: { at: number; line: number };
  /** Its own lines: where they are in `others`, and their `[You]` form. */
  own?: AuthoredLine[];
}

/** One line of a member, as it sees it. */
export interface AuthoredLine {
  /** Start and end of its `[ADDR] text` line in `others`. */
  readonly start: number;
  readonly end: number;
  /** `[You] text\n`. */
  readonly own: Buffer;
}

const YOU = Buffer.from(OWN_PREFIX);
const LF = 0x0a;

/** `text` and a LF, after `prefix`, in one new buffer. */
function encodeLine(prefix: Buffer, text: string): Buffer {
  const bytes = Buffer.allocUnsafe(prefix.length + Buffer.byteLength(text) + 1);
  prefix.copy(bytes, 0);
  bytes.write(text, prefix.length, 'utf8');
  bytes[bytes.length - 1] = LF;
  return bytes;
}

/** A protocol line (`text` without its LF), encoded. */
export function line(text: string): Buffer {
  return Buffer.from(`${text}\n`, 'utf8');
}

/** The first buffer of a batch. */
const FIRST_BATCH_BYTES = 1024;
const NO_BYTES = Buffer.alloc(0);

/**
 * Collects one turn of the room's order into a `Batch`. Every line is
 * encoded once: chat lines as `[ADDR] text` for everyone and `[You] text`
 * for their author, notices as they read. [CHAT-MSG-1] [CHAT-MSG-2]
 *
 * The lines are copied into one buffer as they come, doubled when full, so
 * the batch so far is a view of it at any time without joining anything:
 * a farewell per leave (`peek`) costs O(1), not a copy of the batch, and K
 * leaves in one turn cost O(K), not O(K²) bytes. Appending never writes
 * into what a view already shows, and `take` copies the batch out and
 * starts a new buffer.
 */
export class BatchBuilder {
  #buffer: Buffer = NO_BYTES;
  #bytes = 0;
  #lines = 0;
  #marks = new Map<string, Marks>();

  /** True when nothing was added since the last `take`. */
  get isEmpty(): boolean {
    return this.#lines === 0 && this.#marks.size === 0;
  }

  /** Bytes collected so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A chat line of `connId`; `prefix` is its `[ADDR] `, encoded once per member. */
  say(connId: string, prefix: Buffer, text: string): void {
    const start = this.#bytes;
    this.#append(encodeLine(prefix, text));
    const own = { start, end: this.#bytes, own: encodeLine(YOU, text) };
    const marks = this.#marksOf(connId);
    if (marks.own === undefined) marks.own = [own];
    else marks.own.push(own);
  }

  /** `connId` joins: the others get `notice`, it gets `greeting` and what follows. */
  join(connId: string, greeting: Buffer, notice: Buffer): void {
    const start = this.#bytes;
    const line = this.#lines;
    this.#append(notice);
    this.#marksOf(connId).join = { start, end: this.#bytes, line, greeting };
  }

  /** `connId` leaves: the others get `notice` (none for a silent leave), it gets nothing more. */
  leave(connId: string, notice: Buffer | null): void {
    this.#marksOf(connId).leave = { at: this.#bytes, line: this.#lines };
    if (notice !== null) this.#append(notice);
  }

  /** A line for every member. */
  notice(bytes: Buffer): void {
    this.#append(bytes);
  }

  /**
   * What `connId`, which is done (it just left), is owed of what was
   * collected so far, without taking it: for its farewell (`seq` is the one
   * the batch will have). Only its own marks are copied, so a shutdown's N
   * leaves cost O(N), not O(N²).
   */
  peek(seq: number, connId: string): Batch {
    const mine = this.#marks.get(connId);
    return {
      kind: 'batch',
      seq,
      others: this.#others(),
      lines: this.#lines,
      marks: new Map(mine === undefined ? [] : [[connId, mine]])
    };
  }

  /** Everything collected since the last `take`, or `null` when nothing was. */
  take(seq: number): Batch | null {
    if (this.isEmpty) return null;
    const batch: Batch = {
      kind: 'batch',
      seq,
      // Copied out at its own size (one copy per batch, as joining its parts
      // was): a slow member's queue then holds the bytes it counts, not
      // the spare room of a doubled buffer.
      others: Buffer.from(this.#others()),
      lines: this.#lines,
      marks: this.#marks
    };
    this.#buffer = NO_BYTES;
    this.#bytes = 0;
    this.#lines = 0;
    this.#marks = new Map();
    return batch;
  }

  /** The batch so far: a view, never a copy. */
  #others(): Buffer {
    return this.#buffer.subarray(0, this.#bytes);
  }

  #append(bytes: Buffer): void {
    const end = this.#bytes + bytes.length;
    if (end > this.#buffer.length) {
      // A new buffer: views handed out keep the old one, unchanged. Not
      // from Node's pool: a short-lived slice there would make the pool
      // take new slabs sooner, each kept alive by whatever long-lived
      // small buffer shares it (about 0.2 KB more per idle connection, in
      // a heap snapshot).
      const grown = Buffer.allocUnsafeSlow(
        Math.max(end, 2 * this.#buffer.length, FIRST_BATCH_BYTES)
      );
      this.#buffer.copy(grown, 0, 0, this.#bytes);
      this.#buffer = grown;
    }
    bytes.copy(this.#buffer, this.#bytes);
    this.#bytes = end;
    this.#lines += 1;
  }

  #marksOf(connId: string): Marks {
    let marks = this.#marks.get(connId);
    if (marks === undefined) {
      marks = {};
      this.#marks.set(connId, marks);
    }
    return marks;
  }
}

/**
 * What `connId` is sent of a batch: the shared buffer, or, if the batch is
 * about it, its own copy: from its greeting if it joined here, up to its
 * leave if it left here, with its lines as `[You] text`.
 */
export function bytesFor(batch: Batch, connId: string): Buffer {
  const marks = batch.marks.get(connId);
  if (marks === undefined) return batch.others;
  const { others } = batch;
  const from = marks.join?.end ?? 0;
  const until = marks.leave?.at ?? others.length;
  const greeting = marks.join?.greeting;
  const own = (marks.own ?? []).filter(
    (o) => o.start >= from && o.end <= until
  );
  if (greeting === undefined && own.length === 0)
    return from === 0 && until === others.length
      ? others
      : others.subarray(from, until);
  let size = (greeting?.length ?? 0) + (until - from);
  for (const o of own) size += o.own.length - (o.end - o.start);
  const out = Buffer.allocUnsafe(size);
  let at = greeting === undefined ? 0 : greeting.copy(out, 0);
  let next = from;
  for (const o of own) {
    at += others.copy(out, at, next, o.start);
    at += o.own.copy(out, at);
    next = o.end;
  }
  others.copy(out, at, next, until);
  return out;
}

/** Lines in what `connId` is sent of `batch`. */
export function linesFor(batch: Batch, connId: string): number {
  const marks = batch.marks.get(connId);
  if (marks === undefined) return batch.lines;
  return (marks.leave?.line ?? batch.lines) - (marks.join?.line ?? 0);
}

/** What `connId` is sent of one item, or `null` for nothing. */
export function bytesOf(item: Broadcast, connId: string): Buffer | null {
  if (item.kind === 'direct') return item.to.has(connId) ? item.bytes : null;
  if (item.kind === 'farewell')
    return item.connId === connId
      ? nonEmpty(bytesFor(item.batch, connId))
      : null;
  return nonEmpty(bytesFor(item, connId));
}

/** Lines in what `connId` is sent of one item (0 when nothing). */
export function linesOf(item: Broadcast, connId: string): number {
  if (item.kind === 'batch') return linesFor(item, connId);
  if (item.kind === 'direct') return item.to.has(connId) ? item.lines : 0;
  return item.connId === connId ? linesFor(item.batch, connId) : 0;
}

function nonEmpty(bytes: Buffer): Buffer | null {
  return bytes.length === 0 ? null : bytes;
}

/** True when `item` holds `connId`'s join: its feed starts there. */
function joinsIn(item: Broadcast, connId: string): boolean {
  if (item.kind === 'direct') return false;
  const batch = item.kind === 'farewell' ? item.batch : item;
  if (item.kind === 'farewell' && item.connId !== connId) return false;
  return batch.marks.get(connId)?.join !== undefined;
}

function isOwnFarewell(item: Broadcast, connId: string): boolean {
  return item.kind === 'farewell' && item.connId === connId;
}

/**
 * The items one member receives: from the one with its own join (its
 * greeting, first [CHAT-ORDER-2]) up to its farewell, inclusive, each
 * exactly once, in room order; `bytesOf` says what of each. The subscriber
 * may start before the join is ordered; what came earlier is skipped, so no
 * item after the join can be missed. Lines addressed to it alone (`Direct`)
 * reach it from the start.
 */
export function feedFor(connId: string): MonoTypeOperatorFunction<Broadcast> {
  return (source) =>
    defer(() => {
      let joined = false;
      return source.pipe(
        filter((b) => {
          joined ||= joinsIn(b, connId);
          return joined || (b.kind === 'direct' && b.to.has(connId));
        }),
        takeWhile((b) => !isOwnFarewell(b, connId), true)
      );
    });
}
