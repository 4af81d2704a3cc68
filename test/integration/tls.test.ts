/**
 * The TLS listener (issue 18): the protocol over TLS, a TLS and a plain
 * client in one room, `plain: false`, handshakes that fail (silence, plain
 * text on the TLS port, a ClientHello on the plain port), `openssl s_client`
 * as a client, and the counts in stats and `/metrics`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { certDir, makeCert, type TestCert } from '../support/certs.js';
import { createHarness, online } from '../support/harness.js';
import { request } from '../support/sse.js';
import { connectTls } from '../support/tls-client.js';
import { until } from '../support/wait.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

function tlsDaemon(cert: TestCert, extra: Record<string, unknown> = {}) {
  return daemon({
    tls: { port: 0, cert: cert.cert, key: cert.key, ...extra },
    ...(extra.plain === false && { plain: false })
  });
}

async function tlsClient(port: number, ca: string) {
  const c = await connectTls(port, ca);
  cleanups.add(() => c.socket.destroy());
  return c;
}

describe('TLS listener', () => {
  it('speaks the protocol over TLS and relays between a TLS and a plain client in one order', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert);
    const tlsPort = t.daemon.tls?.port ?? 0;
    expect(tlsPort).toBeGreaterThan(0);
    expect(tlsPort).not.toBe(t.port);

    const s = await tlsClient(tlsPort, cert.cert);
    await s.waitForLine(`Connected to the chat server (${online(1)})`);
    const p = await client(t.port);
    cleanups.add(() => p.socket.destroy());
    await p.waitForLine(`Connected to the chat server (${online(2)})`);
    await s.waitForLine(`New user ${p.localAddr} entered (${online(2)})`);

    s.send('hello from tls');
    await s.waitForLine('[You] hello from tls');
    await p.waitForLine(`[${s.localAddr}] hello from tls`);
    await p.send('hello from tcp\n');
    await s.waitForLine(`[${p.localAddr}] hello from tcp`);
    s.send('second');
    await p.waitForLine(`[${s.localAddr}] second`);
    // One order: the plain client saw the TLS lines around its own in order.
    expect(
      p.lines.filter((l) => l.includes('hello from') || l.endsWith('second'))
    ).toEqual([
      `[${s.localAddr}] hello from tls`,
      '[You] hello from tcp',
      `[${s.localAddr}] second`
    ]);

    // Half-close over TLS: our FIN (close_notify, then FIN) still gets the
    // echo of the last line and the server's close.
    s.send('last words');
    s.socket.end();
    await s.waitForLine('[You] last words');
    await s.closed;
    await p.waitForLine(`The user ${s.localAddr} left (${online(1)})`);
    const stats = t.daemon.stats();
    expect(stats.accepted).toBe(2);
    expect(stats.traffic.linesIn).toBe(4);
  });

  it('runs TLS alone with plain: false', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert, { plain: false });
    expect(t.daemon.tls?.port).toBe(t.port);
    const s = await tlsClient(t.port, cert.cert);
    await s.waitForLine(`Connected to the chat server (${online(1)})`);
  });

  it('shares one connection limit between the listeners', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await daemon({
      maxConnections: 1,
      tls: { port: 0, cert: cert.cert, key: cert.key }
    });
    const p = await client(t.port);
    cleanups.add(() => p.socket.destroy());
    await p.waitForLine(`Connected to the chat server (${online(1)})`);
    const s = await tlsClient(t.daemon.tls?.port ?? 0, cert.cert);
    await s.waitForLine((l: string) => l.startsWith('Error: server full'));
  });

  it('closes and counts a handshake that never finishes', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert, { handshakeTimeoutMs: 300 });
    const raw = connect({ host: '127.0.0.1', port: t.daemon.tls?.port ?? 0 });
    cleanups.add(() => raw.destroy());
    raw.on('error', () => undefined);
    const closed = new Promise<void>((done) => raw.once('close', () => done()));
    await closed;
    expect(t.daemon.stats().tlsHandshakeFailures.timeout).toBe(1);
    expect(t.daemon.stats().sockets).toBe(0);
  });

  it('says Server shutting down to a TLS member on close, while dropping a handshake under way', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert);
    const tlsPort = t.daemon.tls?.port ?? 0;
    const s = await tlsClient(tlsPort, cert.cert);
    await s.waitForLine(`Connected to the chat server (${online(1)})`);
    // A peer that never starts its handshake: shutdown cuts it at once,
    // and only it (the member's TLS runs over a raw socket of its own).
    const raw = connect({ host: '127.0.0.1', port: tlsPort });
    cleanups.add(() => raw.destroy());
    raw.on('error', () => undefined);
    const rawClosed = new Promise<void>((done) =>
      raw.once('close', () => done())
    );
    await new Promise<void>((done) => raw.once('connect', () => done()));
    await t.daemon.close();
    await rawClosed;
    await s.closed;
    expect(s.lines.at(-1)).toBe('Server shutting down');
    expect(s.socket.readableEnded).toBe(true);
  });

  it('admits only a client whose certificate chains to --tls-ca, with clientAuth', async () => {
    const dir = certDir(cleanups);
    const cert = makeCert(dir, 'server');
    // A self-signed client certificate is its own CA.
    const member = makeCert(dir, 'member', 'member');
    const stranger = makeCert(dir, 'stranger', 'stranger');
    const t = await tlsDaemon(cert, { ca: member.cert, clientAuth: true });
    const port = t.daemon.tls?.port ?? 0;
    /** Connects with `who`'s certificate (or none); resolves with the first line, or with how it ended. */
    const attempt = (who: TestCert | null): Promise<string> =>
      new Promise((resolve) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port,
          ca: readFileSync(cert.cert),
          ...(who && {
            cert: readFileSync(who.cert),
            key: readFileSync(who.key)
          })
        });
        cleanups.add(() => socket.destroy());
        socket.setEncoding('utf8');
        socket.once('data', (chunk: string) =>
          resolve(chunk.split('\n')[0] ?? '')
        );
        socket.once('error', () => resolve('refused'));
        socket.once('close', () => resolve('refused'));
      });
    expect(await attempt(member)).toBe(
      `Connected to the chat server (${online(1)})`
    );
    expect(await attempt(stranger)).toBe('refused');
    expect(await attempt(null)).toBe('refused');
    await until(
      () =>
        Object.values(t.daemon.stats().tlsHandshakeFailures).reduce(
          (a, b) => a + b,
          0
        ) === 2,
      // A stranger's is a bad certificate; a missing one may surface as the
      // client's reset (TLS 1.3 finishes the client's side first).
      'two refused handshakes counted',
      5000,
      () => JSON.stringify(t.daemon.stats().tlsHandshakeFailures)
    );
    expect(t.daemon.stats().accepted).toBe(1);
  });

  it('drops plain text on the TLS port, counted as not tls, and serves on', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert);
    const raw = connect({ host: '127.0.0.1', port: t.daemon.tls?.port ?? 0 });
    cleanups.add(() => raw.destroy());
    raw.on('error', () => undefined);
    raw.write('hello there\n');
    await new Promise<void>((done) => raw.once('close', () => done()));
    expect(t.daemon.stats().tlsHandshakeFailures['not tls']).toBe(1);
    expect(t.daemon.stats().accepted).toBe(0);
    const s = await tlsClient(t.daemon.tls?.port ?? 0, cert.cert);
    await s.waitForLine(`Connected to the chat server (${online(1)})`);
  });

  it('answers a TLS ClientHello on the plain port as a plain client, without harm', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert);
    const hello = tlsConnect({
      host: '127.0.0.1',
      port: t.port,
      ca: cert.cert
    });
    cleanups.add(() => hello.destroy());
    // Our greeting is no TLS record: the client gives up with an error.
    const err = await new Promise<Error>((done) => hello.once('error', done));
    expect(err.message).toMatch(/wrong version number|packet length|record/i);
    const s = await tlsClient(t.daemon.tls?.port ?? 0, cert.cert);
    await s.waitForLine((l: string) =>
      l.startsWith('Connected to the chat server')
    );
  });

  it('chats with openssl s_client', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await tlsDaemon(cert);
    const p = await client(t.port);
    cleanups.add(() => p.socket.destroy());
    await p.waitForLine(`Connected to the chat server (${online(1)})`);
    const child = spawn(
      'openssl',
      [
        's_client',
        '-quiet',
        '-connect',
        `127.0.0.1:${t.daemon.tls?.port ?? 0}`,
        '-CAfile',
        cert.cert
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] }
    );
    cleanups.add(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await until(
      () => out.includes(`Connected to the chat server (${online(2)})`),
      'the greeting in s_client',
      5000,
      () => out
    );
    const entered = await p.waitForLine((l: string) =>
      l.startsWith('New user ')
    );
    const addr = /^New user (\S+) entered/.exec(entered)?.[1] ?? '';
    child.stdin.write('hi from openssl\n');
    await p.waitForLine(`[${addr}] hi from openssl`);
    await p.send('hi back\n');
    await until(
      () => out.includes(`[${p.localAddr}] hi back`),
      'the reply',
      5000,
      () => out
    );
    expect(out).toContain('[You] hi from openssl');
  });

  it('shows the transport in the inspector rows and in /metrics', async () => {
    const cert = makeCert(certDir(cleanups), 'server');
    const t = await daemon({
      admin: { host: '127.0.0.1', port: 0 },
      tls: { port: 0, cert: cert.cert, key: cert.key, handshakeTimeoutMs: 200 }
    });
    const s = await tlsClient(t.daemon.tls?.port ?? 0, cert.cert);
    await s.waitForLine(`Connected to the chat server (${online(1)})`);
    const raw = connect({ host: '127.0.0.1', port: t.daemon.tls?.port ?? 0 });
    cleanups.add(() => raw.destroy());
    raw.on('error', () => undefined);
    await new Promise<void>((done) => raw.once('close', () => done()));
    const url = t.daemon.admin?.url ?? '';
    const metrics = (await request(`${url}metrics`)).body;
    expect(metrics).toMatch(
      /^chat_connections\{transport="tls",state="online"\} 1$/m
    );
    expect(metrics).toMatch(
      /^chat_connections\{transport="tcp",state="online"\} 0$/m
    );
    expect(metrics).toMatch(
      /^chat_tls_handshake_failures_total\{reason="timeout"\} 1$/m
    );
    const rows = JSON.parse((await request(`${url}api/connections`)).body) as {
      rows: { transport: string }[];
    };
    expect(rows.rows.map((r) => r.transport)).toEqual(['tls']);
  });
});
