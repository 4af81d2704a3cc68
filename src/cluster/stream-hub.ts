import type { Redis } from 'ioredis';
import { READ_BLOCK_MS, READ_COUNT } from './cluster-options.js';
import type { RawEntry } from './entries.js';

/** One stream read through the hub. */
export interface StreamReader {
  /** The stream's key. */
  readonly key: string;
  /** The last entry read: reading goes on after it. */
  lastId(): string;
  /**
   * What one read brought for this stream, in order; empty when the read
   * brought nothing for it (nothing new here).
   */
  entries(raw: RawEntry[]): void;
  /** The read failed: this reader is removed, and added again by its owner. */
  failed(err: unknown): void;
}

/**
 * Every stream a node reads (each room's log, its private-line inbox), read
 * by one `XREAD BLOCK` over one connection, so a node holds two connections
 * to Redis however many rooms it serves. When a stream is added while a read
 * blocks, the read is cut short (`CLIENT UNBLOCK` from the other
 * connection), so a new room's first entries are not kept waiting for the
 * block timeout.
 *
 * ```
 *  add(room A log) ─┐                    ┌─► A.entries(…)
 *  add(room B log) ─┼─► XREAD BLOCK … ───┼─► B.entries(…)   (each read, in order)
 *  add(inbox)      ─┘   STREAMS A B I    └─► I.entries(…)
 * ```
 */
export class StreamHub {
  readonly #reader: Redis;
  readonly #commands: Redis;
  readonly #readers = new Set<StreamReader>();
  /** The reading connection's client id, for `CLIENT UNBLOCK`; null until known. */
  #clientId: number | null = null;
  #reading = false;
  /** A read is out and blocking. */
  #blocked = false;

  constructor(reader: Redis, commands: Redis) {
    this.#reader = reader;
    this.#commands = commands;
  }

  /**
   * The reading connection is (again) ready: learn its client id. Without
   * it (an ACL that forbids `CLIENT ID`) a new stream waits for the block
   * timeout instead; nothing else changes.
   */
  async identify(): Promise<void> {
    try {
      this.#clientId = Number(await this.#reader.call('CLIENT', 'ID'));
    } catch {
      this.#clientId = null;
    }
  }

  /** Starts reading `reader`'s stream (again) after its last id. */
  add(reader: StreamReader): void {
    this.#readers.add(reader);
    if (!this.#reading) void this.#loop();
    else if (this.#blocked && this.#clientId !== null)
      // Wake the read so the next one includes the new stream; if the
      // wake misses it, the read times out within READ_BLOCK_MS anyway.
      this.#commands
        .call('CLIENT', 'UNBLOCK', String(this.#clientId))
        .catch(() => undefined);
  }

  /** Stops reading `reader`'s stream; a read out for it is not delivered. */
  remove(reader: StreamReader): void {
    this.#readers.delete(reader);
  }

  /** Streams being read, for tests. */
  get size(): number {
    return this.#readers.size;
  }

  async #loop(): Promise<void> {
    this.#reading = true;
    while (this.#readers.size > 0) {
      const readers = [...this.#readers];
      let reply: Array<[string, RawEntry[]]> | null;
      this.#blocked = true;
      try {
        reply = await this.#reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          ...readers.map((r) => r.key),
          ...readers.map((r) => r.lastId())
        );
      } catch (err) {
        this.#blocked = false;
        for (const r of readers) if (this.#readers.delete(r)) r.failed(err);
        continue;
      } finally {
        this.#blocked = false;
      }
      const byKey = new Map(reply ?? []);
      for (const r of readers)
        if (this.#readers.has(r)) r.entries(byKey.get(r.key) ?? []);
    }
    this.#reading = false;
  }
}
