import { connect, type Socket } from 'node:net';

/** What a line wait looks for: the exact line, or a test on it. */
export type LineMatch = string | ((line: string) => boolean);

/** A real TCP client with `\n` line framing, for integration tests. */
export interface TestClient {
  readonly socket: Socket;
  /** The peer as the server shows it: `127.0.0.1:PORT` or `[::1]:PORT`. [CHAT-ADDR-1] */
  readonly localAddr: string;
  /** Every complete line received so far, without its `\n`. */
  readonly lines: readonly string[];
  /** The first socket error seen, if any. */
  readonly error: Error | null;
  /** Resolves when the socket has closed (never rejects). */
  readonly closed: Promise<void>;
  /** Every byte received so far, as received. */
  bytes(): Buffer;
  /** The next line not yet taken by `nextLine`/`waitForLine`. */
  nextLine(timeoutMs?: number): Promise<string>;
  /** Takes lines until one matches and returns it. */
  waitForLine(match: LineMatch, timeoutMs?: number): Promise<string>;
  /** Writes `text + '\n'`; resolves once handed to the kernel (or failed). */
  send(text: string): Promise<void>;
  /** Writes raw bytes; resolves once handed to the kernel (or failed). */
  write(raw: string | Buffer): Promise<void>;
  /** Sends FIN; the client still reads until the server closes. */
  end(): void;
  destroy(): void;
}

const DEFAULT_TIMEOUT_MS = 5000;
const SHOWN_LINES = 40;

function formatLocal(
  address: string | undefined,
  port: number | undefined
): string {
  if (address === undefined || port === undefined) return '(unbound)';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function describe(match: LineMatch): string {
  return typeof match === 'string' ? JSON.stringify(match) : 'a matching line';
}

/**
 * Connects to the daemon and resolves once connected. Registers nothing:
 * the caller destroys the client (normally from a cleanups list).
 */
export function connectClient(
  port: number,
  host = '127.0.0.1',
  timeoutMs = DEFAULT_TIMEOUT_MS
): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, noDelay: true });
    const lines: string[] = [];
    const chunks: Buffer[] = [];
    let partial: Buffer[] = [];
    let cursor = 0;
    let error: Error | null = null;
    let isClosed = false;
    let localAddr = '(unbound)';
    const wakers = new Set<() => void>();
    const wake = (): void => {
      for (const waker of [...wakers]) waker();
    };

    socket.on('data', (chunk: Buffer) => {
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
    });
    socket.on('error', (err) => {
      error ??= err;
    });
    const closed = new Promise<void>((resolveClosed) => {
      socket.once('close', () => {
        isClosed = true;
        resolveClosed();
        wake();
      });
    });

    const received = (): string => {
      const shown =
        lines.length > SHOWN_LINES ? lines.slice(-SHOWN_LINES) : lines;
      const skipped = lines.length - shown.length;
      const more = skipped > 0 ? `(${skipped} earlier lines not shown) ` : '';
      const err = error === null ? '' : `; socket error: ${error.message}`;
      return `lines received so far by ${localAddr}: ${more}${JSON.stringify(shown, null, 1)}${err}`;
    };

    /** Waits until `take()` returns a line, the socket closes, or time runs out. */
    const waitFor = (
      what: string,
      timeout: number,
      take: () => string | undefined
    ): Promise<string> =>
      new Promise((resolveLine, rejectLine) => {
        const check = (): boolean => {
          const line = take();
          if (line !== undefined) {
            finish();
            resolveLine(line);
            return true;
          }
          if (isClosed) {
            finish();
            rejectLine(
              new Error(
                `connection closed while waiting for ${what}; ${received()}`
              )
            );
            return true;
          }
          return false;
        };
        const finish = (): void => {
          clearTimeout(timer);
          wakers.delete(onWake);
        };
        const onWake = (): void => void check();
        const timer = setTimeout(() => {
          finish();
          rejectLine(
            new Error(
              `timed out after ${timeout} ms waiting for ${what}; ${received()}`
            )
          );
        }, timeout);
        wakers.add(onWake);
        check();
      });

    const write = (raw: string | Buffer): Promise<void> =>
      new Promise((resolveWrite) => {
        if (socket.destroyed || !socket.writable) {
          resolveWrite();
          return;
        }
        socket.write(raw, () => resolveWrite());
      });

    const client: TestClient = {
      socket,
      get localAddr() {
        return localAddr;
      },
      lines,
      get error() {
        return error;
      },
      closed,
      bytes: () => Buffer.concat(chunks),
      nextLine: (timeout = DEFAULT_TIMEOUT_MS) =>
        waitFor('the next line', timeout, () =>
          cursor < lines.length ? lines[cursor++] : undefined
        ),
      waitForLine: (match, timeout = DEFAULT_TIMEOUT_MS) => {
        const test =
          typeof match === 'string' ? (line: string) => line === match : match;
        return waitFor(describe(match), timeout, () => {
          while (cursor < lines.length) {
            const line = lines[cursor++] as string;
            if (test(line)) return line;
          }
          return undefined;
        });
      },
      send: (text) => write(`${text}\n`),
      write,
      end: () => {
        socket.end();
      },
      destroy: () => {
        socket.destroy();
      }
    };

    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms connecting to ${host}:${port}`
        )
      );
    }, timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      localAddr = formatLocal(socket.localAddress, socket.localPort);
      resolve(client);
    });
    socket.once('error', (err) => {
      if (!connected) {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}
