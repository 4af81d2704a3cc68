// A client-side fault peer, not server transport: it may import node:net.
import { createLineInbox } from './line-inbox.js';
import {
  DEFAULT_TIMEOUT_MS,
  inboxReads,
  writeInSlices,
  type Peer,
  type PeerOptions
} from './peer-api.js';
import { dial, formatLocal, resetDialled } from './transport.js';
import { connectWsPeer } from './ws-peer.js';

export type { LineMatch } from './line-inbox.js';
export type { Peer, PeerOptions, SliceOptions } from './peer-api.js';
export type { PeerTransport, PeerTransportKind } from './transport.js';

/**
 * Connects over `options.transport` (plain TCP when absent) and resolves
 * once connected (the TLS or WebSocket handshake done). Registers nothing:
 * the caller destroys the peer (normally from a cleanups list).
 *
 * @example
 * const peer = await connectPeer({ host: '127.0.0.1', port });
 * await peer.writeSliced('hello\n', createRng(7));
 * peer.reset();
 */
export function connectPeer(options: PeerOptions): Promise<Peer> {
  const kind = options.transport?.kind ?? 'tcp';
  return kind === 'ws' || kind === 'wss'
    ? connectWsPeer(options)
    : connectStreamPeer(options);
}

/** A peer over a byte stream: plain TCP, or TLS over it. */
function connectStreamPeer(options: PeerOptions): Promise<Peer> {
  const { host, port, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const transport = options.transport ?? { kind: 'tcp' };
  return new Promise((resolve, reject) => {
    const dialled = dial(options, transport);
    const { socket, raw } = dialled;
    let error: Error | null = null;
    let localAddr = '(unbound)';
    const inbox = createLineInbox(() => ({ name: localAddr, error }));

    socket.on('data', (chunk: Buffer) => inbox.receive(chunk));
    socket.on('error', (err) => {
      error ??= err;
    });
    const closed = new Promise<void>((resolveClosed) => {
      socket.once('close', () => {
        inbox.close();
        resolveClosed();
      });
    });

    const write = (data: string | Buffer): Promise<void> =>
      new Promise((resolveWrite) => {
        if (socket.destroyed || !socket.writable) {
          resolveWrite();
          return;
        }
        socket.write(data, () => resolveWrite());
      });

    const peer: Peer = {
      transport: transport.kind,
      socket,
      get destroyed() {
        return socket.destroyed;
      },
      get localAddr() {
        return localAddr;
      },
      ...inboxReads(inbox),
      get error() {
        return error;
      },
      closed,
      send: (text) => write(`${text}\n`),
      write,
      binary: write,
      writeSliced: (data, rng, slice) =>
        writeInSlices(write, () => socket.destroyed, data, rng, slice),
      end: () => socket.end(),
      halfClose: () => socket.end(),
      reset: () => resetDialled(dialled),
      // pause() stops the handle's reads once Node's own small buffer is
      // full, so what the server writes piles up in the kernel, then in its
      // socket's writableLength: the slow consumer the fault suite needs.
      stopReading: () => {
        socket.pause();
      },
      resumeReading: () => {
        socket.resume();
      },
      destroy: () => {
        socket.destroy();
        raw.destroy();
      }
    };

    const timer = setTimeout(() => {
      socket.destroy();
      raw.destroy();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms connecting to ${host}:${port}`
        )
      );
    }, timeoutMs);
    let connected = false;
    socket.once(dialled.ready, () => {
      connected = true;
      clearTimeout(timer);
      localAddr = formatLocal(raw.localAddress, raw.localPort);
      resolve(peer);
    });
    socket.once('error', (err) => {
      if (!connected) {
        clearTimeout(timer);
        raw.destroy();
        reject(err);
      }
    });
  });
}
