import { describe, expect, it } from 'vitest';
import { createRng } from '../../../../src/tools/peers/rng.js';

function draw(seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: 100 }, () => rng.next());
}

describe('createRng', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draw(42)).toEqual(draw(42));
    const a = createRng(7);
    const b = createRng(7);
    expect([
      a.int(0, 1000),
      a.pick(['x', 'y', 'z']),
      a.bytes(16),
      a.chance(0.5)
    ]).toEqual([
      b.int(0, 1000),
      b.pick(['x', 'y', 'z']),
      b.bytes(16),
      b.chance(0.5)
    ]);
  });

  it('gives different sequences for different seeds', () => {
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('keeps next() in [0, 1)', () => {
    const rng = createRng(3);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const rng = createRng(4);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(-3, 3));
    expect([...seen].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(rng.int(5, 5)).toBe(5);
  });

  it('rejects an empty or non-integer range, and picking from nothing', () => {
    const rng = createRng(5);
    expect(() => rng.int(2, 1)).toThrow(RangeError);
    expect(() => rng.int(0.5, 1)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
  });

  it('picks every item of a list eventually', () => {
    const rng = createRng(6);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(rng.pick(['a', 'b', 'c', 'd']));
    expect(seen.size).toBe(4);
  });

  it('returns n bytes, and chance() at its extremes', () => {
    const rng = createRng(8);
    expect(rng.bytes(0)).toHaveLength(0);
    expect(rng.bytes(33)).toHaveLength(33);
    for (let i = 0; i < 100; i++) {
      expect(rng.chance(0)).toBe(false);
      expect(rng.chance(1)).toBe(true);
    }
  });
});
