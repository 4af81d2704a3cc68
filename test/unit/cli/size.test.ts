import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import {
  SIZE_GRAMMAR,
  formatSize,
  parseSize,
  sizeOption
} from '../../../src/cli/size.js';

const KIB = 1024;

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['4096', 4096],
    ['500k', 500 * KIB],
    ['500K', 500 * KIB],
    ['10m', 10 * KIB ** 2],
    ['1g', KIB ** 3],
    ['64KiB', 64 * KIB],
    ['64kib', 64 * KIB],
    ['64MiB', 64 * KIB ** 2],
    ['64MIB', 64 * KIB ** 2],
    ['1GiB', KIB ** 3],
    ['007k', 7 * KIB]
  ])('reads %j as %d bytes', (raw, bytes) => {
    expect(parseSize(raw)).toBe(bytes);
  });

  it.each([
    '',
    'k',
    'MiB',
    '-1',
    '+1',
    '1.5m',
    '1e3',
    '10 m',
    ' 10m',
    '10m ',
    '10mb',
    '1kb',
    '1gb',
    '1b',
    '1Ki',
    '1t',
    '1TiB',
    '0x10',
    '99999999999999999999'
  ])('rejects %j', (raw) => {
    expect(parseSize(raw)).toBeNull();
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [1000, '1000'],
    [4096, '4KiB'],
    [1536, '1536'],
    [64 * KIB, '64KiB'],
    [10 * KIB ** 2, '10MiB'],
    [KIB ** 3, '1GiB'],
    [KIB ** 4, '1024GiB']
  ])('writes %d as %j, which parseSize reads back', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('sizeOption', () => {
  it('returns bytes within the range', () => {
    expect(sizeOption('max bytes', '2MiB', 1, KIB ** 3)).toBe(2 * KIB ** 2);
    expect(sizeOption('max bytes', '1g', 1, KIB ** 3)).toBe(KIB ** 3);
  });

  it.each(['x', '0', '1025m', '10mb'])(
    'rejects %j with one line naming the option, the range and the units',
    (raw) => {
      let thrown: unknown;
      try {
        sizeOption('max bytes', raw, 1, KIB ** 3);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as Error).message).toBe(
        `invalid max bytes "${raw}" (expected a size from 1 to 1GiB: bytes, or a whole number with k, m, g, KiB, MiB or GiB)`
      );
    }
  );

  it('says what 0 means when asked to', () => {
    expect(() =>
      sizeOption('send queue bytes', '-1', 0, KIB, { zero: 'no limit' })
    ).toThrow(
      'invalid send queue bytes "-1" (expected a size from 0 to 1KiB: bytes, or a whole number with k, m, g, KiB, MiB or GiB; 0 means no limit)'
    );
  });
});

describe('SIZE_GRAMMAR', () => {
  it('gives an example of every unit, each of which parses', () => {
    for (const example of ['4096', '500k', '10m', '64MiB', '1g']) {
      expect(SIZE_GRAMMAR).toContain(example);
      expect(parseSize(example)).not.toBeNull();
    }
  });
});
