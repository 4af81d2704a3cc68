import { writeSelfSignedCert } from '../../scripts/self-signed.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Cleanups } from './cleanup.js';

/** A throwaway self-signed certificate and its key, as files. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** A temporary directory for certificates, removed on cleanup. */
export function certDir(cleanups: Cleanups): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chat-tls-'));
  cleanups.add(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Makes a self-signed P-256 certificate for `cn` (valid one day, for
 * 127.0.0.1 and localhost) with openssl, into `dir` as `NAME.crt` and
 * `NAME.key`. Nothing with a private key is ever committed.
 */
export function makeCert(
  dir: string,
  name: string,
  cn = 'localhost'
): TestCert {
  return writeSelfSignedCert(dir, name, cn);
}
