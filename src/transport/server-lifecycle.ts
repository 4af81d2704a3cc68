import type { Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ListenError, describeSystemError } from '../app/errors.js';
import { formatAddress } from '../protocol/address.js';

/**
 * Binds `server` (a TCP, TLS or HTTP one) to `host:port` with an accept
 * queue of `backlog` (the kernel caps it at `net.core.somaxconn`); rejects
 * with one `ListenError` line naming the address and why.
 */
export function listenOn(
  server: Server,
  { host, port, backlog }: { host: string; port: number; backlog?: number }
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
    server.listen({ port, host, backlog }, () => {
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

/**
 * How long a finished socket's peer must have been quiet before we close
 * it: a peer still sending when we close would get a reset, and a reset
 * can cost it what we sent last (a WebSocket client drops its socket, and
 * what is unread in it, on the first failed write).
 */
export const QUIET_MS = 100;

/**
 * Closes each of `sockets`, whose output is all sent (our FIN or close
 * frame included), once its peer has been quiet for `QUIET_MS` or at
 * `lingerMs` at the latest (a lingering close): closing on a peer that is
 * still sending resets the connection, and the peer may lose the end of
 * what we sent. A peer that closes first costs no wait; so does one that
 * sends nothing (an idle `nc`), which waits only `QUIET_MS`.
 */
export function closeWhenQuiet(
  sockets: Iterable<Socket>,
  destroy: (socket: Socket) => void,
  lingerMs: number
): void {
  for (const socket of sockets) {
    if (socket.destroyed) continue;
    let quiet = setTimeout(() => destroy(socket), QUIET_MS);
    const onData = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => destroy(socket), QUIET_MS);
    };
    const latest = setTimeout(() => destroy(socket), lingerMs);
    socket.on('data', onData);
    socket.once('close', () => {
      clearTimeout(quiet);
      clearTimeout(latest);
      socket.off('data', onData);
    });
  }
}

/** What resetting the unfinished sockets dropped. */
export interface DroppedOutput {
  /** Sockets reset while they still owed the peer bytes. */
  peers: number;
  /** Bytes they owed and will never send. */
  bytes: number;
  /** Sockets closed unfinished that owed nothing (their FIN goes out now). */
  unfinished: number;
}

/** A socket not yet finished at the shutdown deadline: what it owes, how it closes. */
export interface Unfinished {
  readonly socket: Socket;
  /** Bytes owed to the peer and not yet in the kernel. */
  readonly owed: number;
  /** Closes it normally (its FIN, or a WebSocket's end). */
  readonly close: () => void;
}

/**
 * Ends every unfinished socket at the shutdown deadline: closed when it
 * owes nothing, reset (RST) when it does, so the peer learns it was cut
 * short and the kernel drops what it still holds for it rather than
 * pushing it after we are gone. Only while bytes wait in Node's buffer is
 * our shutdown(2) not yet asked for: once one is pending libuv refuses a
 * reset (and Node would lose the handle), so those sockets close instead.
 * Node can reset only a plain TCP socket (`resetAndDestroy` throws for a
 * TLS one), so a TLS socket that owes bytes is closed too: what is in
 * Node's buffer is dropped, what the kernel holds may still go out.
 */
export function resetOwing(unfinished: Iterable<Unfinished>): DroppedOutput {
  const dropped: DroppedOutput = { peers: 0, bytes: 0, unfinished: 0 };
  for (const { socket, owed, close } of unfinished) {
    if (socket.destroyed) continue; // closing already
    if (owed === 0) {
      dropped.unfinished += 1;
      close();
      continue;
    }
    dropped.peers += 1;
    dropped.bytes += owed;
    if (socket.writableLength > 0 && !(socket instanceof TLSSocket))
      socket.resetAndDestroy();
    else close();
  }
  return dropped;
}
