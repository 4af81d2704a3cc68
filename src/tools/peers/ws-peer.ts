// A client-side fault peer, not server transport: it may use the ws client.
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { createLineInbox } from './line-inbox.js';
import {
  DEFAULT_TIMEOUT_MS,
  inboxReads,
  writeInSlices,
  type Peer,
  type PeerOptions
} from './peer-api.js';
import {
  dial,
  formatLocal,
  isSecure,
  resetDialled,
  type Dialled
} from './transport.js';

const NEWLINE = Buffer.from('\n');

/** `ws://HOST:PORT/` (or `wss://`), an IPv6 host in brackets. */
export function wsUrl(host: string, port: number, secure: boolean): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${secure ? 'wss' : 'ws'}://${shown}:${port}/`;
}

/**
 * Connects a WebSocket peer (`ws://HOST:PORT/`, or `wss://` over TLS) and
 * resolves once the upgrade is done. Bytes written are cut at `\n` into
 * one text message per line; a trailing piece goes out as a non-final
 * fragment (so a line written in pieces is one message in many frames,
 * and a reset mid-line leaves a message never finished). No `Origin` is
 * sent: not a browser [CHAT-WS-6].
 */
export function connectWsPeer(options: PeerOptions): Promise<Peer> {
  const { host, port, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const transport = options.transport ?? { kind: 'ws' };
  return new Promise((resolve, reject) => {
    let dialled: Dialled | null = null;
    const ws = new WebSocket(wsUrl(host, port, isSecure(transport.kind)), {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      // Our own dial, so that a reset can reach the TCP socket under TLS.
      createConnection: () => {
        dialled = dial(options, transport);
        return dialled.socket;
      }
    });
    let error: Error | null = null;
    let localAddr = '(unbound)';
    let fragmenting = false;
    const inbox = createLineInbox(() => ({ name: localAddr, error }));
    ws.on('message', (data: Buffer) =>
      inbox.receive(Buffer.concat([data, NEWLINE]))
    );
    ws.on('error', (err) => {
      error ??= err;
    });
    const closed = new Promise<void>((resolveClosed) => {
      ws.once('close', () => {
        inbox.close();
        resolveClosed();
      });
    });
    const socketOf = (): Dialled => {
      if (dialled === null) throw new Error('ws peer: not dialled');
      return dialled;
    };
    const gone = (): boolean =>
      ws.readyState === WebSocket.CLOSED || socketOf().raw.destroyed;

    const send = (data: Buffer, binary: boolean, fin: boolean) =>
      new Promise<void>((done) => {
        if (ws.readyState !== WebSocket.OPEN) {
          done();
          return;
        }
        ws.send(data, { binary, fin, mask: true }, () => done());
      });

    // Each `\n` ends a message; what follows the last one is a fragment.
    const write = async (raw: string | Buffer): Promise<void> => {
      const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
      let at = 0;
      for (
        let nl = bytes.indexOf(0x0a);
        nl >= 0;
        nl = bytes.indexOf(0x0a, at)
      ) {
        await send(bytes.subarray(at, nl), false, true);
        fragmenting = false;
        at = nl + 1;
      }
      if (at < bytes.length) {
        await send(bytes.subarray(at), false, false);
        fragmenting = true;
      }
    };

    const peer: Peer = {
      transport: transport.kind,
      get socket(): Socket {
        return socketOf().socket;
      },
      get destroyed() {
        return gone();
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
      // A binary frame may not interleave an unfinished text message.
      binary: (raw) =>
        fragmenting ? Promise.resolve() : send(raw, true, true),
      writeSliced: (data, rng, slice) =>
        writeInSlices(write, gone, data, rng, slice),
      end: () => ws.close(1000),
      halfClose: () => ws.close(1000),
      reset: () => {
        resetDialled(socketOf());
        ws.terminate();
      },
      // ws pauses its socket: the kernel window fills as over plain TCP.
      stopReading: () => ws.pause(),
      resumeReading: () => ws.resume(),
      destroy: () => ws.terminate()
    };

    ws.once('open', () => {
      const { raw } = socketOf();
      localAddr = formatLocal(raw.localAddress, raw.localPort);
      resolve(peer);
    });
    ws.once('close', () => reject(error ?? new Error('closed before open')));
  });
}
