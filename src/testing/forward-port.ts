import type { ConnectionPort } from '../machines/types.js';

/**
 * A port that forwards every call to `port`, with `change`'s members in
 * place of its own: the one way tests and the replay harness wrap a port to
 * watch, alter or break what goes through it, so a method added to
 * `ConnectionPort` is forwarded in one place.
 *
 * @example
 * forwardPort(port, { write: (data, lines) => port.write(data.toString().toUpperCase(), lines) });
 */
export function forwardPort(
  port: ConnectionPort,
  change: Partial<ConnectionPort> = {}
): ConnectionPort {
  const forwarded: ConnectionPort = {
    remote: port.remote,
    transport: port.transport,
    // A getter, not a copy: the queue changes after every write and flush.
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
  return Object.assign(forwarded, change);
}
