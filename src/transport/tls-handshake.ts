import type { SecureContextOptions } from 'node:tls';
import { errorCode } from '../app/errors.js';

/**
 * Why a TLS handshake failed, in a bounded set (a metrics label):
 * - `timeout`: it did not finish within the handshake timeout (a peer that
 *   connects and says nothing, or stalls halfway);
 * - `not tls`: the first bytes were no TLS record (plain text or HTTP on the
 *   TLS port);
 * - `protocol version`: a TLS version or cipher we do not speak (TLS 1.1
 *   and older are off);
 * - `bad certificate`: a client certificate missing or not trusted (with
 *   client auth), or the peer rejected ours;
 * - `other`: anything else, a reset mid-handshake included.
 */
export type HandshakeFailure =
  'timeout' | 'not tls' | 'protocol version' | 'bad certificate' | 'other';

/** Every `HandshakeFailure`, in a fixed order. */
export const HANDSHAKE_FAILURES: readonly HandshakeFailure[] = [
  'timeout',
  'not tls',
  'protocol version',
  'bad certificate',
  'other'
];

/** Zeroed counts, one per reason. */
export function createHandshakeCounts(): Record<HandshakeFailure, number> {
  return {
    timeout: 0,
    'not tls': 0,
    'protocol version': 0,
    'bad certificate': 0,
    other: 0
  };
}

/** What a TLS listener serves: the PEM texts, already read. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
  /** Trusted issuers of client certificates (with `clientAuth`). */
  ca?: string | Buffer;
}

/** How a TLS listener handshakes. */
export interface TlsListenOptions {
  credentials: TlsCredentials;
  /** Ask every client for a certificate signed by `ca`, and refuse those without. */
  clientAuth: boolean;
  /** A handshake not done by then is dropped and counted as `timeout`. */
  handshakeTimeoutMs: number;
  /** Called once per failed handshake. */
  onHandshakeFailure?: (remote: string, reason: HandshakeFailure) => void;
}

/** The secure-context part of node:tls's options for `credentials`. */
export function secureContextOptions(
  credentials: TlsCredentials
): SecureContextOptions {
  const { cert, key, ca } = credentials;
  return {
    cert,
    key,
    ...(ca !== undefined && { ca }),
    // TLS 1.2 and 1.3 only; the ciphers are Node's defaults. (issue 18)
    minVersion: 'TLSv1.2'
  };
}

/**
 * Names the failure behind a `tlsClientError`. Node says `timeout` in its
 * code (ERR_TLS_HANDSHAKE_TIMEOUT); OpenSSL's reasons come as
 * `ERR_SSL_<REASON>` codes.
 */
export function classifyHandshakeError(err: unknown): HandshakeFailure {
  const code = errorCode(err) ?? '';
  const message = err instanceof Error ? err.message : '';
  if (
    code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ||
    /handshake timeout/i.test(message)
  )
    return 'timeout';
  if (
    /WRONG_VERSION_NUMBER|HTTP_REQUEST|HTTPS_PROXY_REQUEST|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/.test(
      code
    )
  )
    return 'not tls';
  if (
    /UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|NO_SHARED_CIPHER|NO_PROTOCOLS_AVAILABLE/.test(
      code
    )
  )
    return 'protocol version';
  if (/CERTIFICATE|UNKNOWN_CA|CERT_|ALERT_DECRYPT_ERROR/.test(code))
    return 'bad certificate';
  return 'other';
}
