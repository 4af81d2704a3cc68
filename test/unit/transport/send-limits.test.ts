/**
 * SendLimits: the send policy Outbound and the replay's MemoryOutbound share
 * (issue 16, item 2), over a pipe whose owed and delivered bytes the test
 * sets by hand, on fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SendLimits,
  type OutboundLimits
} from '../../../src/transport/send-limits.js';
import { systemTimers } from '../../../src/transport/timers.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Limits over a pipe with `queued` bytes owed and `progress` delivered. */
function limited(limits: Partial<OutboundLimits> = {}) {
  const pipe = { queued: 0, progress: 0, calls: [] as string[] };
  const send = new SendLimits(
    {
      sendQueueBytes: 100,
      sendQueueSoftBytes: 40,
      stallTimeoutMs: 1000,
      ...limits
    },
    systemTimers,
    {
      owedBytes: () => pipe.queued,
      progress: () => pipe.progress,
      backpressure: (on) => pipe.calls.push(`backpressure ${on}`),
      dropQueued: () => {
        pipe.calls.push('drop');
        pipe.queued = 0;
      },
      slow: (why, queuedBytes) => pipe.calls.push(`slow ${why} ${queuedBytes}`),
      abort: () => pipe.calls.push('abort')
    }
  );
  /** Owes `bytes` more and checks the marks, as a write does. */
  const write = (bytes: number): void => {
    pipe.queued += bytes;
    send.checkMarks(pipe.queued);
    send.watch();
  };
  /** The peer takes `bytes`. */
  const take = (bytes: number): void => {
    pipe.queued -= bytes;
    pipe.progress += bytes;
    send.releaseIfCaughtUp();
  };
  return { pipe, send, write, take };
}

describe('SendLimits', () => {
  it('holds input once just above the soft mark and releases it at half of it [CHAT-SLOW-1]', () => {
    const { pipe, write, take } = limited({ stallTimeoutMs: 0 });
    write(40);
    expect(pipe.calls).toEqual([]);
    write(1);
    write(10);
    expect(pipe.calls).toEqual(['backpressure true']);
    take(30); // 21 owed: more than half of 40
    expect(pipe.calls).toEqual(['backpressure true']);
    take(1);
    expect(pipe.calls).toEqual(['backpressure true', 'backpressure false']);
    take(10);
    expect(pipe.calls).toHaveLength(2);
  });

  it('gives up over the hard mark once: drops what it can and reports the bytes owed', () => {
    const { pipe, send, write } = limited();
    write(101);
    expect(pipe.calls).toEqual(['drop', 'slow overflow 101']);
    expect(send.abandoned).toBe(true);
    write(500);
    expect(pipe.calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms the stall watchdog while the peer makes progress, and gives up after a whole timeout without any', () => {
    const { pipe, write, take } = limited();
    write(30);
    write(5);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    take(1);
    vi.advanceTimersByTime(1); // progress since armed: re-armed
    expect(pipe.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(pipe.calls).toEqual(['drop', 'slow stall 34']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops watching once the peer has everything', () => {
    const { pipe, write, take } = limited();
    write(10);
    take(10);
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0);
    expect(pipe.calls).toEqual([]);
  });

  it('aborts instead of reporting slow when it gives up while ending', () => {
    const { pipe, send, write } = limited();
    write(10);
    send.end();
    vi.advanceTimersByTime(1000);
    expect(pipe.calls).toEqual(['drop', 'abort']);
  });

  it('arms no watchdog with the stall timeout off, or once it gave up, and dispose() clears one', () => {
    const off = limited({ stallTimeoutMs: 0 });
    off.write(10);
    expect(vi.getTimerCount()).toBe(0);

    const gaveUp = limited();
    gaveUp.write(101);
    gaveUp.pipe.queued = 4; // a cut line kept for the farewell
    gaveUp.send.watch();
    expect(vi.getTimerCount()).toBe(0);

    const disposed = limited();
    disposed.write(10);
    expect(vi.getTimerCount()).toBe(1);
    disposed.send.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
