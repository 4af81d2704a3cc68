import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPauses } from '../../../../src/tools/chaos/pauses.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Whether `promise` has settled by now (after the microtasks queued). */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('createPauses', () => {
  it('ends a pause after its time', async () => {
    const pause = createPauses().pause(100);
    await vi.advanceTimersByTimeAsync(99);
    expect(await settled(pause)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(pause)).toBe(true);
  });

  it('ends every pending pause at once on wakeAll, and leaves no timer', async () => {
    const pauses = createPauses();
    const short = pauses.pause(50);
    const long = pauses.pause(10_000);
    pauses.wakeAll();
    expect(await settled(short)).toBe(true);
    expect(await settled(long)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a pause begun after wakeAll wait its time', async () => {
    const pauses = createPauses();
    pauses.wakeAll();
    const later = pauses.pause(100);
    expect(await settled(later)).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(later)).toBe(true);
  });
});
