/**
 * A throwaway self-signed certificate for the bench's TLS listener (issue
 * 18), made with `openssl` at bench time into a temporary directory and
 * removed after: nothing with a private key is ever committed. The same
 * invocation as test/support/certs.ts (copied, not imported: the bench does
 * not depend on test code).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  const cert = join(dir, 'bench.crt');
  const key = join(dir, 'bench.key');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
  } catch (err) {
    remove();
    throw err;
  }
  return { cert, key, remove };
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
