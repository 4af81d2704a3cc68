/**
 * The number formats and the markdown table every section of the bench
 * report uses (bench/report.ts, bench/transports-report.ts).
 */
import type { ChatRun } from './fanout.js';

/** A rate with a unit prefix: `1.23 M`, `4.5 k`, `12`. */
export function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}

/** Milliseconds: whole from 100 on, one decimal below. */
export function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** `a ÷ b` as `1.23×`, or `–` when b is 0. */
export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : '–';
}

/** A run's number, or FAILED when its check failed. */
export function cell(
  run: ChatRun | undefined,
  value: (r: ChatRun) => string
): string {
  if (run === undefined) return '–';
  return run.ok ? value(run) : 'FAILED';
}

/** A markdown table; the first `left` columns are text, the rest numbers. */
export function table(head: string[], rows: string[][], left = 1): string {
  const align = head.map((_, i) => (i < left ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The generator's CPU %, marked when it was saturated. */
export function generator(run: ChatRun): string {
  return run.generatorSaturated
    ? `${run.generatorCpuPercent.toFixed(0)} (saturated)`
    : run.generatorCpuPercent.toFixed(0);
}
