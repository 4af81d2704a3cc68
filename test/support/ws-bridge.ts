/**
 * A stand-in for the daemon's WebSocket listener (issue 18 part 2) until it
 * lands: an HTTP server that serves the chat page with `createChatPage()`
 * and upgrades `/` to a WebSocket, relaying each message as one line to a
 * daemon's TCP port and each line back as one message. Test-only.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createChatPage } from '../../src/app/chat-page.js';

/** A running bridge. */
export interface WsBridge {
  readonly port: number;
  /** `http://127.0.0.1:PORT/`: the page, and the socket it connects to. */
  readonly url: string;
  /** WebSockets open right now. */
  clients(): number;
  /** Closes every WebSocket and its TCP leg, then stops listening. */
  close(): Promise<void>;
}

export interface WsBridgeOptions {
  /** The daemon's TCP port on 127.0.0.1. */
  readonly chatPort: number;
  /** Default 0: a free port. */
  readonly port?: number;
}

/** Relays one WebSocket to a new TCP connection, line for message. */
function relay(ws: WebSocket, chatPort: number, tcps: Set<Socket>): void {
  const tcp = connect({ host: '127.0.0.1', port: chatPort });
  tcps.add(tcp);
  let partial = '';
  tcp.setEncoding('utf8');
  tcp.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) ws.send(line);
  });
  // The daemon closed (shutdown, /quit) or could not be reached.
  tcp.on('close', () => {
    tcps.delete(tcp);
    ws.close(1001, 'chat connection closed');
  });
  tcp.on('error', () => undefined);
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) tcp.write(`${data.toString('utf8')}\n`);
  });
  ws.on('close', () => tcp.end());
  ws.on('error', () => tcp.destroy());
}

/**
 * Starts a bridge on 127.0.0.1 to the daemon at `chatPort`. Registers
 * nothing: the caller closes it (normally from a cleanups list).
 */
export async function startWsBridge(
  options: WsBridgeOptions
): Promise<WsBridge> {
  const serveHttp = createChatPage();
  const server: Server = createServer(serveHttp);
  const wss = new WebSocketServer({ noServer: true });
  const tcps = new Set<Socket>();
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://bridge.invalid').pathname !== '/') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      relay(ws, options.chatPort, tcps)
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the bridge has no TCP address');
  const port = address.port;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    clients: () => wss.clients.size,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      for (const tcp of tcps) tcp.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}
