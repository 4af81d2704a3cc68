import { connectPeer, type Peer } from '../../src/tools/peers/peer.js';
import type { Endpoint } from './transports.js';

export {
  type Peer as TestClient,
  type LineMatch
} from '../../src/tools/peers/peer.js';

/**
 * Connects to the daemon and resolves once connected. Registers nothing:
 * the caller destroys the client (normally from a cleanups list). The client
 * itself lives in src/tools/peers/peer.ts, shared with the fault suite and
 * chat-chaos. `port` may be an `Endpoint` (test/support/transports.ts) to
 * connect over TLS or WebSocket.
 */
export function connectClient(
  port: number | Endpoint,
  host = '127.0.0.1',
  timeoutMs?: number
): Promise<Peer> {
  return typeof port === 'number'
    ? connectPeer({ host, port, timeoutMs })
    : connectPeer({ host, timeoutMs, ...port });
}
