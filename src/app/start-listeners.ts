import type { TransportKind } from '../machines/types.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import { Admission } from '../transport/admission.js';
import {
  combineListeners,
  type Listener,
  type Listeners
} from '../transport/listeners.js';
import {
  createCounters,
  type TcpConnection
} from '../transport/tcp-connection.js';
import {
  listen,
  type TcpServer,
  type TransportLimits
} from '../transport/tcp-server.js';
import type { WsConnection } from '../transport/ws-connection.js';
import type { WsRefusalReason, WsServer } from '../transport/ws-server.js';
import { createChatPage } from './chat-page.js';
import type { Logger } from './logger.js';
import { loadTlsFiles, type LoadedTls, type TlsFiles } from './tls-files.js';

/** How long a TLS handshake may take by default. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** A TLS listener beside (or, with `plain: false`, instead of) the plain one. */
export interface DaemonTlsOptions extends TlsFiles {
  /** Default: the plain listener's host. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Require a client certificate signed by `ca`. */
  clientAuth?: boolean;
  /** Default `DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS`. */
  handshakeTimeoutMs?: number;
}

/**
 * A WebSocket listener, which also serves the chat page at `/`
 * (docs/transports.md).
 */
export interface DaemonWsOptions {
  /** Default: the plain listener's host. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * `Origin`s allowed (`https://chat.example.org`; `*` any); default the
   * listener's own. [CHAT-WS-6]
   */
  origins?: readonly string[];
  /** Ping interval; default `DEFAULT_WS_PING_INTERVAL_MS`; 0 = off. */
  pingIntervalMs?: number;
}

/** A connection's port as a listener hands it over, whatever its transport. */
export type ListenerPort = TcpConnection | WsConnection;

/** Why a listener refused a connection before any actor saw it. */
export type ListenerRefusal = WsRefusalReason;

/** Which listeners to start, and where their connections go. */
export interface StartListenersOptions {
  host?: string | undefined;
  port?: number | undefined;
  /** Plain TCP on `host:port`; default true. */
  plain: boolean;
  /** With its files already read (`loadTlsFiles`), so a bad one stops the start before anything else. */
  tls?: (DaemonTlsOptions & { loaded: LoadedTls }) | undefined;
  ws?: DaemonWsOptions | undefined;
  limits: TransportLimits;
  logger: Logger;
  /** Each admitted connection, on any listener. */
  onConnection: (port: ListenerPort) => void;
  /** Each connection a listener refused. */
  onRefused: (remote: string, reason: ListenerRefusal) => void;
}

/** The daemon's running listeners. */
export interface StartedListeners {
  /** All of them as one (shutdown, counters, open sockets). */
  readonly transport: Listeners;
  /** The first listener: plain TCP, or TLS, or WebSocket, as started. */
  readonly primary: Listener;
  readonly tls: Listener | null;
  readonly ws: Listener | null;
  /** Reads the TLS files again (SIGHUP); false when they were bad or there is no TLS. */
  reloadTls(): boolean;
  /** Logs each listener that is not the primary one, once all are bound. */
  announce(): void;
}

/**
 * Reads the TLS files (a bad one throws before anything listens), then
 * starts the plain, TLS and WebSocket listeners asked for, sharing one
 * admission and one set of counters, so the limits and the totals hold over
 * every transport together. If one fails to bind, those already bound are
 * closed and the error is thrown.
 */
export async function startListeners(
  options: StartListenersOptions
): Promise<StartedListeners> {
  const { limits, logger, onConnection, onRefused } = options;
  const tlsOptions = options.tls;
  const wsOptions = options.ws;
  if (!options.plain && !tlsOptions && !wsOptions)
    throw new RangeError('a daemon needs a listener: plain, tls or ws');
  const tlsFiles = tlsOptions?.loaded ?? null;
  const serveHttp = wsOptions ? createChatPage() : undefined;
  const host = options.host ?? DEFAULT_HOST;
  const admission = new Admission(limits);
  const counters = createCounters();
  const common = { limits, admission, counters, onConnection, onRefused };
  const started: Array<TcpServer | WsServer> = [];
  let tls: TcpServer | null = null;
  let ws: WsServer | null = null;
  try {
    if (options.plain)
      started.push(
        await listen({ ...common, host, port: options.port ?? DEFAULT_PORT })
      );
    if (tlsOptions && tlsFiles) {
      tls = await listen({
        ...common,
        host: tlsOptions.host ?? host,
        port: tlsOptions.port,
        tls: {
          credentials: tlsFiles,
          clientAuth: tlsOptions.clientAuth ?? false,
          handshakeTimeoutMs:
            tlsOptions.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
          // A scanner or a stray plain client: not worth a warning each.
          onHandshakeFailure: (remote, reason) =>
            logger.info('tls handshake failed', { remote, reason })
        }
      });
      started.push(tls);
    }
    if (wsOptions) {
      // Loaded only for a WebSocket listener: `ws` costs start-up time.
      const { listenWs } = await import('../transport/ws-server.js');
      ws = await listenWs({
        ...common,
        host: wsOptions.host ?? host,
        port: wsOptions.port,
        origins: wsOptions.origins,
        pingIntervalMs: wsOptions.pingIntervalMs,
        serveHttp
      });
      started.push(ws);
    }
  } catch (err) {
    for (const listener of started) {
      listener.stopAccepting();
      listener.destroyAll();
    }
    throw err;
  }
  const describeTls = (loaded: LoadedTls): Record<string, string> => ({
    subject: loaded.subject,
    notAfter: loaded.notAfter,
    fingerprint: loaded.fingerprint
  });
  const primary = started[0] as Listener;
  const tlsListener = tls;
  return {
    transport: combineListeners(started, counters),
    primary,
    tls,
    ws,
    reloadTls: () => {
      if (tlsListener === null || !tlsOptions) return false;
      try {
        const loaded = loadTlsFiles(tlsOptions);
        tlsListener.setCredentials(loaded);
        logger.info('tls certificate reloaded', describeTls(loaded));
        return true;
      } catch (err) {
        logger.error('tls certificate not reloaded; keeping the old one', {
          err: err instanceof Error ? err.message : String(err)
        });
        return false;
      }
    },
    announce: () => {
      // The plain listener is the start line itself (`listening`).
      for (const listener of started) {
        if (listener.transport === 'tcp') continue;
        const kind: TransportKind = listener.transport;
        logger.info(`listening for ${kind === 'ws' ? 'websocket' : kind}`, {
          transport: kind,
          host: listener.host,
          port: listener.port,
          ...(kind === 'tls' && tlsFiles && describeTls(tlsFiles))
        });
      }
    }
  };
}
