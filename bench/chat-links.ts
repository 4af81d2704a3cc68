/**
 * How the load generator (bench/loadgen.ts) reaches the server: one connect
 * function per transport (issue 18), each giving a `ChatLink` that writes
 * whole lines and hands every byte read to one callback as lines ending in
 * LF, so the generator's checks are the same over every transport.
 *
 * - `tcp`: `node:net`, reading into one shared buffer (`onread`);
 * - `tls`: `node:tls`; the throwaway certificate is not verified (the
 *   handshake is not what is measured, the deliveries after it are);
 * - `ws`: the `ws` package's client. The server sends one message per line
 *   without its LF ([CHAT-WS-2]), so each message is handed on with an LF
 *   put back: the generator counts messages as lines. It sends one message
 *   per line, as the chat page does.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { WebSocket, type RawData } from 'ws';

/** A transport the daemon listens on. */
export type Transport = 'tcp' | 'tls' | 'ws';

/** Every transport, in table order: plain TCP (the reference) first. */
export const TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'ws'];

/** Where a client connects: a transport and its port. */
export interface Endpoint {
  transport: Transport;
  port: number;
}

/** One chatting client's connection, whatever its transport. */
export interface ChatLink {
  /** `IP:PORT` of this end, as the server names the client in `[IP:PORT]`. */
  readonly address: string;
  /** Sends `text`, whole lines each ending in LF. */
  write(text: string): void;
  /** Called once when the connection closes, for whatever reason. */
  onClose(listener: () => void): void;
  destroy(): void;
}

/** Takes one read; the chunk is only valid during the call. */
export type OnBytes = (chunk: Buffer) => void;

const LF = 0x0a;

/**
 * The one buffer every TCP chatter reads into (`onread`): no Buffer and no
 * stream event per read, which is most of what a small read costs. Each
 * read's callback is done with it before the next read starts.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Where a WebSocket message is copied with its LF put back; as above, each
 * message's callback is done with it before the next one comes.
 */
const LINE_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * The lines of `text` (each ending in LF), without their LFs: what the WS
 * client sends as one message each. A last piece without LF is a line too.
 */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The endpoint of client `k` when the clients are spread over `endpoints`
 * in turn (client k on `endpoints[k % length]`): a third each for three.
 */
export function endpointOf(
  endpoints: readonly Endpoint[],
  k: number
): Endpoint {
  const e = endpoints[k % endpoints.length];
  if (e === undefined) throw new Error('endpointOf: no endpoints');
  return e;
}

/** Connects one client over `endpoint.transport`; its reads go to `onBytes`. */
export function connectLink(
  host: string,
  endpoint: Endpoint,
  onBytes: OnBytes
): Promise<ChatLink> {
  switch (endpoint.transport) {
    case 'tcp':
      return socketLink(
        connectTcp({
          host,
          port: endpoint.port,
          noDelay: true,
          onread: {
            buffer: READ_BUFFER,
            callback: (n: number): boolean => {
              onBytes(READ_BUFFER.subarray(0, n));
              return true;
            }
          }
        }),
        'connect',
        null
      );
    case 'tls':
      // node:tls takes no `onread`: 'data' events it is.
      return socketLink(
        connectTls({ host, port: endpoint.port, rejectUnauthorized: false }),
        'secureConnect',
        onBytes
      );
    case 'ws':
      return wsLink(host, endpoint.port, onBytes);
  }
}

/** A TCP or TLS socket as a link, once `ready` fires. */
function socketLink(
  socket: Socket,
  ready: 'connect' | 'secureConnect',
  onData: OnBytes | null
): Promise<ChatLink> {
  if (onData !== null) socket.on('data', onData);
  return new Promise((resolve, reject) => {
    socket.once(ready, () => {
      socket.off('error', reject);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      resolve({
        address: `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`,
        write: (text) => socket.write(text),
        onClose: (listener) => socket.once('close', listener),
        destroy: () => socket.destroy()
      });
    });
    socket.once('error', reject);
  });
}

/** A WebSocket client as a link, once open. */
function wsLink(
  host: string,
  port: number,
  onBytes: OnBytes
): Promise<ChatLink> {
  const ws = new WebSocket(`ws://${host}:${port}/`, {
    perMessageDeflate: false
  });
  let address = '?:0';
  // The upgrade response's socket is the TCP socket under the WebSocket.
  ws.once('upgrade', (res) => {
    const s = res.socket;
    address = `${s.localAddress ?? '?'}:${s.localPort ?? 0}`;
  });
  ws.on('message', (data) => onBytes(withLf(data)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => undefined);
      resolve({
        address,
        write: (text) => {
          for (const line of linesOf(text)) ws.send(line);
        },
        onClose: (listener) => ws.once('close', listener),
        destroy: () => ws.terminate()
      });
    });
    ws.once('error', reject);
  });
}

/** One message and an LF, in LINE_BUFFER when it fits. */
function withLf(data: RawData): Buffer {
  const message = Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data);
  const n = message.length;
  if (n >= LINE_BUFFER.length) return Buffer.concat([message, Buffer.of(LF)]);
  message.copy(LINE_BUFFER, 0);
  LINE_BUFFER[n] = LF;
  return LINE_BUFFER.subarray(0, n + 1);
}
