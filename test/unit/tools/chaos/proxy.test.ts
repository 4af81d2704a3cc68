/**
 * The chaos proxy on loopback, in front of a tiny echo server (not the chat
 * daemon), so each fault is seen exactly as each side of the pipe sees it.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startProxy,
  type ChaosProxy,
  type ProxyMode
} from '../../../../src/tools/chaos/proxy.js';
import { connectPeer, type Peer } from '../../../../src/tools/peers/peer.js';
import { createCleanups } from '../../../support/cleanup.js';
import { staysTrue, until } from '../../../support/wait.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

interface Echo {
  readonly port: number;
  /** The server's side of every connection, in accept order. */
  readonly accepted: Socket[];
  /** Bytes it received, over all connections. */
  received(): number;
}

/**
 * An echo server on 127.0.0.1 port 0 (half-open allowed, so a FIN from the
 * proxy only ends its reading side); `echo: false` only counts bytes.
 */
async function startEcho(echo = true): Promise<Echo> {
  const accepted: Socket[] = [];
  let received = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (echo) socket.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.add(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of accepted) socket.destroy();
        server.close(() => resolve());
      })
  );
  const { port } = server.address() as AddressInfo;
  return { port, accepted, received: () => received };
}

async function proxyTo(
  echo: Echo,
  mode: ProxyMode,
  maxConnections?: number
): Promise<ChaosProxy> {
  const proxy = await startProxy({
    target: { host: '127.0.0.1', port: echo.port },
    mode,
    seed: 7,
    maxConnections
  });
  cleanups.add(() => proxy.close());
  return proxy;
}

async function client(proxy: ChaosProxy): Promise<Peer> {
  const peer = await connectPeer({ host: proxy.host, port: proxy.port });
  cleanups.add(() => peer.destroy());
  return peer;
}

const MB = 1024 * 1024;
const PASS: ProxyMode = { kind: 'latency', delayMs: 0, jitterMs: 0 };

