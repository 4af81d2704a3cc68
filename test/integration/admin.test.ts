/**
 * The admin listener over real HTTP on 127.0.0.1 (docs/inspector.md):
 * health and readiness, routing, methods, headers, the page's assets, and
 * who may use it (loopback `Host` without a token; the token's three ways
 * with one).
 */
import { readFileSync } from 'node:fs';
import { Server, type ListenOptions } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startDaemon } from '../../src/app/daemon.js';
import { createLogger } from '../../src/app/logger.js';
import { isLoopbackHost } from '../../src/admin/access.js';
import { createHarness } from '../support/harness.js';
import { openSse, request, type HttpReply } from '../support/sse.js';
import { within } from '../support/wait.js';
import { PassThrough } from 'node:stream';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

const LOOPBACK = { host: '127.0.0.1', port: 0 };
const TOKEN = 'correct-horse-battery-staple';

/** The admin listener of a fresh test daemon, with `token` if given. */
async function admin(
  token?: string,
  limits: Parameters<typeof daemon>[0] = {}
): Promise<{
  url: string;
  port: number;
  t: Awaited<ReturnType<typeof daemon>>;
}> {
  const t = await daemon({ ...limits, admin: { ...LOOPBACK, token } });
  const info = t.daemon.admin;
  if (info === null) throw new Error('the daemon has no admin listener');
  return { url: info.url, port: info.port, t };
}

/** The body is exactly one `\n`-terminated line. */
function expectOneLine(reply: HttpReply, line: string | RegExp): void {
  expect(reply.body.endsWith('\n')).toBe(true);
  expect(reply.body.slice(0, -1)).not.toContain('\n');
  if (typeof line === 'string') expect(reply.body).toBe(`${line}\n`);
  else expect(reply.body.slice(0, -1)).toMatch(line);
}

function expectSecurityHeaders(reply: HttpReply): void {
  const csp = String(reply.headers['content-security-policy']);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['referrer-policy']).toBe('no-referrer');
}

const webFile = (name: string): string =>
  readFileSync(new URL(`../../web/${name}`, import.meta.url), 'utf8');

