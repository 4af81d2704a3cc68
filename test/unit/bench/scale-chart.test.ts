import { describe, expect, it } from 'vitest';
import { renderScaleChart } from '../../../bench/scale-chart.js';
import { passedScale } from './scale-run.js';

const CURVE = [
  passedScale({ target: 10, reached: 10, kbPerConnection: 80 }),
  passedScale({ target: 1000, reached: 1000, kbPerConnection: 30 }),
  passedScale({ target: 100_000, reached: 19_950, kbPerConnection: 20 }),
  passedScale({ kind: 'raw', target: 1000, reached: 1000, kbPerConnection: 6 }),
  passedScale({
    admin: true,
    target: 10_000,
    reached: 10_000,
    kbPerConnection: 25
  })
];

describe('renderScaleChart', () => {
  it('draws one line per server and the run with the monitor on its own', () => {
    const svg = renderScaleChart(CURVE);

    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>actor-chat</text>');
    expect(svg).toContain('>actor-chat + monitor</text>');
    expect(svg).toContain('>raw</text>');
    expect(svg.match(/<polyline /g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(5);
  });

  it('draws a run stopped short hollow, where it stopped', () => {
    const svg = renderScaleChart(CURVE);

    expect(svg.match(/<circle [^>]*fill="#fff"/g)).toHaveLength(1);
    expect(svg).toContain('○ = stopped short');
    expect(svg).toContain('>100,000</text>');
  });

  it('marks a failed run with a cross and no point', () => {
    const svg = renderScaleChart([
      passedScale({ errors: ['check connection: no answer'] })
    ]);

    expect(svg).not.toContain('<circle');
    expect(svg).toContain('<path d="M');
  });

  it('gives the same bytes for the same results', () => {
    expect(renderScaleChart(CURVE)).toBe(renderScaleChart([...CURVE]));
  });
});
