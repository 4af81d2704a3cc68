/**
 * src/app/chat-page.ts over a real HTTP server on 127.0.0.1: what it
 * serves, with which headers, and what it refuses.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  createChatPage
} from '../../../src/app/chat-page.js';

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer(createChatPage());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const file = (name: string): string =>
  readFileSync(new URL(`../../../web/chat/${name}`, import.meta.url), 'utf8');

describe('createChatPage', () => {
  it.each([
    ['/', 'index.html', 'text/html'],
    ['/chat.js', 'chat.js', 'text/javascript'],
    ['/chat.css', 'chat.css', 'text/css'],
    ['/lines.js', 'lines.js', 'text/javascript'],
    ['/connection.js', 'connection.js', 'text/javascript'],
    ['/who.js', 'who.js', 'text/javascript'],
    ['/?reconnect=1', 'index.html', 'text/html']
  ])('serves %s from web/chat/%s', async (path, name, type) => {
    const res = await fetch(base + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const host = new URL(base).host;
    expect(res.headers.get('content-security-policy')).toBe(
      contentSecurityPolicy(host)
    );
    expect(await res.text()).toBe(file(name));
  });

  it('lets the page connect to its own host over ws: and wss: only', () => {
    const policy = contentSecurityPolicy('127.0.0.1:8080');
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain(
      "connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;"
    );
    expect(contentSecurityPolicy('[::1]:80')).toContain('ws://[::1]:80 ');
    // A Host header that is not a host never reaches the policy.
    for (const odd of [undefined, 'a b', "x'; script-src *", 'x;y'])
      expect(contentSecurityPolicy(odd)).toContain("connect-src 'self';");
  });

  it('answers any other path with one 404 line', async () => {
    for (const path of [
      '/favicon.ico',
      '/index.html',
      '/../package.json',
      '/x'
    ]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('not found\n');
    }
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const res = await fetch(`${base}/`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${base}/chat.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(
      Buffer.byteLength(file('chat.js'))
    );
  });
});
