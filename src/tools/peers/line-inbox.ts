/**
 * The receiving half of a fault peer: splits bytes into `\n` lines and lets
 * callers wait for them. No sockets here; peer.ts feeds it.
 */

/** What a line wait looks for: the exact line, or a test on it. */
export type LineMatch = string | ((line: string) => boolean);

/** Received lines, and waits on them that fail with what was received. */
export interface LineInbox {
  /** Every complete line so far, without its `\n`. */
  readonly lines: readonly string[];
  /** Every byte so far, as received. */
  bytes(): Buffer;
  /** Takes in a chunk from the socket. */
  receive(chunk: Buffer): void;
  /** No more data will come: pending and later waits fail at once. */
  close(): void;
  /** The next line not yet taken by `nextLine`/`waitForLine`. */
  nextLine(timeoutMs: number): Promise<string>;
  /** Takes lines until one matches and returns it. */
  waitForLine(match: LineMatch, timeoutMs: number): Promise<string>;
}

const SHOWN_LINES = 40;

function describeMatch(match: LineMatch): string {
  return typeof match === 'string' ? JSON.stringify(match) : 'a matching line';
}

/**
 * Creates an empty inbox.
 *
 * @param describeOwner names the receiver in failure messages, with any
 *   socket error (`by 127.0.0.1:5001; socket error: …`); called on failure,
 *   so it sees the state at that time.
 */
export function createLineInbox(
  describeOwner: () => { name: string; error: Error | null }
): LineInbox {
  const lines: string[] = [];
  const chunks: Buffer[] = [];
  let partial: Buffer[] = [];
  let cursor = 0;
  let isClosed = false;
  const wakers = new Set<() => void>();
  const wake = (): void => {
    for (const waker of [...wakers]) waker();
  };

  const received = (): string => {
    const { name, error } = describeOwner();
    const shown =
      lines.length > SHOWN_LINES ? lines.slice(-SHOWN_LINES) : lines;
    const skipped = lines.length - shown.length;
    const more = skipped > 0 ? `(${skipped} earlier lines not shown) ` : '';
    const err = error === null ? '' : `; socket error: ${error.message}`;
    return `lines received so far by ${name}: ${more}${JSON.stringify(shown, null, 1)}${err}`;
  };

  /** Waits until `take()` returns a line, the inbox closes, or time runs out. */
  const waitFor = (
    what: string,
    timeout: number,
    take: () => string | undefined
  ): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = take();
        if (line !== undefined) {
          finish();
          resolve(line);
        } else if (isClosed) {
          finish();
          reject(
            new Error(
              `connection closed while waiting for ${what}; ${received()}`
            )
          );
        }
      };
      const finish = (): void => {
        clearTimeout(timer);
        wakers.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `timed out after ${timeout} ms waiting for ${what}; ${received()}`
          )
        );
      }, timeout);
      wakers.add(check);
      check();
    });

  return {
    lines,
    bytes: () => Buffer.concat(chunks),
    receive(chunk) {
      chunks.push(chunk);
      let start = 0;
      for (
        let lf = chunk.indexOf(0x0a);
        lf !== -1;
        lf = chunk.indexOf(0x0a, start)
      ) {
        partial.push(chunk.subarray(start, lf));
        lines.push(Buffer.concat(partial).toString('utf8'));
        partial = [];
        start = lf + 1;
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
      wake();
    },
    close() {
      isClosed = true;
      wake();
    },
    nextLine: (timeout) =>
      waitFor('the next line', timeout, () =>
        cursor < lines.length ? lines[cursor++] : undefined
      ),
    waitForLine: (match, timeout) => {
      const test =
        typeof match === 'string' ? (line: string) => line === match : match;
      return waitFor(describeMatch(match), timeout, () => {
        while (cursor < lines.length) {
          const line = lines[cursor++] as string;
          if (test(line)) return line;
        }
        return undefined;
      });
    }
  };
}
