import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../../src/app/logger.js';
import {
  OUTAGE_REMINDER_MS,
  OutageLog
} from '../../../src/cluster/outage-log.js';

/** An outage log on a clock the test moves, writing console lines. */
function setUp(level: LogLevel = 'info') {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream
    .setEncoding('utf8')
    .on('data', (d: string) => lines.push(...d.trim().split('\n')));
  const clock = { now: 1_000_000 };
  const outage = new OutageLog(createLogger({ console: stream, level }), {
    now: () => clock.now
  });
  return { outage, lines, clock };
}

/** The node's retry rhythm: a failed attempt every 500 ms for `seconds`. */
function outageOf(seconds: number) {
  const t = setUp();
  t.outage.begin('connection closed', 2);
  for (let at = 500; at <= seconds * 1000; at += 500) {
    t.clock.now += 500;
    t.outage.failed('redis connections not ready');
  }
  t.outage.end();
  return t;
}

describe('OutageLog', () => {
  // Issue 15, item 7: 50 warnings in 40 s, one per failed retry.
  it('logs a 40 s outage once as it starts and once as it ends', () => {
    const { lines } = outageOf(40);
    expect(lines).toEqual([
      'warn: redis unreachable; members told event="unavailable" err="connection closed" members=2',
      'info: redis reachable again event="available" downMs=40000 attempts=80'
    ]);
  });

  it('reminds once a minute, with how long it has lasted', () => {
    const { lines } = outageOf(150);
    expect(lines).toEqual([
      'warn: redis unreachable; members told event="unavailable" err="connection closed" members=2',
      'warn: redis still unreachable event="still-unavailable" err="redis connections not ready" downMs=60000 attempts=120',
      'warn: redis still unreachable event="still-unavailable" err="redis connections not ready" downMs=120000 attempts=240',
      'info: redis reachable again event="available" downMs=150000 attempts=300'
    ]);
  });

  it('logs an outage of N seconds in 1 start line, at most ceil(N/60) reminders and 1 end line', () => {
    for (const seconds of [0, 0.5, 59.5, 60, 61, 119.5, 120, 600, 3600]) {
      const { lines } = outageOf(seconds);
      const starts = lines.filter((l) => l.includes('members told'));
      const reminders = lines.filter((l) => l.includes('still unreachable'));
      const ends = lines.filter((l) => l.includes('reachable again'));
      expect(starts, `${seconds} s`).toHaveLength(1);
      expect(reminders.length, `${seconds} s`).toBeLessThanOrEqual(
        Math.ceil(seconds / 60)
      );
      expect(ends, `${seconds} s`).toEqual([
        expect.stringContaining(` downMs=${seconds * 1000} `)
      ]);
      expect(lines, `${seconds} s`).toHaveLength(2 + reminders.length);
    }
  });

  it('reminds no more often than the interval however often attempts fail', () => {
    const { outage, lines, clock } = setUp();
    outage.begin('connection closed', 0);
    for (let i = 0; i < 10_000; i += 1) {
      clock.now += 7;
      outage.failed('redis connections not ready');
    }
    const reminders = lines.filter((l) => l.includes('still unreachable'));
    expect(reminders).toHaveLength(Math.floor(70_000 / OUTAGE_REMINDER_MS));
  });

  it('logs each failed attempt at debug', () => {
    const { outage, lines, clock } = setUp('debug');
    outage.begin('connection closed', 1);
    clock.now += 500;
    outage.failed('redis connections not ready');
    expect(lines.at(-1)).toBe(
      'debug: registering with redis failed err="redis connections not ready"'
    );
  });

  it('counts a second begin within one outage as a failed attempt', () => {
    const { outage, lines, clock } = setUp();
    outage.begin('connection closed', 1);
    clock.now += 500;
    outage.begin('connection closed', 1);
    expect(outage.down).toBe(true);
    outage.end();
    expect(outage.down).toBe(false);
    expect(lines).toEqual([
      'warn: redis unreachable; members told event="unavailable" err="connection closed" members=1',
      'info: redis reachable again event="available" downMs=500 attempts=1'
    ]);
  });

  it('logs nothing at info for a failure outside an outage or an end without one', () => {
    const { outage, lines } = setUp();
    outage.failed('redis connections not ready');
    outage.end();
    expect(lines).toEqual([]);
    expect(outage.down).toBe(false);
  });

  it('starts the next outage afresh', () => {
    const { outage, lines, clock } = setUp();
    outage.begin('connection closed', 1);
    clock.now += 59_000;
    outage.end();
    clock.now += 5000;
    outage.begin('connection closed', 1);
    clock.now += 2000;
    outage.failed('redis connections not ready');
    outage.end();
    expect(lines.filter((l) => l.includes('still unreachable'))).toEqual([]);
    expect(lines.at(-1)).toBe(
      'info: redis reachable again event="available" downMs=2000 attempts=1'
    );
  });
});
