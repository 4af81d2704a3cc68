import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/transport/token-bucket.js';

/** A clock the test moves by hand (milliseconds). */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: (): number => now,
    advance(ms: number): void {
      now += ms;
    }
  };
}

/** Takes tokens until the bucket refuses (at most `max` tries); returns how many it gave. */
function drain(bucket: TokenBucket, max = 1000): number {
  let taken = 0;
  while (taken < max && bucket.take()) taken += 1;
  return taken;
}

describe('TokenBucket', () => {
  it('starts full: gives exactly burst tokens at once, then refuses', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 3, clock.now);
    expect(bucket.msUntilToken()).toBe(0);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true
    ]);
    expect(bucket.take()).toBe(false);
    expect(bucket.take()).toBe(false);
  });

  it('refills at rate tokens per second', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 3, clock.now);
    expect(drain(bucket)).toBe(3);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(250);
    expect(drain(bucket)).toBe(2);
  });

  it('keeps a partial token across refusals', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 1, clock.now);
    expect(bucket.take()).toBe(true);
    clock.advance(60);
    expect(bucket.take()).toBe(false);
    clock.advance(40);
    expect(bucket.take()).toBe(true);
  });

  it('caps at burst however long it waits', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 3, clock.now);
    expect(drain(bucket)).toBe(3);
    clock.advance(60_000);
    expect(drain(bucket)).toBe(3);
    expect(bucket.msUntilToken()).toBe(100);
  });

  it('says how long until the next token', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 2, clock.now);
    expect(bucket.msUntilToken()).toBe(0);
    expect(drain(bucket)).toBe(2);
    expect(bucket.msUntilToken()).toBe(100);
    clock.advance(30);
    expect(bucket.msUntilToken()).toBe(70);
    clock.advance(70);
    expect(bucket.msUntilToken()).toBe(0);
    expect(bucket.take()).toBe(true);
    expect(bucket.msUntilToken()).toBe(100);
  });

  it('rounds a fractional wait up, never early', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(3, 1, clock.now);
    expect(bucket.take()).toBe(true);
    expect(bucket.msUntilToken()).toBe(334);
    clock.advance(333);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
  });

  it('does not change state when only asked how long to wait', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 1, clock.now);
    for (let i = 0; i < 5; i += 1) expect(bucket.msUntilToken()).toBe(0);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('reads the clock it was given, not the wall clock', () => {
    const clock = manualClock(0);
    const bucket = new TokenBucket(1, 1, clock.now);
    expect(bucket.take()).toBe(true);
    expect(bucket.msUntilToken()).toBe(1000);
    clock.advance(1000);
    expect(bucket.msUntilToken()).toBe(0);
  });
});
