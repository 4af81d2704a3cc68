/**
 * A throwaway self-signed certificate for the tests, the CI's chaos runs
 * and the bench: P-256, valid one day, for 127.0.0.1 and localhost, made
 * with `openssl` at run time; nothing with a private key is ever committed.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** A certificate and its private key, as PEM files. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * Writes `NAME.crt` and `NAME.key` into `dir`, for the common name `cn`.
 * Throws, with openssl's message, when openssl is missing or fails.
 */
export function writeSelfSignedCert(
  dir: string,
  name: string,
  cn = 'localhost'
): CertFiles {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '1', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { cert, key };
}
