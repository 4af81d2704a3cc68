import { UsageError } from '../app/errors.js';
import {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  type DaemonTlsOptions,
  type DaemonWsOptions
} from '../app/daemon.js';
import { splitHostPort } from './address.js';
import { formatDuration, parseDuration } from './duration.js';
import { integer } from './limit-args.js';

/** The TLS options, for `parseCommandLine`. */
export const TLS_OPTIONS = {
  tls: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-client-auth': { type: 'boolean' },
  'tls-handshake-timeout': { type: 'string' },
  'no-plain': { type: 'boolean' }
} as const;

/** The TLS options in `chat-server --help`. */
export const TLS_USAGE = `TLS (docs/transports.md):
  --tls [HOST:]PORT           also listen for TLS (1.2 and 1.3) on PORT, on
                              HOST or the plain listener's host; 0 picks a
                              free port
  --tls-cert FILE             PEM certificate chain, the server's own first
  --tls-key FILE              PEM private key of that certificate
  --tls-ca FILE               PEM CAs that client certificates must chain to
  --tls-client-auth           require a client certificate (needs --tls-ca)
  --tls-handshake-timeout D   drop a handshake not done by then (default
                              ${formatDuration(DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS)})
  --no-plain                  no plain TCP listener (needs --tls or --ws)
  SIGHUP reads the certificate and key again: new connections get the new
  ones, nobody is dropped; bad new files are logged and the old ones kept.`;

/** What the listener options ask for: TLS, WebSocket, and whether plain TCP stays. */
export interface TlsConfig {
  tls: DaemonTlsOptions | undefined;
  plain: boolean;
  ws?: DaemonWsOptions;
}

/**
 * `[HOST:]PORT` of the listener option `--name`: a port alone, or a host
 * (as the HOST argument) and a port; `example` is the port shown in the
 * error.
 */
export function listenAddress(
  name: string,
  raw: string,
  example: number
): { host?: string; port: number } {
  const what = `${name} port`;
  if (/^\d+$/.test(raw)) return { port: integer(what, raw, 0, 65535) };
  const split = splitHostPort(raw);
  if (split === null)
    throw new UsageError(
      `invalid --${name} "${raw}" (expected PORT or HOST:PORT, such as ${example} or 127.0.0.1:${example})`
    );
  return { host: split.host, port: integer(what, split.port, 0, 65535) };
}

/**
 * Reads the TLS options; throws a one-line `UsageError` for a missing or
 * stray one. The files themselves are read when the daemon starts.
 *
 * @example parseTlsArgs({ tls: '6697', 'tls-cert': 'c.pem', 'tls-key': 'k.pem' })
 */
export function parseTlsArgs(values: {
  tls?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'tls-ca'?: string | undefined;
  'tls-client-auth'?: boolean | undefined;
  'tls-handshake-timeout'?: string | undefined;
  'no-plain'?: boolean | undefined;
}): TlsConfig {
  const plain = values['no-plain'] !== true;
  const address = values.tls;
  if (address === undefined) {
    const stray = (
      [
        'tls-cert',
        'tls-key',
        'tls-ca',
        'tls-client-auth',
        'tls-handshake-timeout'
      ] as const
    ).find((name) => values[name] !== undefined);
    if (stray !== undefined)
      throw new UsageError(`--${stray} applies to --tls; give it too`);
    return { tls: undefined, plain };
  }
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (cert === undefined || cert === '')
    throw new UsageError('--tls needs --tls-cert FILE');
  if (key === undefined || key === '')
    throw new UsageError('--tls needs --tls-key FILE');
  const ca = values['tls-ca'];
  const clientAuth = values['tls-client-auth'] === true;
  if (clientAuth && ca === undefined)
    throw new UsageError('--tls-client-auth needs --tls-ca FILE');
  const rawTimeout = values['tls-handshake-timeout'];
  let handshakeTimeoutMs = DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
  if (rawTimeout !== undefined) {
    const ms = parseDuration(rawTimeout);
    if (ms === null || ms === 0)
      throw new UsageError(
        `invalid tls handshake timeout "${rawTimeout}" (expected a duration such as 10s or 500ms, up to 24h)`
      );
    handshakeTimeoutMs = ms;
  }
  return {
    plain,
    tls: {
      ...listenAddress('tls', address, 6697),
      cert,
      key,
      ...(ca !== undefined && { ca }),
      clientAuth,
      handshakeTimeoutMs
    }
  };
}
