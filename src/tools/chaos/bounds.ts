/**
 * The hard bounds of a chaos run: simultaneous connections and bytes sent.
 * Faults ask before they connect or write; a refused fault does less, never
 * more.
 */

/** Connection slots and a byte budget, shared by everything a run opens. */
export interface Bounds {
  /** Takes `n` connection slots; false (and nothing taken) when too few are free. */
  takeConnections(n?: number): boolean;
  /** Gives back `n` slots. */
  releaseConnections(n?: number): void;
  /** Takes `bytes` from the budget; false (and nothing taken) when it would overrun. */
  takeBytes(bytes: number): boolean;
  /** Bytes taken so far. */
  readonly bytesSent: number;
  /** Connections open now. */
  readonly openConnections: number;
}

/**
 * Creates the bounds of one run.
 *
 * @example
 * const bounds = createBounds({ maxConnections: 200, maxBytes: 64 << 20 });
 * if (bounds.takeConnections()) connect();
 */
export function createBounds(limits: {
  maxConnections: number;
  maxBytes: number;
}): Bounds {
  let open = 0;
  let bytes = 0;
  return {
    takeConnections(n = 1) {
      if (open + n > limits.maxConnections) return false;
      open += n;
      return true;
    },
    releaseConnections(n = 1) {
      open = Math.max(0, open - n);
    },
    takeBytes(n) {
      if (bytes + n > limits.maxBytes) return false;
      bytes += n;
      return true;
    },
    get bytesSent() {
      return bytes;
    },
    get openConnections() {
      return open;
    }
  };
}
