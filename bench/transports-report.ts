/**
 * The transports section of the bench report (issue 18): the same fan-out
 * with the clients on plain TCP, TLS, WebSocket and a mix, each beside the
 * all-TCP run of the same pace in the same bench run.
 */
import type { Transport } from './chat-links.js';
import type { ChatRun } from './fanout.js';
import { cell, generator, ms, rate, table } from './report-format.js';

/** How one run's clients were spread: `tcp`, `tls`, `ws` or `mix tcp/tls/ws`. */
export function transportLabel(
  transports: readonly Transport[] | undefined
): string {
  const distinct = [...new Set(transports ?? ['tcp'])];
  return distinct.length === 1
    ? (distinct[0] ?? 'tcp')
    : `mix ${distinct.join('/')}`;
}

/** One run's measures divided by the all-TCP run's; null when either failed. */
export interface TransportRatios {
  deliveriesPerSec: number | null;
  p50: number | null;
  p99: number | null;
  /** Server CPU per delivery: what a delivery costs over this transport. */
  cpuPerDelivery: number | null;
}

/** `run ÷ tcp` for each measure; null when either run failed or is absent. */
export function transportRatios(
  run: ChatRun | undefined,
  tcp: ChatRun | undefined
): TransportRatios {
  const of = (value: (r: ChatRun) => number): number | null => {
    if (run?.ok !== true || tcp?.ok !== true) return null;
    const base = value(tcp);
    return base > 0 ? value(run) / base : null;
  };
  return {
    deliveriesPerSec: of((r) => r.deliveriesPerSec),
    p50: of((r) => r.latencyMs.p50),
    p99: of((r) => r.latencyMs.p99),
    cpuPerDelivery: of((r) => r.cpuMsPer100k)
  };
}

function paceOf(run: ChatRun): string {
  return run.window !== null
    ? `window ${run.window}`
    : `${run.messagesPerSec ?? '?'} lines/s`;
}

function times(x: number | null): string {
  return x === null ? 'FAILED' : `${x.toFixed(2)}×`;
}

/** One row per run, grouped by pace, each with its ratios to all-TCP. */
export function transportsSection(runs: readonly ChatRun[]): string {
  if (runs.length === 0) return '';
  const rows: string[][] = [];
  for (const pace of [...new Set(runs.map(paceOf))]) {
    const at = runs.filter((r) => paceOf(r) === pace);
    const tcp = at.find((r) => transportLabel(r.transports) === 'tcp');
    for (const run of at) {
      const isTcp = run === tcp;
      const q = transportRatios(run, tcp);
      rows.push([
        pace,
        transportLabel(run.transports),
        cell(run, (r) => rate(r.deliveriesPerSec)),
        isTcp ? '' : times(q.deliveriesPerSec),
        cell(run, (r) => ms(r.latencyMs.p50)),
        isTcp ? '' : times(q.p50),
        cell(run, (r) => ms(r.latencyMs.p99)),
        isTcp ? '' : times(q.p99),
        cell(run, (r) => r.cpuMsPer100k.toFixed(1)),
        isTcp ? '' : times(q.cpuPerDelivery),
        run.serverCpuSeconds.toFixed(2),
        run.peakRssMb.toFixed(1),
        generator(run),
        run.backgroundCpuPercent.toFixed(0)
      ]);
    }
  }
  const first = runs[0];
  return [
    `### Transports: ${first?.clients ?? '?'} clients on plain TCP, TLS, WebSocket and a mix (${first?.seconds.toFixed(1) ?? '?'} s measured)`,
    '',
    '- one server with all three listeners in every run; only the clients change. "mix" puts client k on TCP, TLS, WebSocket in turn (a third each), all in `#lobby`',
    '- checked as the fan-out: every line to every client exactly once, in order per sender, one order everywhere, across the transports; a WebSocket message counts as one line',
    '- ÷ tcp: the run divided by the all-TCP run of the same pace in this bench run; "CPU ms / 100k" is the server\'s cost per delivery',
    '',
    table(
      [
        'pace',
        'clients on',
        'deliveries/s',
        '÷ tcp',
        'p50 ms',
        '÷ tcp',
        'p99 ms',
        '÷ tcp',
        'CPU ms / 100k',
        '÷ tcp',
        'server CPU s',
        'peak RSS MB',
        'generator CPU %',
        'other CPU %'
      ],
      rows,
      2
    )
  ].join('\n');
}
