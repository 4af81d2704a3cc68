// One direction of a chaos-proxy pair; a client-side tool, it may import node:net.
import type { Socket } from 'node:net';

/** The bytes a lane holds before it pauses its source (latency mode). */
export const MAX_LANE_QUEUE_BYTES = 1024 * 1024;

/** What a lane asks of its mode, per chunk. */
export interface LanePolicy {
  /** How long to hold the chunk arriving now, in ms (0: pass it on at once). */
  delayMs(): number;
  /** True while bytes (and FIN) this way are swallowed (blackhole). */
  swallowing(): boolean;
}

/** Where a lane adds up what it forwarded or swallowed. */
export interface LaneCounters {
  forwarded(bytes: number): void;
  swallowed(bytes: number): void;
}

/** One direction of a piped pair: source → (delay or swallow) → destination. */
export interface Lane {
  /** Takes a chunk the source read. */
  push(chunk: Buffer): void;
  /** The source sent FIN: end the destination once what is queued is written. */
  end(): void;
  /** The source closed: end the destination after the queue, then close it. */
  finish(): void;
  /** Drops the queue and timers (the pair is being reset or torn down). */
  clear(): void;
}

interface Held {
  readonly chunk: Buffer;
  /** performance.now() time at which it may be written. */
  readonly due: number;
}

/**
 * Creates a lane that keeps chunk order (each chunk is due no earlier than
 * the one before it) and bounds what it holds: the source is paused while
 * the destination wants a drain or the queue reaches MAX_LANE_QUEUE_BYTES.
 */
export function createLane(
  source: Socket,
  dest: Socket,
  policy: LanePolicy,
  counters: LaneCounters
): Lane {
  let queue: Held[] = [];
  let head = 0;
  let queued = 0;
  let lastDue = 0;
  let draining = false;
  let paused = false;
  let ending: 'none' | 'end' | 'close' = 'none';
  let timer: NodeJS.Timeout | undefined;

  const updatePause = (): void => {
    const full = draining || queued >= MAX_LANE_QUEUE_BYTES;
    if (full && !paused) {
      paused = true;
      source.pause();
    } else if (!full && paused) {
      paused = false;
      source.resume();
    }
  };

  const finishIfDone = (): void => {
    if (head < queue.length || ending === 'none' || dest.destroyed) return;
    if (ending === 'close') {
      dest.end(() => dest.destroy());
    } else {
      dest.end();
    }
    ending = 'none';
  };

  const onDrain = (): void => {
    draining = false;
    forward();
  };

  const forward = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (dest.destroyed) {
      clear();
      return;
    }
    const now = performance.now();
    // Bounded: each turn consumes one held chunk.
    while (!draining && head < queue.length) {
      const held = queue[head] as Held;
      if (held.due > now) {
        timer = setTimeout(forward, Math.max(1, held.due - now));
        timer.unref();
        break;
      }
      head += 1;
      queued -= held.chunk.length;
      counters.forwarded(held.chunk.length);
      if (!dest.write(held.chunk)) {
        draining = true;
        dest.once('drain', onDrain);
      }
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    finishIfDone();
    updatePause();
  };

  const clear = (): void => {
    clearTimeout(timer);
    timer = undefined;
    queue = [];
    head = 0;
    queued = 0;
    ending = 'none';
    dest.off('drain', onDrain);
  };

  return {
    push(chunk) {
      if (policy.swallowing()) {
        counters.swallowed(chunk.length);
        return;
      }
      const due = Math.max(lastDue, performance.now() + policy.delayMs());
      lastDue = due;
      queue.push({ chunk, due });
      queued += chunk.length;
      forward();
    },
    end() {
      // A black hole loses the FIN too: the far side must not learn of it.
      if (policy.swallowing()) return;
      if (ending === 'none') ending = 'end';
      forward();
    },
    finish() {
      ending = 'close';
      forward();
    },
    clear
  };
}
