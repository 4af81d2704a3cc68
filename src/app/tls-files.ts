import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { ChatError, describeSystemError } from './errors.js';

/** Where a TLS listener's certificate, key and client CA are. */
export interface TlsFiles {
  /** PEM certificate chain, the server's own first. */
  cert: string;
  /** PEM private key of that certificate. */
  key: string;
  /** PEM bundle of the CAs client certificates must chain to. */
  ca?: string;
}

/** The files' contents, checked, and what the log says about them. */
export interface LoadedTls {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** The leaf certificate's subject, e.g. `CN=chat.example.org`. */
  subject: string;
  /** When it expires, ISO 8601. */
  notAfter: string;
  /** Its SHA-256 fingerprint, `AB:CD:…`. */
  fingerprint: string;
}

/** A TLS file that cannot be read, parsed or paired. */
export class TlsFileError extends ChatError {
  override readonly name = 'TlsFileError';
  override readonly code = 'CHAT_ERR_TLS_FILES';
}

function read(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsFileError(
      `cannot read TLS ${what} ${path}: ${describeSystemError(err)}`,
      { cause: err }
    );
  }
}

/** OpenSSL's reason, without its `error:0A0000…:SSL routines:` prefix. */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split('\n', 1)[0] ?? text;
  return first.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '');
}

/**
 * Reads and checks the files: each readable, the certificate and key PEM
 * and of one pair (node:tls builds a secure context from them). Throws a
 * one-line `TlsFileError` naming the file and the reason.
 *
 * @example loadTlsFiles({ cert: 'c.pem', key: 'k.pem' }).subject // 'CN=localhost'
 */
export function loadTlsFiles(files: TlsFiles): LoadedTls {
  const cert = read('certificate', files.cert);
  const key = read('key', files.key);
  const ca = files.ca === undefined ? undefined : read('CA', files.ca);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new TlsFileError(
      `invalid TLS certificate ${files.cert}: ${reasonOf(err)} (expected a PEM certificate)`,
      { cause: err }
    );
  }
  try {
    createSecureContext({ cert, key, ...(ca && { ca }) });
  } catch (err) {
    throw new TlsFileError(
      `invalid TLS key ${files.key} for certificate ${files.cert}: ${reasonOf(err)}`,
      { cause: err }
    );
  }
  return {
    cert,
    key,
    ...(ca && { ca }),
    subject: leaf.subject.replace(/\n/g, ', '),
    notAfter: new Date(leaf.validTo).toISOString(),
    fingerprint: leaf.fingerprint256
  };
}
