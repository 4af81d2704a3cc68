import { skipWhile, takeWhile, type MonoTypeOperatorFunction } from 'rxjs';
import type { MembershipEmitted } from '../machines/room-events.js';
import {
  SHUTDOWN_NOTICE,
  formatGreeting,
  formatJoinNotice,
  formatLeaveNotice
} from '../protocol/format.js';

/**
 * A membership event as it travels to the members, its lines encoded once,
 * here, not once per recipient. `own` is for the member the event is about,
 * `others` for everyone else; `null` means that side gets nothing.
 */
export interface MemberBroadcast {
  /** Position in the room's one order. */
  readonly seq: number;
  readonly kind: 'join' | 'leave' | 'closing';
  /** The member the event is about; `null` for room-wide events. */
  readonly connId: string | null;
  readonly own: Buffer | null;
  readonly others: Buffer | null;
}

/**
 * Consecutive chat messages of the room's order, as one buffer every member
 * can be sent whole: each message as the others see it (`[ADDR] text`).
 * A member that wrote some of them gets its own copy with its lines as
 * `[You] text` instead (`bytesFor`); everyone else gets the same buffer, so
 * a message costs no allocation per recipient.
 */
export interface MessageBatch {
  /** Position in the room's one order (the batch is one position). */
  readonly seq: number;
  readonly kind: 'messages';
  readonly connId: null;
  /** Every message, as the others see it, in order. */
  readonly others: Buffer;
  /** Lines in `others` (one per message). */
  readonly lines: number;
  /** Per author: where its lines are in `others`, and their `[You]` form. */
  readonly authored: ReadonlyMap<string, readonly AuthoredLine[]>;
}

/** One message in a batch, as its author sees it. */
export interface AuthoredLine {
  /** Start and end of its `[ADDR] text` line in the batch's `others`. */
  readonly start: number;
  readonly end: number;
  /** `[You] text\n`. */
  readonly own: Buffer;
}

/** One item of the room's order as the members' feeds receive it. */
export type Broadcast = MemberBroadcast | MessageBatch;

const YOU = Buffer.from('[You] ');
const LF = 0x0a;

function line(text: string): Buffer {
  return Buffer.from(`${text}\n`, 'utf8');
}

/** Encodes a membership event the room emitted into the lines each side receives. */
export function toBroadcast(
  emitted: MembershipEmitted,
  seq: number
): MemberBroadcast {
  switch (emitted.type) {
    case 'member.joined':
      return {
        seq,
        kind: 'join',
        connId: emitted.connId,
        own: line(formatGreeting(emitted.count)),
        others: line(formatJoinNotice(emitted.remote, emitted.count))
      };
    case 'member.left':
      return {
        seq,
        kind: 'leave',
        connId: emitted.connId,
        own: null,
        others: emitted.announced
          ? line(formatLeaveNotice(emitted.remote, emitted.count))
          : null
      };
    case 'room.closing':
      return {
        seq,
        kind: 'closing',
        connId: null,
        own: null,
        others: line(SHUTDOWN_NOTICE)
      };
  }
}

/**
 * Collects the messages of one turn of the event loop into a `MessageBatch`.
 * Each message is encoded once, into its author's `[You]` line and the
 * `[ADDR] text` line everyone else shares. [CHAT-MSG-1] [CHAT-MSG-2]
 */
export class BatchBuilder {
  #parts: Buffer[] = [];
  #bytes = 0;
  #authored = new Map<string, AuthoredLine[]>();

  /** Messages collected so far. */
  get size(): number {
    return this.#parts.length;
  }

  /** Bytes collected so far (the others' lines). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds one message. `prefix` is the author's `[ADDR] `, encoded once per
   * connection.
   */
  add(connId: string, prefix: Buffer, text: string): void {
    const textBytes = Buffer.byteLength(text);
    const others = Buffer.allocUnsafe(prefix.length + textBytes + 1);
    prefix.copy(others, 0);
    others.write(text, prefix.length, 'utf8');
    others[others.length - 1] = LF;
    const own = Buffer.allocUnsafe(YOU.length + textBytes + 1);
    YOU.copy(own, 0);
    own.write(text, YOU.length, 'utf8');
    own[own.length - 1] = LF;
    const start = this.#bytes;
    this.#parts.push(others);
    this.#bytes += others.length;
    const mine = this.#authored.get(connId);
    const authored = { start, end: this.#bytes, own };
    if (mine === undefined) this.#authored.set(connId, [authored]);
    else mine.push(authored);
  }

  /** The batch of everything added since the last `take`, or `null` when nothing was. */
  take(seq: number): MessageBatch | null {
    if (this.#parts.length === 0) return null;
    const batch: MessageBatch = {
      seq,
      kind: 'messages',
      connId: null,
      others:
        this.#parts.length === 1
          ? (this.#parts[0] as Buffer)
          : Buffer.concat(this.#parts, this.#bytes),
      lines: this.#parts.length,
      authored: this.#authored
    };
    this.#parts = [];
    this.#bytes = 0;
    this.#authored = new Map();
    return batch;
  }
}

/**
 * What `connId` is sent of a batch: the shared buffer, or, if it wrote some
 * of the messages, a copy with those lines in their `[You]` form.
 */
export function bytesFor(batch: MessageBatch, connId: string): Buffer {
  const mine = batch.authored.get(connId);
  if (mine === undefined) return batch.others;
  const { others } = batch;
  let size = others.length;
  for (const { start, end, own } of mine) size += own.length - (end - start);
  const out = Buffer.allocUnsafe(size);
  let from = 0;
  let at = 0;
  for (const { start, end, own } of mine) {
    at += others.copy(out, at, from, start);
    at += own.copy(out, at);
    from = end;
  }
  others.copy(out, at, from);
  return out;
}

function isOwnJoin(connId: string, b: Broadcast): boolean {
  return b.kind === 'join' && b.connId === connId;
}

function isOwnLeave(connId: string, b: Broadcast): boolean {
  return b.kind === 'leave' && b.connId === connId;
}

/**
 * What `connId` is sent of one item within its window, or `null` for
 * nothing: the batch (`bytesFor`), or its side of a membership event.
 */
export function bytesOf(b: Broadcast, connId: string): Buffer | null {
  if (b.kind === 'messages') return bytesFor(b, connId);
  return b.connId === connId ? b.own : b.others;
}

/** Lines in what a member is sent of `b` (when it is sent anything). */
export function linesIn(b: Broadcast): number {
  return b.kind === 'messages' ? b.lines : 1;
}

/**
 * The part of the room's order one member receives: from its own join (its
 * greeting, first [CHAT-ORDER-2]) up to its own leave, each item exactly
 * once, in room order; `bytesOf` says what of each. The subscriber may start
 * before the join is ordered; what came earlier is skipped, so no event
 * after the join can be missed.
 */
export function feedFor(connId: string): MonoTypeOperatorFunction<Broadcast> {
  return (source) =>
    source.pipe(
      skipWhile((b) => !isOwnJoin(connId, b)),
      takeWhile((b) => !isOwnLeave(connId, b))
    );
}
