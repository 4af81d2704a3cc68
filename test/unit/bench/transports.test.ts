import { afterEach, describe, expect, it } from 'vitest';
import {
  endpointOf,
  linesOf,
  type Endpoint
} from '../../../bench/chat-links.js';
import type { ChatRun } from '../../../bench/fanout.js';
import { runLoad } from '../../../bench/loadgen.js';
import {
  transportLabel,
  transportRatios,
  transportsSection
} from '../../../bench/transports-report.js';
import { certDir, makeCert } from '../../support/certs.js';
import { createHarness } from '../../support/harness.js';
import { passedRun } from './chat-run.js';
import { shortRun } from './short-run.js';

const { cleanups, daemon } = createHarness();
afterEach(() => cleanups.run());

/** A passed all-TCP transports run of 100 clients at a window of 10. */
function run(overrides: Partial<ChatRun> = {}): ChatRun {
  return passedRun({
    workload: 'transports',
    transports: ['tcp'],
    ...overrides
  });
}

describe('linesOf', () => {
  it('gives each LF-ended line without its LF, one WebSocket message each', () => {
    expect(linesOf('0 1 5\n0 2 5\n')).toEqual(['0 1 5', '0 2 5']);
    expect(linesOf('/join #a\n')).toEqual(['/join #a']);
    expect(linesOf('no end')).toEqual(['no end']);
  });
});

describe('endpointOf', () => {
  it('puts client k on the k-th endpoint in turn', () => {
    const endpoints: Endpoint[] = [
      { transport: 'tcp', port: 1 },
      { transport: 'tls', port: 2 },
      { transport: 'ws', port: 3 }
    ];
    expect([0, 1, 2, 3, 4].map((k) => endpointOf(endpoints, k).port)).toEqual([
      1, 2, 3, 1, 2
    ]);
    expect(() => endpointOf([], 0)).toThrow('no endpoints');
  });
});

describe('transportLabel', () => {
  it('names one transport, or the mix of several', () => {
    expect(transportLabel(undefined)).toBe('tcp');
    expect(transportLabel(['ws'])).toBe('ws');
    expect(transportLabel(['tcp', 'tls', 'ws'])).toBe('mix tcp/tls/ws');
  });
});

describe('transportRatios', () => {
  it('divides each measure by the all-TCP run', () => {
    const ws = run({
      transports: ['ws'],
      deliveriesPerSec: 250_000,
      cpuMsPer100k: 40,
      latencyMs: { p50: 4, p99: 50, max: 60, samples: 100 }
    });

    const q = transportRatios(ws, run());

    expect(q.deliveriesPerSec).toBeCloseTo(0.25);
    expect(q.cpuPerDelivery).toBeCloseTo(4);
    expect(q.p50).toBeCloseTo(2);
    expect(q.p99).toBeCloseTo(5);
  });

  it('gives no ratio when either run failed or is missing', () => {
    const failed = run({ ok: false, failures: ['lost 3 deliveries'] });

    expect(transportRatios(run(), failed).deliveriesPerSec).toBeNull();
    expect(transportRatios(failed, run()).cpuPerDelivery).toBeNull();
    expect(transportRatios(run(), undefined).p99).toBeNull();
  });
});

describe('transportsSection', () => {
  it('shows each run with its ratios to TCP, and a failed run as FAILED', () => {
    const text = transportsSection([
      run(),
      run({ transports: ['tls'], cpuMsPer100k: 20 }),
      run({ transports: ['ws'], ok: false, failures: ['order differs'] })
    ]);

    const row = (label: string): string =>
      text.split('\n').find((l) => l.startsWith(`| window 10 | ${label} |`)) ??
      '';
    expect(row('tls')).toContain('| 20.0 | 2.00× |');
    expect(row('ws')).toContain('FAILED');
    expect(row('ws')).not.toMatch(/\d\.\d\d×/);
    expect(transportsSection([])).toBe('');
  });
});

describe('runLoad over TLS and WebSocket', () => {
  it('passes our daemon with the clients a third each on TCP, TLS and WebSocket', async () => {
    const cert = makeCert(certDir(cleanups), 'bench');
    const t = await daemon({
      level: 'info',
      tls: { port: 0, cert: cert.cert, key: cert.key },
      ws: { port: 0 }
    });
    const endpoints: Endpoint[] = [
      { transport: 'tcp', port: t.port },
      { transport: 'tls', port: t.daemon.tls?.port ?? 0 },
      { transport: 'ws', port: t.daemon.ws?.port ?? 0 }
    ];

    const result = await runLoad({ ...shortRun(t.port, 6), endpoints });

    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.sent).toBeGreaterThan(12);
    // Six greetings and 15 join notices (1 + 2 + … + 5).
    expect(result.deliveries).toBeGreaterThan(0);
    expect(result.nonChatLines).toBe(6 + 15);
  });

  it('fails a run when the daemon closes mid-run under WebSocket clients', async () => {
    const t = await daemon({ level: 'info', ws: { port: 0 } });
    const ws = t.daemon.ws?.port ?? 0;
    const endpoints: Endpoint[] = [
      { transport: 'ws', port: ws },
      { transport: 'tcp', port: t.port }
    ];
    const result = await runLoad({
      ...shortRun(t.port, 4),
      seconds: 0.5,
      endpoints,
      hooks: { start: () => void t.daemon.close() }
    });

    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(/disconnected|lost|leave/);
  });
});
