import type { ConnectionPort } from '../../src/machines/types.js';
import { forwardPort } from '../../src/testing/forward-port.js';

/**
 * A `wrapPort` for `startDaemon` that gives the connection `victim` (`c1`,
 * `c2`, … in accept order) a port with `change`'s methods in place of its
 * own, and leaves every other connection's port as it is.
 *
 * @example
 * daemon({ wrapPort: replacePort('c2', () => ({ write: () => { throw new Error('boom'); } })) });
 */
export function replacePort(
  victim: string,
  change: (port: ConnectionPort) => Partial<ConnectionPort>
): (port: ConnectionPort, connId: string) => ConnectionPort {
  return (port, connId) => {
    if (connId !== victim) return port;
    return forwardPort(port, change(port));
  };
}
