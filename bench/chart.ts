/**
 * The chart of `npm run bench` (issue 6): a hand-written SVG, 900 × 360, with
 * two panels side by side, deliveries/s and p99 latency against the number
 * of clients (log scale), one line per server kind. A run that failed its
 * correctness check has no point: a cross in its line's colour marks it on
 * the axis, and the line breaks there. A hollow point is a run where the load
 * generator was saturated. The same runs always give the same bytes.
 */
import type { ChatRun } from './fanout.js';
import type { ServerKind } from './load.js';

const WIDTH = 900;
const HEIGHT = 360;
const PANEL = WIDTH / 2;
const MARGIN = { left: 72, right: 24, top: 48, bottom: 78 };
/** The font of every label. */
export const FONT = 'font-family="system-ui, sans-serif"';

/** Each server kind's line colour and dash, the same in every chart. */
export const STYLE: Record<ServerKind, { color: string; dash: string }> = {
  'actor-chat': { color: '#d62728', dash: '' },
  raw: { color: '#1f77b4', dash: '' },
  'raw-turn': { color: '#7f7f7f', dash: ' stroke-dasharray="6 4"' }
};
const ORDER: readonly ServerKind[] = ['actor-chat', 'raw', 'raw-turn'];

interface Panel {
  title: string;
  axis: string;
  value: (r: ChatRun) => number;
  label: (v: number) => string;
}

const PANELS: readonly Panel[] = [
  {
    title: 'Fan-out throughput',
    axis: 'deliveries/s',
    value: (r) => r.deliveriesPerSec,
    label: (v) =>
      v === 0 ? '0' : v >= 1e6 ? `${trim(v / 1e6)}M` : `${trim(v / 1e3)}k`
  },
  {
    title: 'p99 latency at full speed',
    axis: 'p99 latency, ms',
    value: (r) => r.latencyMs.p99,
    label: (v) => trim(v)
  }
];

