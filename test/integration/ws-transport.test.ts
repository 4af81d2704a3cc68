/**
 * The WebSocket listener (issue 18, part 2) on its own, wired to a real
 * lobby through `ConnectionRegistry` beside a plain TCP listener, as the
 * daemon will wire it: real loopback sockets, `ws` clients and TCP peers.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SLOW_CONSUMER_NOTICE } from '../../src/protocol/format.js';
import { createCleanups } from '../support/cleanup.js';
import { connectClient, type TestClient } from '../support/client.js';
import { until } from '../support/wait.js';
import {
  connectWs,
  startWsRoom,
  type WsClient,
  type WsRoom
} from '../support/ws-room.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

async function start(...args: Parameters<typeof startWsRoom>) {
  const room = await startWsRoom(...args);
  cleanups.add(() => room.close());
  return room;
}

async function ws(
  room: WsRoom,
  options?: Parameters<typeof connectWs>[1]
): Promise<WsClient> {
  const client = await connectWs(room.ws.port, options);
  cleanups.add(() => client.socket.terminate());
  await client.waitFor(/^Connected to the chat server/);
  return client;
}

async function tcp(room: WsRoom): Promise<TestClient> {
  const client = await connectClient(room.tcp.port);
  cleanups.add(() => client.destroy());
  await client.waitForLine((l) => l.startsWith('Connected to the chat server'));
  return client;
}

/** The address the server shows for a `ws` client. */
function addressOf(client: WsClient): string {
  // The raw socket is the only place a ws client's local port shows.
  const { _socket: socket } = client.socket as unknown as {
    _socket: { localAddress: string; localPort: number };
  };
  return `${socket.localAddress}:${socket.localPort}`;
}

