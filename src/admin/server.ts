import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatError, ListenError, describeSystemError } from '../app/errors.js';
import type { AdminStats } from './stats.js';
import type { Logger } from '../app/logger.js';
import type { ConnectionMonitor } from './monitor.js';
import type { MachineGraph } from '../machines/graph.js';
import { TOKEN_COOKIE, accessPolicy, isLoopbackHost } from './access.js';
import { openEventStream, type EventStream } from './event-stream.js';
import { createMetrics } from './metrics.js';
import { RoomBoard, type RoomSource } from './room-board.js';
import { parseViewQuery } from './view-query.js';

/** Where the admin listener listens and who may use it. */
export interface AdminOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required unless `host` is loopback; then every request must offer it. */
  token?: string | undefined;
}

/** What the admin listener reads from its daemon. */
export interface AdminSource {
  readonly monitor: ConnectionMonitor;
  /** The connection machine's chart, for the page. */
  readonly graph: MachineGraph;
  stats(): AdminStats;
  /** Every running room, `#lobby` included. */
  rooms(): readonly RoomSource[];
  /** Accepting chat connections (false while shutting down). */
  ready(): boolean;
}

/** A running admin listener. */
export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/`. */
  readonly url: string;
  /** `/events` streams open right now. */
  viewers(): number;
  /** Ends every stream and stops listening. */
  close(): Promise<void>;
}

/** `/events` streams served at once; more get 503. */
export const MAX_VIEWERS = 32;

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The page's files, served from memory; nothing comes from a CDN. */
function loadAssets(): Map<string, Asset> {
  // dist/admin/ and src/admin/ both sit two levels below web/'s parent.
  const dir = new URL('../../web/', import.meta.url);
  const files: Array<[string, string, string]> = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/inspector.js', 'inspector.js', 'text/javascript; charset=utf-8'],
    ['/inspector.css', 'inspector.css', 'text/css; charset=utf-8']
  ];
  return new Map(
    files.map(([path, file, type]) => {
      try {
        return [path, { type, body: readFileSync(new URL(file, dir)) }];
      } catch (err) {
        throw new ChatError(
          `inspector page missing: ${new URL(file, dir).pathname}: ${describeSystemError(err)}`,
          { cause: err }
        );
      }
    })
  );
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {}
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...headers
  });
  res.end(body);
}

const text = (res: ServerResponse, status: number, line: string): void =>
  send(res, status, 'text/plain; charset=utf-8', `${line}\n`);

const json = (res: ServerResponse, value: unknown): void =>
  send(res, 200, 'application/json', JSON.stringify(value));

/**
 * Throws a one-line `ChatError` unless `options` are safe to listen with: a
 * token (16+ characters) whenever the host is not loopback.
 */
export function checkAdminOptions(options: AdminOptions): void {
  if (!isLoopbackHost(options.host) && options.token === undefined) {
    throw new ChatError(
      `the admin listener on ${options.host} (not loopback) needs a token (--admin-token)`
    );
  }
  if (options.token !== undefined && options.token.length < 16)
    throw new ChatError('admin token too short (at least 16 characters)');
}

/**
 * Starts the admin HTTP listener: the inspector page (`/`), its event stream
 * (`/events`), `/metrics` (Prometheus), `/healthz`, `/readyz`, and JSON for
 * tools (`/api/machine`, `/api/connections`, `/api/connections/ID`,
 * `/api/rooms`).
 * docs/inspector.md describes each.
 *
 * @example
 * const admin = await startAdmin({ host: '127.0.0.1', port: 9333 }, source, logger);
 */
export async function startAdmin(
  options: AdminOptions,
  source: AdminSource,
  parentLogger: Logger
): Promise<AdminServer> {
  checkAdminOptions(options);
  const logger = parentLogger.child({ component: 'admin' });
  const assets = loadAssets();
  const access = accessPolicy(options.token);
  const streams = new Set<EventStream>();
  const metrics = createMetrics({
    stats: () => source.stats(),
    monitor: source.monitor,
    rooms: () => source.rooms(),
    viewers: () => streams.size
  });
  const rooms = new RoomBoard({ rooms: () => source.rooms() });
  const states = source.graph.states.map((state) => state.id);
  const startedAt = Date.now();

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL
  ): Promise<void> => {
    const asset = assets.get(url.pathname);
    if (asset !== undefined) {
      // `/?token=…` once: the page's own requests then carry the cookie.
      const cookie: Record<string, string> =
        url.pathname === '/' && access.tokenInQuery(url)
          ? {
              'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(url.searchParams.get('token') ?? '')}; HttpOnly; SameSite=Strict; Path=/`
            }
          : {};
      send(res, 200, asset.type, asset.body, cookie);
      return;
    }
    switch (url.pathname) {
      case '/favicon.ico':
        res.writeHead(204, SECURITY_HEADERS).end();
        return;
      case '/healthz':
        text(res, 200, 'ok');
        return;
      case '/readyz':
        if (source.ready()) text(res, 200, 'ready');
        else text(res, 503, 'not ready: shutting down');
        return;
      case '/metrics':
        send(res, 200, metrics.contentType, await metrics.render());
        return;
      case '/api/machine':
        json(res, source.graph);
        return;
      case '/api/connections': {
        const query = parseViewQuery(url.searchParams, states);
        if (typeof query === 'string') text(res, 400, query);
        else json(res, source.monitor.rows(query));
        return;
      }
      case '/api/rooms': {
        const query = parseViewQuery(url.searchParams, states);
        if (typeof query === 'string') text(res, 400, query);
        else json(res, rooms.page(query.roomOffset, query.roomLimit));
        return;
      }
      case '/events': {
        const query = parseViewQuery(url.searchParams, states);
        if (typeof query === 'string') {
          text(res, 400, query);
          return;
        }
        if (streams.size >= MAX_VIEWERS) {
          text(res, 503, `too many viewers (at most ${MAX_VIEWERS})`);
          return;
        }
        const hello = { startedAt, machine: source.graph, query };
        const stream = openEventStream(
          res,
          { monitor: source.monitor, rooms, stats: () => source.stats() },
          query,
          hello,
          SECURITY_HEADERS,
          () => streams.delete(stream)
        );
        streams.add(stream);
        return;
      }
    }
    const one = /^\/api\/connections\/([^/]+)$/.exec(url.pathname);
    if (one?.[1] !== undefined) {
      const id = decodeURIComponent(one[1]);
      const row = source.monitor.row(id);
      if (row === undefined) text(res, 404, `no connection ${id}`);
      else json(res, { row, timeline: source.monitor.timeline(id) ?? [] });
      return;
    }
    text(res, 404, `not found: ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', {
        allow: 'GET, HEAD'
      });
      return;
    }
    const denied = access.check(req, url);
    if (denied !== null) {
      logger.debug('admin request refused', {
        path: url.pathname,
        status: denied.status
      });
      send(res, denied.status, 'text/plain; charset=utf-8', `${denied.why}\n`, {
        ...(denied.status === 401 && { 'www-authenticate': 'Bearer' })
      });
      return;
    }
    route(req, res, url).catch((err: unknown) => {
      logger.error('admin request failed', {
        path: url.pathname,
        err: err instanceof Error ? (err.stack ?? err.message) : String(err)
      });
      if (!res.headersSent) text(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new ListenError(
          `cannot listen on ${options.host}:${options.port} for admin: ${describeSystemError(err)}`,
          { cause: err }
        )
      )
    );
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', (err) =>
    logger.error('admin listener failed', { err: describeSystemError(err) })
  );
  const port = (server.address() as AddressInfo).port;
  const host = options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  logger.info('admin listening', { url });

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url,
    viewers: () => streams.size,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const stream of [...streams]) stream.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }))
  };
}
