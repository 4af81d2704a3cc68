import type { ConnectionPort } from '../../src/machines/types.js';

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
    const wrapped: ConnectionPort = {
      remote: port.remote,
      get queuedBytes() {
        return port.queuedBytes;
      },
      // `lines`: a batch is one write of several lines (for the counters).
      write: (data, lines) => port.write(data, lines),
      end: (farewell) => port.end(farewell),
      destroy: () => port.destroy(),
      pauseInput: () => port.pauseInput(),
      resumeInput: () => port.resumeInput(),
      attach: (sink) => port.attach(sink),
      relay: (sink) => port.relay(sink)
    };
    return Object.assign(wrapped, change(port));
  };
}
