import { passedRun } from './chat-run.js';
import { describe, expect, it } from 'vitest';
import type { ChatRun } from '../../../bench/fanout.js';
import {
  cpuMicrosPerLine,
  roomsRatios,
  roomsSection
} from '../../../bench/report.js';

/** A passed rooms run of 1,000 clients at a window of 10. */
function run(overrides: Partial<ChatRun> = {}): ChatRun {
  return passedRun({
    workload: 'rooms',
    clients: 1000,
    roomSize: 10,
    moveSeconds: 0.5,
    seconds: 3,
    cpuMsPer100k: 40,
    ...overrides
  });
}

describe('cpuMicrosPerLine', () => {
  it('is the cost per delivery times the deliveries of one line', () => {
    // 40 ms per 100k deliveries is 0.4 µs each; a line is 10 or 1,000.
    expect(cpuMicrosPerLine(run())).toBeCloseTo(4);
    expect(cpuMicrosPerLine(run({ roomSize: null }))).toBeCloseTo(400);
  });
});

describe('roomsRatios', () => {
  it('divides each measure of the rooms run by the one-room run', () => {
    const rooms = run();
    const one = run({
      roomSize: null,
      deliveriesPerSec: 4_000_000,
      cpuMsPer100k: 10,
      latencyMs: { p50: 4, p99: 40, max: 50, samples: 100 }
    });

    const q = roomsRatios(rooms, one);

    expect(q.deliveriesPerSec).toBeCloseTo(0.25);
    expect(q.cpuPerDelivery).toBeCloseTo(4);
    expect(q.cpuPerLine).toBeCloseTo(0.04);
    expect(q.p50).toBeCloseTo(0.5);
    expect(q.p99).toBeCloseTo(0.25);
  });

  it('gives no ratio when either run failed its checks or is missing', () => {
    const failed = run({ ok: false, failures: ['lost 1 deliveries'] });

    expect(roomsRatios(failed, run({ roomSize: null })).p99).toBeNull();
    expect(roomsRatios(run(), undefined).deliveriesPerSec).toBeNull();
  });
});

describe('roomsSection', () => {
  it('shows each layout and the ratio row per pace, and FAILED for a failed run', () => {
    const text = roomsSection([
      run(),
      run({ roomSize: null, deliveriesPerSec: 2_000_000 }),
      run({ window: null, messagesPerSec: 1000, ok: false }),
      run({ window: null, messagesPerSec: 1000, roomSize: null })
    ]);

    expect(text).toMatch(/^### Rooms: 1000 clients in rooms of 10/);
    expect(text).toContain('| window 10 | 100 rooms of 10 | 1.00 M |');
    expect(text).toContain('| window 10 | one room of 1000 | 2.00 M |');
    expect(text).toContain('| window 10 | **rooms ÷ one room** | 0.50× |');
    expect(text).toContain('| 1000 lines/s | 100 rooms of 10 | FAILED |');
    expect(text).toContain(
      '| 1000 lines/s | **rooms ÷ one room** | FAILED | FAILED | FAILED |'
    );
  });

  it('is empty when the workload did not run', () => {
    expect(roomsSection([])).toBe('');
  });
});
