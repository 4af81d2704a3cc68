import { isIP } from 'node:net';
import { UsageError } from '../app/errors.js';

/**
 * Reads a HOST argument: a host name, an IPv4 address, or an IPv6 address
 * bare (`::1`) or bracketed (`[::1]`, the way addresses are shown on the
 * wire [CHAT-ADDR-1]). Returns the host to listen on or connect to, without
 * brackets, or `null` for anything else: empty, blank, brackets around
 * something other than an IPv6 address, a colon outside one
 * (`127.0.0.1:3333`), a leading `-` (an option, or a negative number).
 *
 * @example hostFrom('[::1]') // '::1'
 * @example hostFrom('[127.0.0.1]') // null
 */
export function hostFrom(raw: string): string | null {
  const bracketed = /^\[(.*)\]$/.exec(raw);
  if (bracketed !== null) {
    const inner = bracketed[1] ?? '';
    return isIP(inner) === 6 ? inner : null;
  }
  if (raw === '' || raw.startsWith('-') || /[[\]\s]/.test(raw)) return null;
  if (raw.includes(':') && isIP(raw) !== 6) return null;
  return raw;
}

/**
 * `hostFrom` for a program's HOST argument: a one-line `UsageError` when it
 * is not a host.
 *
 * @example parseHost('[::1]') // '::1'
 */
export function parseHost(raw: string): string {
  const host = hostFrom(raw);
  if (host === null) {
    // `127.0.0.1:3333`: the one mistake worth a word of its own.
    const port = /^[^:]+:\d+$/.test(raw)
      ? '; give the port as an argument of its own'
      : '';
    throw new UsageError(
      `invalid host "${raw}" (expected a host name or an IP address such as 127.0.0.1, ::1 or [::1]${port})`
    );
  }
  return host;
}

/**
 * Splits `HOST:PORT` or `[IPv6]:PORT` into its host (checked by `hostFrom`,
 * brackets removed) and its port text, unchecked; `null` when `text` is
 * neither.
 *
 * @example splitHostPort('[::1]:9333') // { host: '::1', port: '9333' }
 */
export function splitHostPort(
  text: string
): { host: string; port: string } | null {
  const match = /^(\[[^\]]*\]|[^:[\]]+):(\d+)$/.exec(text);
  const host = match?.[1] === undefined ? null : hostFrom(match[1]);
  const port = match?.[2];
  return host === null || port === undefined ? null : { host, port };
}

/**
 * `HOST:PORT` for a message, with an IPv6 host in brackets: `[::1]:3333`.
 *
 * @example joinHostPort('::1', 3333) // '[::1]:3333'
 */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
