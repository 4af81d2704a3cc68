/** The options of a chaos proxy, and their checks. */

/** What the proxy does to the bytes it pipes. */
export type ProxyMode =
  /** Every chunk, each way, is held `delayMs ± jitterMs`; order is kept. */
  | { kind: 'latency'; delayMs: number; jitterMs: number }
  /**
   * From `afterMs` after a connection is accepted, bytes (and a FIN) going
   * `direction` are swallowed; both connections stay open.
   */
  | {
      kind: 'blackhole';
      afterMs: number;
      direction: 'to-server' | 'to-client' | 'both';
    };

/** Options of `startProxy`. */
export interface ProxyOptions {
  /** The server the proxy stands in front of. */
  readonly target: { readonly host: string; readonly port: number };
  readonly mode: ProxyMode;
  /** Seeds the latency jitter: the same seed gives each lane the same delays. */
  readonly seed: number;
  /** Piped pairs at once (default 64); more clients are refused (closed). */
  readonly maxConnections?: number;
}

const DEFAULT_MAX_CONNECTIONS = 64;

/**
 * Checks `startProxy` options and returns the connection bound; throws a
 * one-line RangeError naming the bad option.
 */
export function validateProxyOptions(options: ProxyOptions): number {
  const {
    target,
    mode,
    seed,
    maxConnections = DEFAULT_MAX_CONNECTIONS
  } = options;
  const bad = (what: string): never => {
    throw new RangeError(`startProxy: ${what}`);
  };
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
    bad(`target port ${target.port} is not 1-65535`);
  if (!Number.isInteger(seed)) bad(`seed ${seed} is not an integer`);
  if (!Number.isInteger(maxConnections) || maxConnections < 1)
    bad(`maxConnections ${maxConnections} is not a positive integer`);
  if (mode.kind === 'latency') {
    if (!(mode.delayMs >= 0 && Number.isFinite(mode.delayMs)))
      bad(`delayMs ${mode.delayMs} is not a finite number >= 0`);
    if (!(mode.jitterMs >= 0 && Number.isFinite(mode.jitterMs)))
      bad(`jitterMs ${mode.jitterMs} is not a finite number >= 0`);
  } else {
    if (!(mode.afterMs >= 0 && Number.isFinite(mode.afterMs)))
      bad(`afterMs ${mode.afterMs} is not a finite number >= 0`);
    if (!['to-server', 'to-client', 'both'].includes(mode.direction))
      bad(
        `direction ${String(mode.direction)} is not to-server|to-client|both`
      );
  }
  return maxConnections;
}
