import { UsageError } from '../app/errors.js';

const KIB = 1024;

/** What each size unit multiplies by, lower case; no unit is bytes. */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  k: KIB,
  kib: KIB,
  m: KIB ** 2,
  mib: KIB ** 2,
  g: KIB ** 3,
  gib: KIB ** 3
};

/**
 * The size grammar every program's `--help` states after its options, in
 * the same words as docs/chaos.md and the README.
 */
export const SIZE_GRAMMAR = `SIZE is a whole number of bytes, or of k, m or g (the same as KiB, MiB,
GiB: powers of 1024), in upper or lower case: 4096, 500k, 10m, 64MiB, 1g.`;

/** The units, as a bad size's message lists them. */
const UNITS_HINT = 'bytes, or a whole number with k, m, g, KiB, MiB or GiB';

/**
 * Reads a size: a whole number of bytes with an optional unit `k`, `m`, `g`
 * or `KiB`, `MiB`, `GiB` (both binary, 1024-based), in any case. Returns
 * bytes, or `null` for anything else: signs, decimals, spaces, `kb`/`mb`
 * (SI or binary? the grammar leaves no room for the doubt), other units.
 *
 * @example parseSize('500k') // 512000
 * @example parseSize('64MiB') // 67108864
 */
export function parseSize(raw: string): number | null {
  const match = /^(\d+)([a-z]*)$/i.exec(raw);
  if (match === null) return null;
  const [, digits = '', unit = ''] = match;
  const per = UNIT_BYTES[unit.toLowerCase()];
  if (per === undefined) return null;
  const bytes = Number(digits) * per;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * Writes bytes back as a size `parseSize` accepts, in the largest binary
 * unit that divides them: `10MiB`, `4KiB`, `1000`.
 *
 * @example formatSize(10 * 1024 * 1024) // '10MiB'
 */
export function formatSize(bytes: number): string {
  for (const [unit, per] of [
    ['GiB', KIB ** 3],
    ['MiB', KIB ** 2],
    ['KiB', KIB]
  ] as const) {
    if (bytes > 0 && bytes % per === 0) return `${bytes / per}${unit}`;
  }
  return String(bytes);
}

/** What a size option's message adds beyond its range. */
export interface SizeHints {
  /** What 0 means: `no limit`. */
  zero?: string;
}

/**
 * A size argument in `min..max` bytes; a one-line `UsageError` naming
 * `name`, the range and the grammar otherwise.
 *
 * @example sizeOption('log max size', '10m', 1024, 1024 ** 4) // 10485760
 */
export function sizeOption(
  name: string,
  raw: string,
  min: number,
  max: number,
  hints: SizeHints = {}
): number {
  const bytes = parseSize(raw);
  if (bytes === null || bytes < min || bytes > max) {
    const zero = hints.zero === undefined ? '' : `; 0 means ${hints.zero}`;
    throw new UsageError(
      `invalid ${name} "${raw}" (expected a size from ${formatSize(min)} to ${formatSize(max)}: ${UNITS_HINT}${zero})`
    );
  }
  return bytes;
}
