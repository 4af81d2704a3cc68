const LF = 0x0a;
const CR = 0x0d;

/** One unit of framed input: a complete line's bytes, or the news that a line was too long. */
export type Frame =
  | { readonly kind: 'line'; readonly bytes: Buffer }
  | { readonly kind: 'oversize' };

/**
 * Splits a byte stream into `\n`-terminated lines without ever holding more
 * than `maxLineBytes` (+1 for a possible `\r`) of an unfinished line.
 *
 * A line that outgrows the limit is reported once, as soon as it is known to
 * be too long, and the rest of it is discarded up to its `\n`. [CHAT-IN-4]
 * Splitting on the byte 0x0A is safe for UTF-8: it never occurs inside a
 * multi-byte sequence, so each line can be decoded on its own. Bytes after the
 * last `\n` are simply never emitted when the stream ends. [CHAT-WIRE-3]
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Feeds one chunk and returns the frames it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf;
      this.#take(chunk.subarray(start, end), frames);
      if (lf === -1) break;
      this.#finishLine(frames);
      start = lf + 1;
    }
    return frames;
  }

  /** Bytes of the unfinished line held right now. */
  get pendingBytes(): number {
    return this.#size;
  }

  #take(piece: Buffer, frames: Frame[]): void {
    if (this.#discarding || piece.length === 0) return;
    // +1: the line may still turn out to end in `\r\n`, whose `\r` doesn't count.
    if (this.#size + piece.length > this.#maxLineBytes + 1) {
      this.#parts = [];
      this.#size = 0;
      this.#discarding = true;
      frames.push({ kind: 'oversize' });
      return;
    }
    this.#parts.push(piece);
    this.#size += piece.length;
  }

  #finishLine(frames: Frame[]): void {
    if (this.#discarding) {
      this.#discarding = false;
      return;
    }
    const joined =
      this.#parts.length === 1
        ? (this.#parts[0] as Buffer)
        : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    const bytes =
      joined.length > 0 && joined[joined.length - 1] === CR
        ? joined.subarray(0, joined.length - 1)
        : joined;
    frames.push(
      bytes.length > this.#maxLineBytes
        ? { kind: 'oversize' }
        : { kind: 'line', bytes }
    );
  }
}
