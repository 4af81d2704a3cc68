import { readFileSync } from 'node:fs';
import type {
  PeerTransport,
  PeerTransportKind
} from '../../src/tools/peers/transport.js';
import type { Cleanups } from './cleanup.js';
import { certDir, makeCert } from './certs.js';
import type { TestDaemonOptions } from './daemon.js';

/**
 * The transports the fault suite runs over (issue 18). `wss` is TLS and
 * WebSocket stacked; each is covered on its own, so it is left out.
 */
export const FAULT_TRANSPORTS = ['tcp', 'tls', 'ws'] as const;

/** One of `FAULT_TRANSPORTS`. */
export type FaultTransport = (typeof FAULT_TRANSPORTS)[number] &
  PeerTransportKind;

/** Where a peer dials: a port and the transport it speaks there. */
export interface Endpoint {
  readonly port: number;
  readonly transport: PeerTransport;
}

/** A daemon's bound ports, as `startDaemon` reports them. */
interface Bound {
  readonly port: number;
  readonly tls: { port: number } | null;
  readonly ws: { port: number } | null;
}

/** Daemon options that add a TLS and a WebSocket listener, and how to reach each. */
export interface AllListeners {
  /** Spread into `startTestDaemon`'s options: `tls` and `ws` on free ports. */
  readonly options: Pick<TestDaemonOptions, 'tls' | 'ws'>;
  /** The endpoint of `daemon`'s listener for `kind`, verifying its certificate over TLS. */
  endpointOf(daemon: Bound, kind: FaultTransport): Endpoint;
}

/**
 * A throwaway certificate (removed by `cleanups`) and the options for a
 * daemon that listens on plain TCP, TLS and WebSocket at once.
 */
export function allListeners(cleanups: Cleanups): AllListeners {
  const cert = makeCert(certDir(cleanups), 'fault');
  const ca = readFileSync(cert.cert);
  return {
    options: { tls: { port: 0, ...cert }, ws: { port: 0 } },
    endpointOf: (daemon, kind) => {
      const port =
        kind === 'tcp'
          ? daemon.port
          : kind === 'tls'
            ? daemon.tls?.port
            : daemon.ws?.port;
      if (port === undefined)
        throw new Error(`the daemon has no ${kind} listener`);
      return { port, transport: { kind, ca } };
    }
  };
}
