import { describe, expect, it } from 'vitest';
import { computeTargets } from '../../../bench/report.js';
import { summarise } from '../../../bench/scale-probes.js';
import {
  adminSection,
  fdLimitNote,
  scaleSection,
  startupSection
} from '../../../bench/scale-report.js';
import { median, type StartupReport } from '../../../bench/startup.js';
import { passedScale, reportWith, type MeasuredReport } from './scale-run.js';

/** A report with only `scale` and `startup` filled. */
function report(
  scale = [passedScale()],
  startup: StartupReport | null = null
): MeasuredReport {
  return reportWith({ scale, startup });
}

describe('scaleSection', () => {
  it('puts the time to greet beside the memory, and the one-line fan-out', () => {
    const text = scaleSection([
      passedScale(),
      passedScale({ kind: 'raw', kbPerConnection: 5.5, fanOut: null })
    ]);

    expect(text).toContain(
      '| actor-chat | 1000 | 1000 | 1.50 | 60.0 | 80.0 | 20.5 | 90 | 0.012 | 5 |  | ok |'
    );
    expect(text).toContain(
      '| raw | 1000 | 1000 | 1.50 | 60.0 | 80.0 | 5.5 | 90 | – |'
    );
  });

  it('labels the run with the monitor and says FAILED instead of its memory', () => {
    const text = scaleSection([
      passedScale({
        admin: true,
        errors: [
          'fan-out probe: one line reached 9 of 10 idle connections in 60 s'
        ],
        fanOut: { recipients: 10, received: 9, seconds: null }
      })
    ]);

    expect(text).toContain(
      '| actor-chat + monitor | 1000 | 1000 | 1.50 | 60.0 | 80.0 | FAILED | 90 | 9 of 10 |'
    );
  });

  it('is empty when the workload did not run', () => {
    expect(scaleSection([])).toBe('');
  });
});

describe('adminSection', () => {
  it('gives each path its time and size, and the status when it failed', () => {
    const text = adminSection([
      passedScale({
        admin: true,
        adminTimings: [
          { path: '/', status: 200, bytes: 2048, ms: 3.25 },
          { path: '/metrics', status: 0, bytes: 0, ms: 30_000 }
        ]
      })
    ]);

    expect(text).toContain('| server | connections | / | /metrics |');
    expect(text).toContain(
      '| actor-chat + monitor | 1000 | 3.3 ms (2.0 KB) | status none |'
    );
  });
});

describe('fdLimitNote', () => {
  it('leads with where it stopped when the server ran out of descriptors', () => {
    expect(
      fdLimitNote(19_950, 20_000, 20_000, 'closed before greeting ×100')
    ).toBe(
      'stopped at 19950: the server may have 20000 open files (the hard limit here; raising it needs CAP_SYS_RESOURCE), and a Node server out of descriptors closes new connections unanswered; closed before greeting ×100'
    );
  });

  it('only adds the limit when the run stopped well before it', () => {
    expect(fdLimitNote(5000, 20_000, 20_000, 'timeout')).toMatch(
      /^timeout; the server may have 20000 open files/
    );
  });
});

describe('summarise', () => {
  it('times the line from its write to the last arrival when everyone got it', () => {
    expect(
      summarise(
        [
          { type: 'fanned', expected: 3, received: 3, lastAt: 1_250 },
          { type: 'fanned', expected: 2, received: 2, lastAt: 1_400 }
        ],
        1_000
      )
    ).toEqual({ recipients: 5, received: 5, seconds: 0.4 });
  });

  it('gives no time when a connection missed it', () => {
    expect(
      summarise(
        [{ type: 'fanned', expected: 3, received: 2, lastAt: 1_250 }],
        1_000
      ).seconds
    ).toBeNull();
  });
});

describe('startup', () => {
  const startup: StartupReport = {
    bareNodeMs: 40,
    listen: [
      {
        command: 'node dist/cli/server.js 127.0.0.1 0',
        runsMs: [400, 380, 420],
        medianMs: 400,
        failures: []
      },
      {
        command: 'npm start -- 127.0.0.1 0',
        runsMs: [1500],
        medianMs: 1500,
        failures: ['no started line in 30000 ms']
      }
    ],
    imports: [
      { module: 'xstate', ms: 35.25 },
      { module: 'ioredis', ms: null }
    ]
  };

  it('median takes the middle run (the lower one of an even count)', () => {
    expect(median([420, 380, 400])).toBe(400);
    expect(median([2, 1, 4, 3])).toBe(2);
    expect(median([])).toBeNull();
  });

  it('startupSection lists both commands and every import', () => {
    const text = startupSection(startup);

    expect(text).toContain(
      '| `node dist/cli/server.js 127.0.0.1 0` | 400 | 400, 380, 420 | ok |'
    );
    expect(text).toContain(
      '| `npm start -- 127.0.0.1 0` | 1500 | 1500 | no started line in 30000 ms |'
    );
    expect(text).toContain('| `xstate` | 35.3 |');
    expect(text).toContain('| `ioredis` | FAILED |');
  });

  it('makes each command a target of under a second', () => {
    const targets = computeTargets(report([], startup));

    expect(targets.find((t) => t.name.includes('node dist'))).toMatchObject({
      measured: '400 ms',
      status: 'met'
    });
    expect(targets.find((t) => t.name.includes('npm start'))).toMatchObject({
      measured: '1500 ms',
      status: 'missed',
      note: 'over by 50%'
    });
  });
});

describe('the memory target', () => {
  it('is ours against raw at 10,000 in the same run, with and without the monitor', () => {
    const at10k = { target: 10_000, reached: 10_000 };
    const targets = computeTargets(
      report([
        passedScale({ ...at10k, admin: true, kbPerConnection: 30 }),
        passedScale({ ...at10k, kbPerConnection: 19 }),
        passedScale({ ...at10k, kind: 'raw', kbPerConnection: 10 })
      ])
    );

    expect(
      targets.find((t) => t.name === 'RSS per idle connection at 10,000')
    ).toMatchObject({
      goal: '≤ 2× raw',
      measured: '1.90× (19.0 KB vs 10.0 KB)',
      status: 'met'
    });
    expect(targets.find((t) => t.name.includes('monitor'))).toMatchObject({
      measured: '3.00× (30.0 KB vs 10.0 KB)',
      status: 'missed',
      note: 'over by 50%'
    });
  });

  it('falls back to the largest target both ran, and says so without judging it', () => {
    const targets = computeTargets(
      report([
        passedScale({ target: 2000, reached: 2000, kbPerConnection: 24 }),
        passedScale({ kind: 'raw', target: 2000, kbPerConnection: 8 }),
        passedScale({ target: 10_000, reached: 10_000, kbPerConnection: 19 })
      ])
    );

    expect(
      targets.find((t) => t.name === 'RSS per idle connection at 10,000')
    ).toMatchObject({
      measured: '3.00× (24.0 KB vs 8.0 KB)',
      status: 'reported',
      note: 'measured at 2000 only (--full runs 10,000); over by 50%'
    });
  });

  it('is not run without the reference', () => {
    const targets = computeTargets(report([passedScale()]));

    expect(
      targets.find((t) => t.name === 'RSS per idle connection at 10,000')
    ).toMatchObject({ status: 'not run' });
  });
});