function trim(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A round step that gives about five ticks from 0 to `max`. */
export function niceStep(max: number): number {
  if (max <= 0) return 1;
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * power;
}

/** A coordinate with one decimal. */
export function fixed(n: number): string {
  return n.toFixed(1);
}

/** A 12 px label at (x, y). */
export function text(
  x: number,
  y: number,
  body: string,
  extra = 'text-anchor="middle"'
): string {
  return `<text x="${fixed(x)}" y="${fixed(y)}" ${extra} font-size="12" ${FONT}>${body}</text>`;
}

function panel(index: number, spec: Panel, runs: readonly ChatRun[]): string {
  const x0 = index * PANEL + MARGIN.left;
  const x1 = (index + 1) * PANEL - MARGIN.right;
  const y0 = HEIGHT - MARGIN.bottom;
  const y1 = MARGIN.top;
  const sizes = [...new Set(runs.map((r) => r.clients))].sort((a, b) => a - b);
  const lo = Math.log10(sizes[0] ?? 10);
  const hi = Math.log10(sizes[sizes.length - 1] ?? 1000);
  const pad = Math.max(0.15, (hi - lo) * 0.08);
  const x = (clients: number): number =>
    x0 +
    ((Math.log10(clients) - lo + pad) / (hi - lo + 2 * pad || 1)) * (x1 - x0);
  const ok = runs.filter((r) => r.ok);
  const step = niceStep(Math.max(0, ...ok.map(spec.value)));
  const top = Math.max(
    step,
    Math.ceil(Math.max(0, ...ok.map(spec.value)) / step) * step
  );
  const y = (v: number): number => y0 - (v / top) * (y0 - y1);
  const out: string[] = [];
  out.push(
    text(
      (x0 + x1) / 2,
      24,
      spec.title,
      'text-anchor="middle" font-weight="bold"'
    )
  );
  for (let v = 0; v <= top + step / 1000; v += step) {
    out.push(
      `<line x1="${fixed(x0)}" y1="${fixed(y(v))}" x2="${fixed(x1)}" y2="${fixed(y(v))}" stroke="#e5e5e5"/>`,
      text(x0 - 8, y(v) + 4, spec.label(v), 'text-anchor="end"')
    );
  }
  out.push(
    `<line x1="${fixed(x0)}" y1="${fixed(y0)}" x2="${fixed(x1)}" y2="${fixed(y0)}" stroke="#333"/>`,
    `<line x1="${fixed(x0)}" y1="${fixed(y0)}" x2="${fixed(x0)}" y2="${fixed(y1)}" stroke="#333"/>`
  );
  for (const clients of sizes) {
    out.push(
      `<line x1="${fixed(x(clients))}" y1="${fixed(y0)}" x2="${fixed(x(clients))}" y2="${fixed(y0 + 5)}" stroke="#333"/>`,
      text(x(clients), y0 + 18, String(clients))
    );
  }
  out.push(text((x0 + x1) / 2, y0 + 36, 'clients (log scale)'));
  const mid = (y0 + y1) / 2;
  out.push(
    text(
      index * PANEL + 16,
      mid,
      spec.axis,
      `text-anchor="middle" transform="rotate(-90 ${fixed(index * PANEL + 16)} ${fixed(mid)})"`
    )
  );
  for (const kind of ORDER) {
    const style = STYLE[kind];
    const mine = runs
      .filter((r) => r.kind === kind)
      .sort((a, b) => a.clients - b.clients);
    const points = mine.filter((r) => r.ok);
    // The line breaks at a failed run: no number, so nothing to join.
    const segments: ChatRun[][] = [[]];
    for (const r of mine) {
      if (r.ok) segments[segments.length - 1]?.push(r);
      else segments.push([]);
    }
    for (const segment of segments.filter((g) => g.length > 1))
      out.push(
        `<polyline fill="none" stroke="${style.color}" stroke-width="2"${style.dash} points="${segment
          .map((r) => `${fixed(x(r.clients))},${fixed(y(spec.value(r)))}`)
          .join(' ')}"/>`
      );
    // A hollow point: the load generator was saturated, the server may do more.
    for (const r of points)
      out.push(
        `<circle cx="${fixed(x(r.clients))}" cy="${fixed(y(spec.value(r)))}" r="3.5" ${r.generatorSaturated ? `fill="#fff" stroke="${style.color}" stroke-width="1.5"` : `fill="${style.color}"`}/>`
      );
    for (const r of mine.filter((m) => !m.ok)) {
      const cx = x(r.clients);
      out.push(
        `<path d="M${fixed(cx - 5)},${fixed(y0 - 5)}L${fixed(cx + 5)},${fixed(y0 + 5)}M${fixed(cx - 5)},${fixed(y0 + 5)}L${fixed(cx + 5)},${fixed(y0 - 5)}" stroke="${style.color}" stroke-width="2"/>`
      );
    }
  }
  return out.join('\n');
}

function legend(runs: readonly ChatRun[]): string {
  const kinds = ORDER.filter((k) => runs.some((r) => r.kind === k));
  const out: string[] = [];
  let x = 72;
  const y = HEIGHT - 16;
  for (const kind of kinds) {
    const style = STYLE[kind];
    out.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 28}" y2="${y - 4}" stroke="${style.color}" stroke-width="2"${style.dash}/>`,
      text(x + 34, y, kind, 'text-anchor="start"')
    );
    x += 120;
  }
  if (runs.some((r) => r.ok && r.generatorSaturated)) {
    out.push(text(x, y, '○ = load generator saturated', 'text-anchor="start"'));
    x += 200;
  }
  if (runs.some((r) => !r.ok))
    out.push(
      text(x, y, '✗ = failed its correctness check', 'text-anchor="start"')
    );
  return out.join('\n');
}

/** The SVG for the fan-out runs. */
export function renderChart(runs: readonly ChatRun[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    ...PANELS.map((p, i) => panel(i, p, runs)),
    legend(runs),
    '</svg>',
    ''
  ].join('\n');
}
