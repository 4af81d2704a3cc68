import { UsageError } from '../app/errors.js';
import type { DaemonWsOptions } from '../app/daemon.js';
import { listenAddress } from './tls-args.js';

/** The WebSocket options, for `parseCommandLine`. */
export const WS_OPTIONS = {
  ws: { type: 'string' },
  'ws-origin': { type: 'string' }
} as const;

/** The WebSocket options in `chat-server --help`. */
export const WS_USAGE = `WebSocket and the chat page (docs/transports.md):
  --ws [HOST:]PORT            also listen for WebSocket on PORT, one protocol
                              line per text message, and serve the chat page
                              at http://HOST:PORT/
  --ws-origin LIST            Origins allowed, comma-separated
                              (https://chat.example.org), or * for any;
                              default the listener's own`;

/**
 * Reads the WebSocket options; throws a one-line `UsageError` for a bad or
 * stray one.
 *
 * @example parseWsArgs({ ws: '127.0.0.1:8080' })
 */
export function parseWsArgs(values: {
  ws?: string | undefined;
  'ws-origin'?: string | undefined;
}): DaemonWsOptions | undefined {
  const origin = values['ws-origin'];
  if (values.ws === undefined) {
    if (origin !== undefined)
      throw new UsageError('--ws-origin applies to --ws; give it too');
    return undefined;
  }
  const address = listenAddress('ws', values.ws, 8080);
  if (origin === undefined) return address;
  const origins = origin.split(',').map((each) => each.trim());
  const bad = origins.find((each) => each !== '*' && !isOrigin(each));
  if (bad !== undefined)
    throw new UsageError(
      `invalid --ws-origin "${bad}" (expected an origin such as https://chat.example.org, or *)`
    );
  return { ...address, origins };
}

/** `scheme://host[:port]` and nothing more, as browsers send `Origin`. */
function isOrigin(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.origin === raw && url.origin !== 'null';
  } catch {
    return false;
  }
}
