import type { Server } from 'node:net';
import { ListenError, describeSystemError } from '../app/errors.js';
import { formatAddress } from '../protocol/address.js';

/**
 * Binds `server` (a TCP, TLS or HTTP one) to `host:port`; rejects with one
 * `ListenError` line naming the address and why.
 */
export function listenOn(
  server: Server,
  { host, port }: { host: string; port: number }
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new ListenError(
          `cannot listen on ${formatAddress(host, port)}: ${describeSystemError(err)}`,
          { cause: err }
        )
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Resolves true once `done()` holds (checked whenever a listener calls its
 * `watchers`, as its sockets change), false after `timeoutMs`.
 */
export function waitFor(
  done: () => boolean,
  watchers: Set<() => void>,
  timeoutMs: number
): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (result: boolean): void => {
      clearTimeout(timer);
      watchers.delete(watch);
      resolve(result);
    };
    const watch = (): void => {
      if (done()) settle(true);
    };
    // Not unref'd: a shutdown waits for its sockets even when nothing else
    // keeps the process alive (a peer that neither reads nor closes).
    const timer = setTimeout(() => settle(false), timeoutMs);
    watchers.add(watch);
  });
}
