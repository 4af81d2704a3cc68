import type { TransportKind } from '../machines/types.js';
import type { TransportCounters } from './tcp-connection.js';
import type { DroppedOutput, TcpServer } from './tcp-server.js';
import { HANDSHAKE_FAILURES, type HandshakeFailure } from './tls-handshake.js';
import { WS_PROTOCOL_ERRORS, type WsProtocolError } from './ws-close.js';

/** How the daemon stops, drains and closes a listener, or all of them. */
type ListenerLifecycle = Pick<
  TcpServer,
  | 'stopAccepting'
  | 'openSockets'
  | 'finished'
  | 'resetUnfinished'
  | 'closeAll'
  | 'destroyAll'
>;

/**
 * What the daemon needs of one listener: `TcpServer` without the address
 * and TLS parts, so a WebSocket listener can stand beside it.
 */
export type Listener = ListenerLifecycle & {
  readonly host: string;
  readonly port: number;
  readonly transport: TransportKind;
};

/**
 * Several listeners of one daemon as one: they share one admission and one
 * set of counters (passed to each when it was started), and every call goes
 * to each of them, so shutdown drains all transports together.
 */
export interface Listeners extends ListenerLifecycle {
  /** Each listener, in the order given. */
  readonly all: readonly Listener[];
  /** The running totals every listener adds to. */
  readonly counters: Readonly<TransportCounters>;
  /** Failed TLS handshakes by reason, over every TLS listener. */
  handshakeFailures(): Record<HandshakeFailure, number>;
  /** WebSocket protocol errors by reason, over every WebSocket listener. */
  wsProtocolErrors(): Record<WsProtocolError, number>;
}

/**
 * Combines `listeners` (started with the same `counters`) into one.
 *
 * @example
 * const all = combineListeners([plain, tls], counters);
 * all.stopAccepting(); // both stop
 */
export function combineListeners(
  listeners: readonly (Listener &
    Partial<Pick<TcpServer, 'handshakeFailures'>> & {
      readonly protocolErrors?: Readonly<Record<WsProtocolError, number>>;
    })[],
  counters: Readonly<TransportCounters>
): Listeners {
  const each = <T>(call: (listener: Listener) => T): T[] => listeners.map(call);
  return {
    all: listeners,
    counters,
    stopAccepting: () => void each((l) => l.stopAccepting()),
    openSockets: () => each((l) => l.openSockets()).reduce((a, b) => a + b, 0),
    finished: async (timeoutMs) =>
      (await Promise.all(each((l) => l.finished(timeoutMs)))).every(Boolean),
    resetUnfinished: () =>
      each((l) => l.resetUnfinished()).reduce<DroppedOutput>(
        (sum, d) => ({
          peers: sum.peers + d.peers,
          bytes: sum.bytes + d.bytes,
          unfinished: sum.unfinished + d.unfinished
        }),
        { peers: 0, bytes: 0, unfinished: 0 }
      ),
    closeAll: async (timeoutMs) =>
      (await Promise.all(each((l) => l.closeAll(timeoutMs)))).every(Boolean),
    destroyAll: () => void each((l) => l.destroyAll()),
    handshakeFailures: () =>
      sumBy(
        HANDSHAKE_FAILURES,
        listeners.map((l) => l.handshakeFailures)
      ),
    wsProtocolErrors: () =>
      sumBy(
        WS_PROTOCOL_ERRORS,
        listeners.map((l) => l.protocolErrors)
      )
  };
}

/** Counts by reason of several listeners (those that keep them), summed. */
function sumBy<R extends string>(
  reasons: readonly R[],
  counts: ReadonlyArray<Readonly<Record<R, number>> | undefined>
): Record<R, number> {
  const sum = Object.fromEntries(reasons.map((r) => [r, 0])) as Record<
    R,
    number
  >;
  for (const each of counts)
    for (const reason of reasons) sum[reason] += each?.[reason] ?? 0;
  return sum;
}