describe('startProxy', () => {
  it('listens on loopback and pipes both ways', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, PASS);
    const peer = await client(proxy);

    await peer.send('hello');

    expect(await peer.nextLine()).toBe('hello');
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.stats()).toEqual({
      connections: 1,
      bytesToServer: 6,
      bytesToClient: 6,
      swallowed: 0
    });
  });

  it('latency delays every chunk each way and keeps their order', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, {
      kind: 'latency',
      delayMs: 40,
      jitterMs: 30
    });
    const peer = await client(proxy);

    const started = performance.now();
    await peer.send('ping');
    expect(await peer.nextLine()).toBe('ping');
    // Each way at least 40 - 30 ms; timers never fire early.
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);

    // Chunks written 0-2 ms apart with up to ±30 ms of jitter each: only the
    // order-keeping rule stops a later one overtaking an earlier one.
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    for (const line of lines) {
      await peer.send(line);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const got: string[] = [];
    for (let i = 0; i < lines.length; i++) got.push(await peer.nextLine());
    expect(got).toEqual(lines);
  });

  it('blackhole to-server swallows bytes after afterMs and keeps both connections open', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, {
      kind: 'blackhole',
      afterMs: 150,
      direction: 'to-server'
    });
    const peer = await client(proxy);
    await peer.send('before');
    expect(await peer.nextLine()).toBe('before');

    await new Promise((resolve) => setTimeout(resolve, 200));
    await peer.send('after');
    peer.end();

    await until(() => proxy.stats().swallowed === 6, 'the line is swallowed');
    expect(echo.received()).toBe(7);
    // The FIN is swallowed too: the server's side stays open and unended.
    const server = echo.accepted[0] as Socket;
    expect(
      await staysTrue(() => !server.readableEnded && !server.destroyed, 20)
    ).toBe(true);
    expect(peer.lines).toEqual(['before']);
  });

  it('blackhole to-client lets the server hear but the client hears nothing', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, {
      kind: 'blackhole',
      afterMs: 0,
      direction: 'to-client'
    });
    const peer = await client(proxy);

    await peer.send('anyone there');

    await until(() => proxy.stats().swallowed === 13, 'the echo is swallowed');
    expect(echo.received()).toBe(13);
    expect(proxy.stats().bytesToClient).toBe(0);
    expect(peer.bytes()).toHaveLength(0);
    expect(peer.socket.destroyed).toBe(false);
  });

  it('passes a FIN on after the bytes before it, in both directions', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, {
      kind: 'latency',
      delayMs: 20,
      jitterMs: 0
    });
    const peer = await client(proxy);
    await until(() => echo.accepted.length === 1, 'the server accepts');
    const server = echo.accepted[0] as Socket;
    const serverEnded = once(server, 'end');

    await peer.send('last words');
    peer.halfClose();

    await serverEnded;
    // Half-open: the server still writes after the client's FIN.
    server.end('bye\n');
    await peer.closed;
    expect(peer.lines).toEqual(['last words', 'bye']);
    expect(peer.error).toBeNull();
  });

  it('turns a reset from the client into a reset to the server', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, PASS);
    const peer = await client(proxy);
    await until(() => echo.accepted.length === 1, 'the server accepts');
    const server = echo.accepted[0] as Socket;
    const failed = once(server, 'error') as Promise<[NodeJS.ErrnoException]>;

    peer.reset();

    const [err] = await failed;
    expect(err.code).toBe('ECONNRESET');
  });

  it('resets the client when the server resets', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, PASS);
    const peer = await client(proxy);
    await until(() => echo.accepted.length === 1, 'the server accepts');

    (echo.accepted[0] as Socket).resetAndDestroy();

    await peer.closed;
    expect(peer.error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('resets the client when the target refuses the connection', async () => {
    const gone = createServer();
    gone.listen(0, '127.0.0.1');
    await once(gone, 'listening');
    const { port } = gone.address() as AddressInfo;
    await new Promise((resolve) => gone.close(resolve));
    const proxy = await proxyTo(
      { port, accepted: [], received: () => 0 },
      PASS
    );

    const peer = await client(proxy);

    await peer.closed;
    expect(peer.error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('refuses connections over maxConnections', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo(echo, PASS, 2);
    const first = await client(proxy);
    const second = await client(proxy);
    await first.send('one');
    await second.send('two');
    expect(await first.nextLine()).toBe('one');
    expect(await second.nextLine()).toBe('two');

    const third = await client(proxy);
    await third.closed;

    expect(proxy.stats().connections).toBe(2);
    expect(echo.accepted).toHaveLength(2);
    // A slot frees up when a pair closes.
    first.reset();
    await until(() => echo.accepted[0]?.destroyed === true, 'the pair closes');
    const fourth = await client(proxy);
    await fourth.send('four');
    expect(await fourth.nextLine()).toBe('four');
  });

  it.each([
    ['passing through', PASS],
    ['with latency', { kind: 'latency', delayMs: 5, jitterMs: 5 }]
  ] as const)(
    'pushes back on the server when the client does not read (%s)',
    async (_name, mode) => {
      const echo = await startEcho(false);
      const proxy = await proxyTo(echo, mode);
      const peer = await client(proxy);
      peer.stopReading();
      await until(() => echo.accepted.length === 1, 'the server accepts');
      const server = echo.accepted[0] as Socket;
      const data = Buffer.alloc(24 * MB);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);

      for (let at = 0; at < data.length; at += MB) {
        server.write(data.subarray(at, at + MB));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));

      // The kernel buffers on both sides of the proxy take a few MiB (3 MiB
      // measured with no proxy at all); a proxy that read without bound
      // would have taken all 24.
      expect(server.writableLength).toBeGreaterThan(12 * MB);
      expect(proxy.stats().bytesToClient).toBeLessThan(12 * MB);

      peer.resumeReading();
      server.end();
      await peer.closed;
      expect(peer.bytes().equals(data)).toBe(true);
    }
  );

  it('close() ends every pair and resolves once all sockets are closed', async () => {
    const echo = await startEcho();
    const proxy = await startProxy({
      target: { host: '127.0.0.1', port: echo.port },
      mode: { kind: 'latency', delayMs: 1000, jitterMs: 0 },
      seed: 3
    });
    const peers = [await client(proxy), await client(proxy)];
    await peers[0]?.send('held in the queue');
    await until(() => echo.accepted.length === 2, 'the server accepts both');

    await proxy.close();

    await Promise.all(peers.map((p) => p.closed));
    await until(
      () => echo.accepted.every((s) => s.destroyed || s.readableEnded),
      'the server sides close'
    );
    await expect(
      connectPeer({ host: proxy.host, port: proxy.port })
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects bad options with a one-line RangeError', async () => {
    const target = { host: '127.0.0.1', port: 9 };
    await expect(
      startProxy({
        target,
        mode: { kind: 'latency', delayMs: -1, jitterMs: 0 },
        seed: 1
      })
    ).rejects.toThrow(/^startProxy: delayMs -1 is not a finite number >= 0$/);
    await expect(
      startProxy({
        target: { host: '127.0.0.1', port: 0 },
        mode: PASS,
        seed: 1
      })
    ).rejects.toThrow(RangeError);
    await expect(
      startProxy({ target, mode: PASS, seed: 1, maxConnections: 0 })
    ).rejects.toThrow(/maxConnections 0/);
  });
});
