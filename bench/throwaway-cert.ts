/**
 * A throwaway self-signed certificate for the bench's TLS listener (issue
 * 18), made with `openssl` at bench time into a temporary directory and
 * removed after: nothing with a private key is ever committed
 * (scripts/self-signed.ts, shared with the tests and the CI's chaos runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSelfSignedCert } from '../scripts/self-signed.js';

/** The certificate and key files, and what removes them. */
export interface ThrowawayCert {
  readonly cert: string;
  readonly key: string;
  remove(): void;
}

/**
 * Makes a self-signed P-256 certificate for localhost and 127.0.0.1, valid
 * one day. Throws (with openssl's message) when openssl is missing or fails.
 */
export function makeThrowawayCert(): ThrowawayCert {
  const dir = mkdtempSync(join(tmpdir(), 'chat-bench-tls-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    return { ...writeSelfSignedCert(dir, 'bench'), remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/** The daemon's arguments for a TLS listener with `cert` and a WebSocket one, both on free ports. */
export function tlsAndWsArgs(cert: ThrowawayCert): string[] {
  return [
    '--tls',
    '0',
    '--tls-cert',
    cert.cert,
    '--tls-key',
    cert.key,
    '--ws',
    '0'
  ];
}
