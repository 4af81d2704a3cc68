/** The longest duration an option accepts: one day, in milliseconds. */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000
};

/**
 * Parses a duration option: an integer with an optional unit `ms`, `s`, `m`
 * or `h`; a bare integer is seconds. Returns milliseconds, or `null` for
 * anything else (signs, decimals, other units, spaces) or more than 24h.
 *
 * @example parseDuration('500ms') // 500
 * @example parseDuration('30') // 30000
 */
export function parseDuration(raw: string): number | null {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(raw);
  if (match === null) return null;
  const [, digits = '', unit = 's'] = match;
  const ms = Number(digits) * (UNIT_MS[unit] ?? 1000);
  return ms <= MAX_DURATION_MS ? ms : null;
}

/**
 * Writes milliseconds back as a duration `parseDuration` accepts: whole
 * seconds as `30s`, anything else as `1500ms`.
 *
 * @example formatDuration(60_000) // '60s'
 */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
