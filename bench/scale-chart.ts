/**
 * The memory curve of `npm run bench` (issue 19): a hand-written SVG,
 * 640 × 360, of RSS per idle connection against the connections open (log
 * scale), one line per server. Ours with the inspector's monitor attached is
 * its own series (dashed). A run stopped short is drawn at the count it
 * reached; a run that failed its checks has no point, only a cross on the
 * axis. The same results always give the same bytes.
 */
import { FONT, STYLE, fixed, niceStep, text } from './chart.js';
import type { ScaleResult } from './scale.js';
import { scaleLabel } from './scale-report.js';

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 72, right: 24, top: 48, bottom: 78 };

/** One line of the chart. */
interface Series {
  label: string;
  color: string;
  dash: string;
  runs: ScaleResult[];
}

function series(results: readonly ScaleResult[]): Series[] {
  const labels = [...new Set(results.map(scaleLabel))].sort();
  return labels.map((label) => {
    const runs = results
      .filter((r) => scaleLabel(r) === label)
      .sort((a, b) => a.reached - b.reached);
    const first = runs[0];
    const style = STYLE[first?.kind ?? 'actor-chat'];
    return {
      label,
      color: style.color,
      dash: first?.admin === true ? ' stroke-dasharray="6 4"' : style.dash,
      runs
    };
  });
}

/** A run with a number to plot: it passed its checks and kept connections. */
function plotted(r: ScaleResult): boolean {
  return r.errors.length === 0 && r.reached > 0;
}

/** The SVG of KB per idle connection against connections. */
export function renderScaleChart(results: readonly ScaleResult[]): string {
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = HEIGHT - MARGIN.bottom;
  const y1 = MARGIN.top;
  const counts = results.map((r) => Math.max(1, r.reached));
  const decades = {
    lo: Math.floor(Math.log10(Math.min(10, ...counts))),
    hi: Math.ceil(Math.log10(Math.max(100, ...counts)))
  };
  const x = (n: number): number =>
    x0 +
    ((Math.log10(Math.max(1, n)) - decades.lo) / (decades.hi - decades.lo)) *
      (x1 - x0);
  const values = results.filter(plotted).map((r) => r.kbPerConnection);
  const step = niceStep(Math.max(0, ...values));
  const top = Math.max(step, Math.ceil(Math.max(0, ...values) / step) * step);
  const y = (v: number): number => y0 - (Math.max(0, v) / top) * (y0 - y1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    text(
      (x0 + x1) / 2,
      24,
      'RSS per idle connection',
      'text-anchor="middle" font-weight="bold"'
    )
  ];
  for (let v = 0; v <= top + step / 1000; v += step)
    out.push(
      `<line x1="${fixed(x0)}" y1="${fixed(y(v))}" x2="${fixed(x1)}" y2="${fixed(y(v))}" stroke="#e5e5e5"/>`,
      text(
        x0 - 8,
        y(v) + 4,
        String(Math.round(v * 100) / 100),
        'text-anchor="end"'
      )
    );
  out.push(
    `<line x1="${fixed(x0)}" y1="${fixed(y0)}" x2="${fixed(x1)}" y2="${fixed(y0)}" stroke="#333"/>`,
    `<line x1="${fixed(x0)}" y1="${fixed(y0)}" x2="${fixed(x0)}" y2="${fixed(y1)}" stroke="#333"/>`
  );
  for (let d = decades.lo; d <= decades.hi; d += 1)
    out.push(
      `<line x1="${fixed(x(10 ** d))}" y1="${fixed(y0)}" x2="${fixed(x(10 ** d))}" y2="${fixed(y0 + 5)}" stroke="#333"/>`,
      text(x(10 ** d), y0 + 18, (10 ** d).toLocaleString('en-US'))
    );
  out.push(text((x0 + x1) / 2, y0 + 36, 'idle connections open (log scale)'));
  const mid = (y0 + y1) / 2;
  out.push(
    text(
      16,
      mid,
      'KB per connection',
      `text-anchor="middle" transform="rotate(-90 16 ${fixed(mid)})"`
    )
  );
  const lines = series(results);
  for (const s of lines) {
    const points = s.runs.filter(plotted);
    if (points.length > 1)
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash} points="${points
          .map((r) => `${fixed(x(r.reached))},${fixed(y(r.kbPerConnection))}`)
          .join(' ')}"/>`
      );
    // A hollow point: stopped short of its target, drawn where it stopped.
    for (const r of points)
      out.push(
        `<circle cx="${fixed(x(r.reached))}" cy="${fixed(y(r.kbPerConnection))}" r="3.5" ${r.reached < r.target ? `fill="#fff" stroke="${s.color}" stroke-width="1.5"` : `fill="${s.color}"`}/>`
      );
    for (const r of s.runs.filter((m) => !plotted(m))) {
      const cx = x(r.target);
      out.push(
        `<path d="M${fixed(cx - 5)},${fixed(y0 - 5)}L${fixed(cx + 5)},${fixed(y0 + 5)}M${fixed(cx - 5)},${fixed(y0 + 5)}L${fixed(cx + 5)},${fixed(y0 - 5)}" stroke="${s.color}" stroke-width="2"/>`
      );
    }
  }
  let lx = MARGIN.left;
  const ly = HEIGHT - 16;
  for (const s of lines) {
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash}/>`,
      text(lx + 34, ly, s.label, 'text-anchor="start"')
    );
    lx += 60 + s.label.length * 7;
  }
  if (results.some((r) => plotted(r) && r.reached < r.target))
    out.push(text(lx, ly, '○ = stopped short', 'text-anchor="start"'));
  out.push(
    `<text x="${WIDTH - 8}" y="${HEIGHT - 4}" text-anchor="end" font-size="9" fill="#999" ${FONT}>RSS after − RSS before, ÷ connections</text>`,
    '</svg>',
    ''
  );
  return out.join('\n');
}
