import { describe, expect, it, vi } from 'vitest';
import { LeavesOut } from '../../../src/cluster/leaves-out.js';

describe('LeavesOut', () => {
  it('is done at once with no leave out', async () => {
    expect(await new LeavesOut().allBack(1000)).toBe(true);
  });

  it('waits for every leave out to come back', async () => {
    const leaves = new LeavesOut();
    leaves.out('c1');
    leaves.out('c2');
    let done: boolean | null = null;
    const waiting = leaves.allBack(10_000).then((value) => {
      done = value;
    });
    leaves.back('c1');
    await Promise.resolve();
    expect(done).toBe(null);
    leaves.back('c2');
    await waiting;
    expect(done).toBe(true);
  });

  it('gives up after the bound, and when Redis is out of reach', async () => {
    vi.useFakeTimers();
    try {
      const leaves = new LeavesOut();
      leaves.out('c1');
      const late = leaves.allBack(500);
      vi.advanceTimersByTime(500);
      expect(await late).toBe(false);
      const cleared = leaves.allBack(500);
      leaves.clear();
      expect(await cleared).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
