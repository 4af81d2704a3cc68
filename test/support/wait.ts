import { setTimeout as sleep } from 'node:timers/promises';

/** One turn of the event loop (setImmediate, which vi.useFakeTimers leaves real unless asked). */
export const tick = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

/**
 * Polls every event-loop turn, then every 2 ms (node:timers/promises is not
 * faked by vi.useFakeTimers), for up to `ms` of real time.
 */
export async function until(
  check: () => boolean,
  what: string,
  ms = 5000,
  detail?: () => string
): Promise<void> {
  const deadline = performance.now() + ms;
  for (let turn = 0; !check(); turn += 1) {
    if (performance.now() > deadline)
      throw new Error(
        `timed out after ${ms} ms waiting until ${what}${detail ? `; ${detail()}` : ''}`
      );
    await (turn < 50 ? tick() : sleep(2));
  }
}

/** True if `check` stays true for `turns` event-loop turns. */
export async function staysTrue(
  check: () => boolean,
  turns = 10
): Promise<boolean> {
  for (let i = 0; i < turns; i += 1) {
    await tick();
    if (!check()) return false;
  }
  return true;
}

/** Rejects if `promise` has not settled within `ms`. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not happen within ${ms} ms`)),
      ms
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One write of a socket fill: 256 KiB, the same buffer each time. */
export const FILL_CHUNK = Buffer.alloc(256 * 1024, 'f');

/**
 * Writes FILL_CHUNKs through `write` until the kernel takes no more (the
 * peer is not reading) and `full()` stays true (by default: the socket wants
 * a drain). Returns the bytes written.
 */
export async function clog(
  socket: { readonly writableNeedDrain: boolean },
  write: (chunk: Buffer) => void,
  full = (): boolean => socket.writableNeedDrain
): Promise<number> {
  let written = 0;
  for (let i = 0; i < 64; i += 1) {
    write(FILL_CHUNK);
    written += FILL_CHUNK.length;
    if (await staysTrue(full)) return written;
  }
  throw new Error(`the kernel took ${written} bytes and still had room`);
}
