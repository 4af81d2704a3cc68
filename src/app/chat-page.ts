import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatError, describeSystemError } from './errors.js';

/**
 * The chat page (docs/transports.md, "Chat page"), served by the WebSocket
 * listener for its plain GET requests: the page and the chat share one
 * origin, so the page connects back to `ws(s)://<its host>/`.
 */

/** Serves one plain HTTP request (the WebSocket listener's `serveHttp`). */
export type ChatPageHandler = (
  req: IncomingMessage,
  res: ServerResponse
) => void;

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const JS = 'text/javascript; charset=utf-8';

/** Path → file in web/chat/; nothing else is served. */
const FILES: ReadonlyArray<readonly [string, string, string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/chat.js', 'chat.js', JS],
  ['/chat.css', 'chat.css', 'text/css; charset=utf-8'],
  ['/lines.js', 'lines.js', JS],
  ['/connection.js', 'connection.js', JS],
  ['/who.js', 'who.js', JS]
];

/** A Host header we may echo into the policy: a name or address and a port. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The policy for a page served as `host`. CSP's `'self'` does not cover
 * `ws:`/`wss:` in every browser, so the page's own socket origin is named;
 * a missing or odd Host gets `'self'` alone (the page then may not connect,
 * which is the safe way to fail).
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sockets =
    host !== undefined && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `connect-src 'self'${sockets}`,
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ');
}

/** The page's files, read once: a missing one is one clear line at start. */
function loadAssets(): Map<string, Asset> {
  // dist/app/ and src/app/ both sit two levels below web/'s parent.
  const dir = new URL('../../web/chat/', import.meta.url);
  return new Map(
    FILES.map(([path, file, type]) => {
      const url = new URL(file, dir);
      try {
        return [path, { type, body: readFileSync(url) }];
      } catch (err) {
        throw new ChatError(
          `chat page missing: ${url.pathname}: ${describeSystemError(err)}`,
          { cause: err }
        );
      }
    })
  );
}

function reply(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: string | Buffer,
  withBody: boolean
): void {
  res.writeHead(status, {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
    'content-length': Buffer.byteLength(body),
    ...headers
  });
  res.end(withBody ? body : undefined);
}

const plain = 'text/plain; charset=utf-8';

/** The path of a request target; '' (served as 404) if it does not parse. */
function pathOf(target: string | undefined): string {
  try {
    return new URL(target ?? '/', 'http://page.invalid').pathname;
  } catch {
    return '';
  }
}

/**
 * Reads the chat page from web/chat/ (relative to this module, so it works
 * from src/ and dist/) and returns the handler that serves it: GET (and
 * HEAD) of `/`, `/chat.js`, `/chat.css` and the page's modules, each with
 * a strict Content-Security-Policy and `nosniff`; one-line 404 for any
 * other path, 405 for any other method. Throws a `ChatError` if a file is
 * missing.
 *
 * @example
 * const serveHttp = createChatPage();
 * http.createServer(serveHttp).listen(8080);
 */
export function createChatPage(): ChatPageHandler {
  const assets = loadAssets();
  return (req, res) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      reply(
        res,
        405,
        { 'content-type': plain, allow: 'GET, HEAD' },
        'method not allowed\n',
        true
      );
      return;
    }
    const asset = assets.get(pathOf(req.url));
    if (asset === undefined) {
      reply(res, 404, { 'content-type': plain }, 'not found\n', !head);
      return;
    }
    reply(
      res,
      200,
      {
        'content-type': asset.type,
        'content-security-policy': contentSecurityPolicy(req.headers.host)
      },
      asset.body,
      !head
    );
  };
}
