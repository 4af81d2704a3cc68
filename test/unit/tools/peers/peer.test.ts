/**
 * The fault peer against a plain node:net server on loopback (not the chat
 * daemon), so each misbehaviour is seen exactly as a server sees it.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPeer, type Peer } from '../../../../src/tools/peers/peer.js';
import { createRng } from '../../../../src/tools/peers/rng.js';
import { createCleanups } from '../../../support/cleanup.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const MB = 1024 * 1024;

interface Pair {
  readonly peer: Peer;
  /** The server's side of the peer's connection. */
  readonly remote: Socket;
}

/**
 * A server on 127.0.0.1 port 0 and one peer connected to it. `allowHalfOpen`
 * lets the server keep writing after the peer's FIN, as the chat server does.
 */
async function connectPair(allowHalfOpen = false): Promise<Pair> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen }, (socket) => {
    sockets.add(socket);
    // A reset peer makes the server's socket fail; that is the point here.
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.add(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  );
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const { port } = server.address() as AddressInfo;
  const peer = await connectPeer({ host: '127.0.0.1', port, family: 4 });
  cleanups.add(() => peer.destroy());
  const [remote] = await accepted;
  return { peer, remote };
}

describe('connectPeer', () => {
  it('reports its address as the server sees it', async () => {
    const { peer, remote } = await connectPair();
    expect(peer.localAddr).toBe(`127.0.0.1:${remote.remotePort}`);
  });

  it('writeSliced delivers exactly the bytes, in many small pieces', async () => {
    const { peer, remote } = await connectPair();
    const chunks: Buffer[] = [];
    remote.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(remote, 'end');
    const data = Buffer.from(
      Array.from({ length: 60 }, (_, i) => `line ${i}\n`).join('')
    );

    await peer.writeSliced(data, createRng(11));
    peer.end();
    await ended;

    expect(Buffer.concat(chunks)).toEqual(data);
    // Pieces are 1..7 bytes with 0..2 ms between them; the server's reads
    // may merge pieces sent in the same millisecond, never split fewer.
    expect(chunks.length).toBeGreaterThan(20);
  });

  it('writeSliced keeps to the piece sizes it is given', async () => {
    const { peer, remote } = await connectPair();
    const chunks: Buffer[] = [];
    remote.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(remote, 'end');

    await peer.writeSliced('x'.repeat(100), createRng(12), {
      minPiece: 10,
      maxPiece: 10,
      maxDelayMs: 20
    });
    peer.end();
    await ended;

    expect(Buffer.concat(chunks).toString()).toBe('x'.repeat(100));
    expect(chunks.every((chunk) => chunk.length % 10 === 0)).toBe(true);
    await expect(
      peer.writeSliced('x', createRng(1), { minPiece: 0 })
    ).rejects.toThrow(RangeError);
  });

  it('reset() makes the server see ECONNRESET', async () => {
    const { peer, remote } = await connectPair();
    const failed = once(remote, 'error') as Promise<[NodeJS.ErrnoException]>;

    peer.reset();

    const [err] = await failed;
    expect(err.code).toBe('ECONNRESET');
    await peer.closed;
  });

  it('reset() after end() still closes the socket', async () => {
    const { peer, remote } = await connectPair();
    remote.on('error', () => undefined);
    peer.end();
    peer.reset();

    await peer.closed;
    expect(peer.socket.destroyed).toBe(true);
  });

  it('stopReading() backs up the server, and resumeReading() drains it', async () => {
    const { peer, remote } = await connectPair();
    peer.stopReading();

    remote.write('first line\n');
    const chunk = Buffer.alloc(MB, 'z');
    const started = Date.now();
    let written = 0;
    // Bounded: stop once Node holds several MB the kernel would not take,
    // or at 64 MB, or after 5 s.
    while (
      remote.writableLength < 4 * MB &&
      written < 64 * MB &&
      Date.now() - started < 5000
    ) {
      remote.write(chunk);
      written += chunk.length;
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(remote.writableLength).toBeGreaterThan(0);
    expect(peer.bytes()).toHaveLength(0);
    expect(peer.lines).toEqual([]);

    peer.resumeReading();
    remote.end();
    await peer.closed;
    expect(peer.lines[0]).toBe('first line');
    expect(peer.bytes().length).toBe('first line\n'.length + written);
  });

  it('halfClose() sends FIN and still reads what the server writes', async () => {
    const { peer, remote } = await connectPair(true);
    remote.resume();
    const ended = once(remote, 'end');

    peer.halfClose();
    await ended;
    remote.end('still here\n');

    expect(await peer.nextLine()).toBe('still here');
    await peer.closed;
    expect(peer.error).toBeNull();
  });
});
