/** One clear line for a connection chat-chaos could not make. */
import { describeSystemError } from '../../app/errors.js';

// OpenSSL's verification codes (UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
// DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED…) and Node's name check.
const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/**
 * Why a connection failed, in a few words: an untrusted TLS certificate
 * says so and what to do about it; anything else is the system's reason.
 *
 * @example describeConnectError(err) // 'TLS certificate not trusted (self-signed certificate); ...'
 */
export function describeConnectError(err: unknown): string {
  const code =
    typeof err === 'object' && err !== null && 'code' in err
      ? String(err.code)
      : '';
  if (CERT_CODE.test(code)) {
    const why = err instanceof Error ? err.message.split('\n', 1)[0] : code;
    return `TLS certificate not trusted (${why}); pass --ca FILE with the CA that signed it, or --insecure`;
  }
  return describeSystemError(err);
}