describe('admin HTTP basics', () => {
  it('answers /healthz and /readyz with 200 and one line', async () => {
    const { url } = await admin();
    const health = await request(`${url}healthz`);
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(health.body).toBe('ok\n');
    const ready = await request(`${url}readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toBe('ready\n');
  });

  it('answers an unknown path with 404 and one line naming it', async () => {
    const { url } = await admin();
    const reply = await request(`${url}no/such/thing?x=1`);
    expect(reply.status).toBe(404);
    expectOneLine(reply, 'not found: /no/such/thing');
    const unknown = await request(`${url}api/connections/c999`);
    expect(unknown.status).toBe(404);
    expectOneLine(unknown, 'no connection c999');
  });

  it('refuses methods other than GET and HEAD with 405 and an Allow header', async () => {
    const { url } = await admin();
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const reply = await request(`${url}healthz`, { method });
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
      expectOneLine(reply, 'method not allowed');
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const { url } = await admin();
    for (const path of ['healthz', '', 'inspector.js', 'metrics']) {
      const get = await request(`${url}${path}`);
      const head = await request(`${url}${path}`, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      if (path !== 'metrics') {
        expect(Number(head.headers['content-length'])).toBe(
          Buffer.byteLength(get.body)
        );
      }
    }
  });

  it('answers /favicon.ico with 204 and nothing', async () => {
    const { url } = await admin();
    const reply = await request(`${url}favicon.ico`);
    expect(reply.status).toBe(204);
    expect(reply.body).toBe('');
  });

  it('sends the security headers on pages, data and errors', async () => {
    const { url } = await admin();
    for (const [path, status] of [
      ['', 200],
      ['inspector.js', 200],
      ['healthz', 200],
      ['metrics', 200],
      ['api/machine', 200],
      ['favicon.ico', 204],
      ['nope', 404],
      ['api/connections?limit=0', 400]
    ] as const) {
      const reply = await request(`${url}${path}`);
      expect(reply.status, path).toBe(status);
      expectSecurityHeaders(reply);
    }
    const post = await request(url, { method: 'POST' });
    expectSecurityHeaders(post);
  });

  it('serves the page and its script and style from the daemon, with their types', async () => {
    const { url } = await admin();
    const page = await request(url);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toBe(webFile('index.html'));

    const js = await request(`${url}inspector.js`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe(webFile('inspector.js'));

    const css = await request(`${url}inspector.css`);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toBe(webFile('inspector.css'));
  });

  it('loads nothing from outside: every script and style is same-origin', async () => {
    const { url } = await admin();
    const html = (await request(url)).body;
    const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map(
      (m) => m[1] ?? ''
    );
    expect(refs.sort()).toEqual(['inspector.css', 'inspector.js']);
    for (const ref of refs)
      expect(ref).not.toMatch(/^(?:[a-z][\w+.-]*:|\/\/)/i);
    expect(html).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/<(?:iframe|object|embed|base)\b/i);

    const js = (await request(`${url}inspector.js`)).body;
    // The SVG namespace is an identifier, never fetched; any other absolute
    // URL in the script would be a load from outside.
    const urls = [...js.matchAll(/[a-z][\w+.-]*:\/\/[^\s'"`)]*/gi)].map(
      (m) => m[0]
    );
    expect(urls.filter((u) => u !== 'http://www.w3.org/2000/svg')).toEqual([]);
    expect(js).not.toMatch(
      /\bimport\s*\(|\bimport\s[^;]*\bfrom\b|importScripts/
    );
    expect(js).not.toMatch(/['"`]\/\//);
    // Its one network use is the same-origin, relative event stream.
    const sources = [...js.matchAll(/new EventSource\(([^)]*)\)/g)].map(
      (m) => m[1]
    );
    expect(sources).toEqual(['`events?${query}`']);
    expect(js).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket\(/);

    const css = (await request(`${url}inspector.css`)).body;
    expect(css).not.toMatch(/@import|https?:\/\//i);
    for (const m of css.matchAll(/url\(\s*['"]?([^'")]*)/gi)) {
      // data: URLs, fragments (`#arrow`) and relative paths stay on the page.
      expect(m[1]).toMatch(/^(?:data:|#|(?![a-z][\w+.-]*:|\/\/))/i);
    }
  });

  it('answers /readyz 503 from the start of shutdown, /healthz still 200, and closes last', async () => {
    // A member that never reads holds the shutdown in its flush (no queue
    // limit, no stall timeout), so there is a window to look through.
    const { url, t } = await admin(undefined, {
      sendQueueBytes: 0,
      sendQueueSoftBytes: 0,
      stallTimeoutMs: 0,
      shutdownTimeoutMs: 10_000
    });
    const stuck = await client(t.port);
    await stuck.nextLine();
    stuck.stopReading();
    const sender = await client(t.port);
    await sender.nextLine();
    const line = 'x'.repeat(4000);
    const queued = async (): Promise<number> => {
      const reply = await request(`${url}api/connections/c1`);
      return (JSON.parse(reply.body) as { row: { queuedBytes: number } }).row
        .queuedBytes;
    };
    let owed = 0;
    for (let batch = 0; batch < 100 && owed < 512 * 1024; batch += 1) {
      await sender.write(`${line}\n`.repeat(50));
      owed = await queued();
    }
    expect(owed).toBeGreaterThanOrEqual(512 * 1024);
    expect((await request(`${url}readyz`)).status).toBe(200);

    const closing = t.daemon.close();
    expect(t.daemon.ready()).toBe(false);
    for (let i = 0; i < 3; i += 1) {
      const ready = await request(`${url}readyz`);
      expect(ready.status).toBe(503);
      expectOneLine(ready, 'not ready: shutting down');
      const health = await request(`${url}healthz`);
      expect(health.status).toBe(200);
    }
    let settled = false;
    void closing.then(() => (settled = true));
    expect(settled).toBe(false);

    stuck.resumeReading();
    await within(closing, 10_000, 'daemon.close()');
    // close() waits until the notice is in the kernel, not until it is read.
    await within(stuck.closed, 10_000, 'the stuck client closing');
    expect(stuck.lines.at(-1)).toBe('Server shutting down');
    await expect(request(`${url}healthz`)).rejects.toMatchObject({
      code: 'ECONNREFUSED'
    });
  });
});

describe('admin access without a token', () => {
  it('answers a foreign Host with 421 and loopback Hosts normally', async () => {
    const { url, port } = await admin();
    for (const path of ['healthz', '', 'metrics', 'events', 'api/machine']) {
      const reply = await request(`${url}${path}`, {
        headers: { host: `evil.example:${port}` }
      });
      expect(reply.status, path).toBe(421);
      expectOneLine(reply, 'this listener answers only to a loopback Host');
    }
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `127.9.8.7:${port}`,
      `[::1]:${port}`,
      'localhost'
    ]) {
      const reply = await request(`${url}healthz`, { headers: { host } });
      expect(reply.status, host).toBe(200);
    }
    for (const host of [
      `localhost.evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `[::2]:${port}`,
      `0.0.0.0:${port}`
    ]) {
      const reply = await request(`${url}healthz`, { headers: { host } });
      expect(reply.status, host).toBe(421);
    }
  });
});

describe('admin access with a token', () => {
  const parseCookie = (
    header: string
  ): { pair: string; attributes: string[] } => {
    const [pair = '', ...attributes] = header.split(';').map((s) => s.trim());
    return { pair, attributes };
  };

  it('refuses a request without the token with 401 and WWW-Authenticate: Bearer', async () => {
    const { url } = await admin(TOKEN);
    for (const path of ['healthz', '', 'inspector.js', 'metrics', 'events']) {
      const reply = await request(`${url}${path}`);
      expect(reply.status, path).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Bearer');
      expectOneLine(reply, 'admin token required');
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
  });

  it('accepts the token as a Bearer header, as ?token= and as the cookie /?token= sets', async () => {
    const { url, port } = await admin(TOKEN);
    const bearer = await request(`${url}metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` }
    });
    expect(bearer.status).toBe(200);
    const query = await request(`${url}healthz?token=${TOKEN}`);
    expect(query.status).toBe(200);
    // With a token, the Host header no longer matters.
    const foreign = await request(`${url}healthz`, {
      headers: {
        authorization: `Bearer ${TOKEN}`,
        host: `evil.example:${port}`
      }
    });
    expect(foreign.status).toBe(200);

    const page = await request(`${url}?token=${encodeURIComponent(TOKEN)}`);
    expect(page.status).toBe(200);
    const setCookie = page.headers['set-cookie'];
    expect(setCookie).toHaveLength(1);
    const { pair, attributes } = parseCookie(setCookie?.[0] ?? '');
    expect(pair).toBe(`chat_admin_token=${encodeURIComponent(TOKEN)}`);
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Strict');
    expect(attributes).toContain('Path=/');

    // The page's own requests carry only the cookie.
    for (const path of [
      'inspector.js',
      'inspector.css',
      'metrics',
      'healthz'
    ]) {
      const reply = await request(`${url}${path}`, {
        headers: { cookie: pair }
      });
      expect(reply.status, path).toBe(200);
    }
    const events = await openSse(`${url}events`, {
      headers: { cookie: `other=1; ${pair}` }
    });
    cleanups.add(() => events.close());
    expect(events.status).toBe(200);
    await events.next('hello');

    // The page opened with a Bearer header sets no cookie.
    const plain = await request(url, {
      headers: { authorization: `Bearer ${TOKEN}` }
    });
    expect(plain.status).toBe(200);
    expect(plain.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a wrong token of the same or another length, however offered', async () => {
    const { url } = await admin(TOKEN);
    const sameLength = `${TOKEN.slice(0, -1)}X`;
    const longer = `${TOKEN}-and-more`;
    const shorter = TOKEN.slice(0, 16);
    for (const wrong of [sameLength, longer, shorter, '']) {
      const tries: Array<[string, Record<string, string>]> = [
        ['healthz', { authorization: `Bearer ${wrong}` }],
        [`healthz?token=${encodeURIComponent(wrong)}`, {}],
        [
          'healthz',
          { cookie: `chat_admin_token=${encodeURIComponent(wrong)}` }
        ],
        [`?token=${encodeURIComponent(wrong)}`, {}]
      ];
      for (const [path, headers] of tries) {
        const reply = await request(`${url}${path}`, { headers });
        expect(
          reply.status,
          `${wrong} ${path} ${JSON.stringify(headers)}`
        ).toBe(401);
        expect(reply.headers['www-authenticate']).toBe('Bearer');
        expect(reply.headers['set-cookie']).toBeUndefined();
      }
    }
  });
});

describe('admin listener settings', () => {
  /**
   * Watches every `listen()` of this process: refuses (throws) any that
   * would bind off loopback, so a regression can never open a public port
   * from a test, and records the rest.
   */
  function watchListens(): Array<{ server: Server; host: string | undefined }> {
    const seen: Array<{ server: Server; host: string | undefined }> = [];
    const original = Reflect.get(Server.prototype, 'listen') as (
      this: Server,
      ...args: unknown[]
    ) => Server;
    const spy = vi
      .spyOn(Server.prototype, 'listen')
      .mockImplementation(function (this: Server, ...args: unknown[]) {
        const [first, second] = args;
        const host =
          typeof first === 'object' && first !== null
            ? (first as ListenOptions).host
            : typeof second === 'string'
              ? second
              : undefined;
        seen.push({ server: this, host });
        if (host === undefined || !isLoopbackHost(host)) {
          throw new Error(`test refuses to listen on ${String(host)}`);
        }
        return original.apply(this, args);
      } as Server['listen']);
    cleanups.add(() => spy.mockRestore());
    return seen;
  }

  function quietLogger(): ReturnType<typeof createLogger> {
    return createLogger({ level: 'error', console: new PassThrough() });
  }

  it('rejects a non-loopback admin host without a token in one line, before listening on it', async () => {
    const seen = watchListens();
    const started = startDaemon({
      logger: quietLogger(),
      host: '127.0.0.1',
      port: 0,
      admin: { host: '0.0.0.0', port: 0 }
    });
    const failure = await started.then(
      () => null,
      (err: unknown) => err
    );
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toBe(
      'the admin listener on 0.0.0.0 (not loopback) needs a token (--admin-token)'
    );
    expect(message).not.toContain('\n');
    // Checked before anything listens: not even the chat port.
    expect(seen).toEqual([]);
  });

  it('rejects a token shorter than 16 characters in one line', async () => {
    const seen = watchListens();
    const failure = await startDaemon({
      logger: quietLogger(),
      host: '127.0.0.1',
      port: 0,
      admin: { ...LOOPBACK, token: 'fifteen-chars-x' }
    }).then(
      () => null,
      (err: unknown) => err
    );
    expect((failure as Error).message).toBe(
      'admin token too short (at least 16 characters)'
    );
    expect(seen).toEqual([]);
  });

  it('accepts a token of exactly 16 characters', async () => {
    const { url } = await admin('sixteen-chars-xx');
    const reply = await request(`${url}healthz`, {
      headers: { authorization: 'Bearer sixteen-chars-xx' }
    });
    expect(reply.status).toBe(200);
  });

  it('listens on ::1 when asked, with a bracketed URL', async () => {
    const t = await daemon({ admin: { host: '::1', port: 0 } });
    const info = t.daemon.admin;
    expect(info?.url).toBe(`http://[::1]:${info?.port}/`);
    const reply = await request(`${info?.url}healthz`);
    expect(reply.status).toBe(200);
  });
});
