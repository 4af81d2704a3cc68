/**
 * Whether a WebSocket handshake's `Origin` may connect. [CHAT-WS-6]
 *
 * - No `Origin`: not a browser (browsers always send it), so no page can be
 *   abusing a visitor's browser: allowed.
 * - `allowed` given: the origin must be one of them exactly (scheme, host
 *   and port, as browsers send it, e.g. `https://chat.example.org`); `*`
 *   allows any.
 * - Otherwise only the listener's own origin: the origin's `host[:port]`
 *   must be the request's `Host` header, the page the daemon serves itself.
 *
 * @example
 * originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080') // true
 * originAllowed('https://evil.example', '127.0.0.1:8080') // false
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed?: readonly string[]
): boolean {
  if (origin === undefined) return true;
  const given = normalize(origin);
  if (allowed !== undefined)
    return allowed.some((entry) => entry === '*' || normalize(entry) === given);
  if (host === undefined) return false;
  try {
    return new URL(given).host === host.toLowerCase();
  } catch {
    return false; // `null` (a sandboxed or file: page) and garbage
  }
}

function normalize(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}
