// A client-side fault peer, not server transport: it may import node:net/tls.
import { Duplex } from 'node:stream';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  type PeerCertificate,
  type TLSSocket
} from 'node:tls';

/** The wire a peer speaks: plain TCP, TLS, WebSocket, or WebSocket over TLS. */
export type PeerTransportKind = 'tcp' | 'tls' | 'ws' | 'wss';

/** The transport kinds, in the order reports list them. */
export const PEER_TRANSPORTS: readonly PeerTransportKind[] = [
  'tcp',
  'tls',
  'ws',
  'wss'
];

/** How a peer reaches the server, and how it checks a TLS server. */
export interface PeerTransport {
  readonly kind: PeerTransportKind;
  /** PEM CAs to verify the server against (default: the system store). */
  readonly ca?: Buffer;
  /** Accept any certificate (no verification at all). */
  readonly insecure?: boolean;
  /**
   * The name the certificate must carry, when it is not the host dialled
   * (a chaos proxy in front of the server).
   */
  readonly serverName?: string;
}

/** True for `tls` and `wss`: the bytes go through TLS. */
export function isSecure(kind: PeerTransportKind): boolean {
  return kind === 'tls' || kind === 'wss';
}

/** A dialled connection: what the peer reads and writes, and the TCP socket under it. */
export interface Dialled {
  /** The TLS socket over TLS, else the TCP socket itself. */
  readonly socket: Socket;
  /** The TCP socket: an RST (`resetAndDestroy`) needs the TCP handle. */
  readonly raw: Socket;
  /** The event that says the socket is ready: `connect` or `secureConnect`. */
  readonly ready: 'connect' | 'secureConnect';
}

/**
 * `raw` behind a plain duplex stream. TLS over a `net.Socket` shares its
 * native handle, and an RST on that handle under a live TLS socket crashes
 * the process (measured: SIGSEGV in churn); over a JS stream the two are
 * apart and `raw.resetAndDestroy()` is safe. Backpressure is kept: when the
 * TLS side stops reading, `raw` is paused.
 */
function detached(raw: Socket): Duplex {
  const stream = new Duplex({
    read: () => {
      raw.resume();
    },
    write: (chunk: Buffer, _encoding, done) => {
      if (raw.destroyed) done();
      else raw.write(chunk, () => done());
    },
    final: (done) => {
      raw.end();
      done();
    },
    destroy: (_err, done) => {
      raw.destroy();
      done(null);
    }
  });
  raw.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  return stream;
}

/** Where a peer's TCP connection goes, and where from. */
export interface DialTarget {
  readonly host: string;
  readonly port: number;
  readonly family?: 4 | 6;
  /**
   * The address to connect from (another loopback address, say): the
   * kernel may give connections to two ports of one server the same source
   * port, so peers on two listeners of one daemon can share `IP:PORT`.
   */
  readonly localAddress?: string;
}

/**
 * Opens a TCP connection, and TLS over it for `tls`/`wss`. Does not wait:
 * listen for `ready` on `socket`.
 */
export function dial(target: DialTarget, transport: PeerTransport): Dialled {
  const { host, port, family, localAddress } = target;
  const raw = netConnect({
    port,
    host,
    family,
    noDelay: true,
    ...(localAddress !== undefined && { localAddress })
  });
  if (!isSecure(transport.kind)) return { socket: raw, raw, ready: 'connect' };
  const name = transport.serverName ?? host;
  const socket: TLSSocket = tlsConnect({
    socket: detached(raw),
    // SNI carries names only, never an address (RFC 6066).
    ...(isIP(name) === 0 && { servername: name }),
    ...(transport.ca !== undefined && { ca: transport.ca }),
    rejectUnauthorized: transport.insecure !== true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      checkServerIdentity(name, cert)
  });
  // An error of the TCP socket reaches the TLS one too; none may go unheard.
  raw.on('error', () => undefined);
  return { socket, raw, ready: 'secureConnect' };
}

/**
 * Closes abortively: the server sees an RST, not a FIN (nor a TLS
 * close_notify or a WebSocket close frame). After a FIN the TCP socket can
 * only be destroyed: libuv refuses the abortive close of a shut-down stream.
 */
export function resetDialled(d: Pick<Dialled, 'socket' | 'raw'>): void {
  if (d.raw.destroyed) {
    d.socket.destroy();
    return;
  }
  if (d.raw.writableEnded || d.socket.writableEnded) d.raw.destroy();
  else d.raw.resetAndDestroy();
  d.socket.destroy();
}

/** `127.0.0.1:PORT` or `[::1]:PORT`, as the server shows a peer. [CHAT-ADDR-1] */
export function formatLocal(
  address: string | undefined,
  port: number | undefined
): string {
  if (address === undefined || port === undefined) return '(unbound)';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