describe('WebSocket transport', () => {
  it('carries lines both ways, one text message per line', async () => {
    const room = await start();
    const alice = await ws(room);
    expect(alice.messages).toEqual([
      'Connected to the chat server (1 user online)'
    ]);
    const bob = await tcp(room);
    await alice.waitFor(`New user ${bob.localAddr} entered (2 users online)`);
    alice.socket.send('hello from the browser');
    await alice.waitFor('[You] hello from the browser');
    await bob.waitForLine(`[${addressOf(alice)}] hello from the browser`);
    await bob.send('hello from nc');
    await alice.waitFor(`[${bob.localAddr}] hello from nc`);
    expect(alice.messages.every((m) => !m.includes('\n'))).toBe(true);
    expect(room.ws.counters.linesIn).toBe(1);
  });

  it('splits a message at LF into lines, and sends a batch as one message per line', async () => {
    const room = await start();
    const alice = await ws(room);
    // Three lines in one message, CRLF accepted, a blank one skipped. [CHAT-WS-1]
    alice.socket.send('one\r\ntwo\n\nthree');
    await alice.waitForMessages(4);
    expect(alice.messages.slice(1)).toEqual([
      '[You] one',
      '[You] two',
      '[You] three'
    ]);
    // The room writes the three as one batch; each is its own message. [CHAT-WS-2]
    expect(room.ws.counters.linesOut).toBeGreaterThanOrEqual(4);
  });

  it('paces a flood without losing or reordering a line', async () => {
    const room = await start({ floodRate: 50, floodBurst: 5 });
    const alice = await ws(room);
    const count = 40;
    for (let i = 0; i < count; i += 1) alice.socket.send(`line ${i}`);
    await alice.waitForMessages(1 + count, 10_000);
    expect(alice.messages.slice(1)).toEqual(
      Array.from({ length: count }, (_, i) => `[You] line ${i}`)
    );
    expect(room.ws.counters.pacedLines).toBeGreaterThan(0);
  });

  it('answers an oversize line as TCP does and stays, and closes 1009 on a message over the hard size', async () => {
    const room = await start({ maxLineBytes: 32 });
    const alice = await ws(room);
    alice.socket.send('x'.repeat(40));
    await alice.waitFor(
      'Error: line too long (limit 32 bytes); it was not relayed'
    );
    alice.socket.send('still here');
    await alice.waitFor('[You] still here');
    alice.socket.send('y'.repeat(1000)); // over 4 × 32 [CHAT-WS-3]
    expect(await alice.waitForClose()).toEqual({ code: 1009, reason: '' });
    await until(
      () => room.registry.disconnects()['socket error'] === 1,
      'the leave'
    );
    expect(room.ws.protocolErrors['message too big']).toBe(1);
  });

  it('closes 1003 on a binary message and 1007 on invalid UTF-8', async () => {
    const room = await start();
    const bob = await tcp(room);
    const alice = await ws(room);
    const addr = addressOf(alice);
    alice.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await alice.waitForClose()).toEqual({
      code: 1003,
      reason: 'text messages only'
    });
    await bob.waitForLine(`The user ${addr} left (1 user online)`);
    const carol = await ws(room);
    carol.socket.send(Buffer.from([0x61, 0xff, 0x62]), { binary: false });
    expect((await carol.waitForClose()).code).toBe(1007);
    await until(
      () => room.registry.disconnects()['socket error'] === 2,
      'both leaves'
    );
    expect(room.ws.protocolErrors).toEqual({
      'binary message': 1,
      'invalid utf-8': 1,
      'message too big': 0,
      'no pong': 0,
      other: 0
    });
  });

  it('ends a client that does not read as a slow consumer, notice then 1008', async () => {
    const room = await start({
      floodRate: 0,
      sendQueueBytes: 256 * 1024,
      sendQueueSoftBytes: 32 * 1024,
      stallTimeoutMs: 1000
    });
    const alice = await ws(room);
    const bob = await tcp(room);
    alice.socket.pause();
    const pad = 'z'.repeat(3000);
    // Bounded: ~12 MB at most, well over loopback's kernel buffers.
    for (let i = 0; i < 4000; i += 1) {
      if (room.registry.disconnects()['slow consumer'] > 0) break;
      await bob.send(`${i} ${pad}`);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    await until(
      () => room.registry.disconnects()['slow consumer'] === 1,
      'the slow consumer leave',
      10_000
    );
    alice.socket.resume();
    const closed = await alice.waitForClose(10_000);
    expect(closed).toEqual({ code: 1008, reason: 'slow consumer' });
    expect(alice.messages.at(-1)).toBe(SLOW_CONSUMER_NOTICE);
  });

  it('ends an idle client with its notice, then 1008', async () => {
    const room = await start({ idleTimeoutMs: 200 });
    const alice = await ws(room);
    expect(await alice.waitForClose()).toEqual({
      code: 1008,
      reason: 'idle timeout'
    });
    expect(alice.messages.at(-1)).toMatch(/^Error: disconnected: idle for/);
    expect(room.registry.disconnects()['idle timeout']).toBe(1);
  });

  it('cuts off a peer that stops answering pings', async () => {
    const room = await start({}, { pingIntervalMs: 100 });
    const bob = await tcp(room);
    const alice = await ws(room, { autoPong: false });
    const addr = addressOf(alice);
    await bob.waitForLine(`The user ${addr} left (1 user online)`, 5000);
    expect(room.registry.disconnects()['socket error']).toBe(1);
    expect(room.ws.protocolErrors['no pong']).toBe(1);
    expect((await alice.waitForClose()).code).toBe(1006);
    // One that answers stays.
    const carol = await ws(room);
    await new Promise((r) => setTimeout(r, 400));
    expect(carol.closed).toBeNull();
  });

  it('refuses a foreign origin with 403 and allows its own, none, or a listed one', async () => {
    const room = await start();
    const port = room.ws.port;
    await expect(
      connectWs(port, { origin: 'http://evil.example' })
    ).rejects.toThrow('HTTP 403: origin not allowed');
    expect(room.refused.map((r) => r.reason)).toEqual(['origin not allowed']);
    await ws(room, { origin: `http://127.0.0.1:${port}` });
    await ws(room);
    const listed = await start({}, { origins: ['https://chat.example.org'] });
    await ws(listed, { origin: 'https://chat.example.org' });
    await expect(
      connectWs(listed.ws.port, {
        origin: `http://127.0.0.1:${listed.ws.port}`
      })
    ).rejects.toThrow('HTTP 403');
  });

  it('tells a WebSocket over the connection limit why, then closes 1013', async () => {
    const room = await start({ maxConnections: 1 });
    await ws(room);
    const late = await connectWs(room.ws.port);
    cleanups.add(() => late.socket.terminate());
    expect(await late.waitForClose()).toEqual({
      code: 1013,
      reason: 'server full'
    });
    expect(late.messages).toEqual([
      'Error: server full (1 connection); try again later'
    ]);
    expect(room.refused.map((r) => r.reason)).toEqual(['server full']);
  });

  it('closes 1000 when the client closes, and everyone sees the leave', async () => {
    const room = await start();
    const bob = await tcp(room);
    const alice = await ws(room);
    const addr = addressOf(alice);
    alice.socket.close(1000);
    await bob.waitForLine(`The user ${addr} left (1 user online)`);
    expect((await alice.waitForClose()).code).toBe(1000);
    expect(room.registry.disconnects()['client quit']).toBe(1);
  });

  it('sends the shutdown line last, then closes 1001', async () => {
    const room = await start();
    const alice = await ws(room);
    const bob = await tcp(room);
    await alice.waitForMessages(2);
    await room.shutdown();
    expect(await alice.waitForClose()).toEqual({
      code: 1001,
      reason: 'server shutdown'
    });
    expect(alice.messages.at(-1)).toBe('Server shutting down');
    await bob.closed;
    expect(bob.lines.at(-1)).toBe('Server shutting down');
    expect(room.ws.openSockets()).toBe(0);
  });

  it('gives WebSocket and TCP members one order and the same counts', async () => {
    const room = await start({ floodRate: 0 });
    const alice = await ws(room);
    const bob = await tcp(room);
    const carol = await ws(room);
    const names = new Map([
      [addressOf(alice), 'alice'],
      [bob.localAddr, 'bob'],
      [addressOf(carol), 'carol']
    ]);
    const rounds = 30;
    for (let i = 0; i < rounds; i += 1) {
      alice.socket.send(`a${i}`);
      void bob.send(`b${i}`);
      carol.socket.send(`c${i}`);
    }
    const chat = (lines: readonly string[], self: string): string[] =>
      lines
        .filter((l) => l.startsWith('['))
        .map((l) => {
          const [, who = '', text = ''] = /^\[(.*?)\] (.*)$/.exec(l) ?? [];
          return `${who === 'You' ? self : (names.get(who) ?? who)}:${text}`;
        });
    await until(
      () =>
        chat(alice.messages, 'alice').length === 3 * rounds &&
        chat(carol.messages, 'carol').length === 3 * rounds &&
        chat(bob.lines, 'bob').length === 3 * rounds,
      'every line everywhere',
      10_000
    );
    const order = chat(alice.messages, 'alice');
    expect(chat(carol.messages, 'carol')).toEqual(order);
    expect(chat(bob.lines, 'bob')).toEqual(order);
    expect(carol.messages[0]).toBe(
      'Connected to the chat server (3 users online)'
    );
  });

  it('answers plain HTTP with 404, or with serveHttp', async () => {
    const room = await start();
    expect(await get(room.ws.port)).toEqual({
      status: 404,
      body: 'not found\n'
    });
    const page = await start(
      {},
      {
        serveHttp: (_req, res) => res.end('chat page\n')
      }
    );
    expect(await get(page.ws.port)).toEqual({
      status: 200,
      body: 'chat page\n'
    });
  });
});

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
