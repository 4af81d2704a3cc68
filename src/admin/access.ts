import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The cookie the page's own requests carry the token in. */
export const TOKEN_COOKIE = 'chat_admin_token';

/** True for 127.0.0.0/8, ::1, IPv4-mapped loopback and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.replace(/^::ffff:/, '');
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

/** The token a request offers: `Authorization: Bearer`, the cookie, or `?token=`. */
function offeredToken(req: IncomingMessage, url: URL): string | null {
  const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return (
    auth?.[1] ?? cookie(req, TOKEN_COOKIE) ?? url.searchParams.get('token')
  );
}

/** Who may use the admin listener. */
export interface AccessPolicy {
  /**
   * Null when the request may proceed, else the status and one line why:
   * 401 without the right token; 421 for a foreign `Host` header on a
   * loopback listener without a token (a DNS-rebinding page in the
   * operator's browser).
   */
  check(req: IncomingMessage, url: URL): { status: number; why: string } | null;
  /** True when `?token=` carried the right token (the page then sets the cookie). */
  tokenInQuery(url: URL): boolean;
}

/**
 * The admin listener's access rule: with a token, every request must offer
 * it (compared in constant time); without one, only loopback `Host`
 * headers are served.
 */
export function accessPolicy(token: string | undefined): AccessPolicy {
  const expected = token === undefined ? null : digest(token);
  const matches = (offered: string | null): boolean =>
    expected !== null &&
    offered !== null &&
    timingSafeEqual(digest(offered), expected);
  return {
    check: (req, url) => {
      if (expected === null) {
        const host = /^(\[[^\]]*\]|[^:]*)/.exec(req.headers.host ?? '')?.[1];
        return host !== undefined && isLoopbackHost(host)
          ? null
          : {
              status: 421,
              why: 'this listener answers only to a loopback Host'
            };
      }
      return matches(offeredToken(req, url))
        ? null
        : { status: 401, why: 'admin token required' };
    },
    tokenInQuery: (url) => matches(url.searchParams.get('token'))
  };
}
