import { describe, expect, it } from 'vitest';
import {
  renderReport,
  replayCommand,
  visible,
  MAX_SHOWN_VIOLATIONS
} from '../../../../src/tools/chaos/report.js';
import { planSchedule } from '../../../../src/tools/chaos/schedule.js';
import {
  FAULT_KINDS,
  type ChaosOptions,
  type ChaosReport,
  type FaultKind
} from '../../../../src/tools/chaos/types.js';

const OPTIONS: ChaosOptions = {
  host: '127.0.0.1',
  port: 3333,
  scenarios: FAULT_KINDS,
  durationMs: 30_000,
  clients: 11,
  observers: 5,
  rate: 2,
  seed: 1234,
  maxConnections: 200,
  maxBytes: 64 * 1024 * 1024
};

function report(
  violations: ChaosReport['violations'],
  options = OPTIONS
): ChaosReport {
  const schedule = planSchedule(options);
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  for (const a of schedule) injected[a.kind] += 1;
  return {
    seed: options.seed,
    options,
    transport: options.transport ?? 'tcp',
    schedule,
    injected,
    messages: { sent: 300, delivered: 1500 },
    violations,
    ok: violations.length === 0,
    durationMs: 34_200
  };
}

describe('replayCommand', () => {
  it('names the seed and every option that shapes the schedule', () => {
    expect(replayCommand(OPTIONS)).toBe(
      'chat-chaos 127.0.0.1 3333 --seed 1234 --scenario all --duration 30s --clients 11 --observers 5 --rate 2'
    );
    expect(
      replayCommand({
        ...OPTIONS,
        scenarios: ['reset', 'flood'],
        durationMs: 1500,
        maxConnections: 50,
        maxBytes: 1000
      })
    ).toBe(
      'chat-chaos 127.0.0.1 3333 --seed 1234 --scenario reset,flood --duration 1500ms --clients 11 --observers 5 --rate 2 --max-connections 50 --max-bytes 1000'
    );
  });

  it('names the rooms of a room run, and nothing of them in a v1 run', () => {
    expect(replayCommand({ ...OPTIONS, rooms: 1, roomObservers: 0 })).toBe(
      replayCommand(OPTIONS)
    );
    expect(replayCommand({ ...OPTIONS, rooms: 3, roomObservers: 7 })).toBe(
      'chat-chaos 127.0.0.1 3333 --seed 1234 --scenario all --duration 30s --clients 11 --observers 5 --rate 2 --rooms 3 --room-observers 7'
    );
  });
});

describe('renderReport of a room run', () => {
  it('says what the room observers did', () => {
    const options = { ...OPTIONS, rooms: 3, roomObservers: 7 };
    const text = renderReport({
      ...report([], options),
      rooms: {
        rooms: 3,
        observers: 7,
        lines: 80,
        moves: 12,
        renames: 9,
        privates: 5,
        racers: 4,
        winners: 1
      }
    });
    expect(text).toContain('7 room observers in 3 rooms');
    expect(text).toContain('received by the 12 observers');
    expect(text).toContain(
      'rooms: 7 observers in 3 rooms said 80 lines, moved 12 times, took 9 names, whispered 5 private lines; 1 of 4 racers got one name'
    );
  });
});

describe('renderReport', () => {
  it('shows the fault table, messages, no violations and the replay line', () => {
    const text = renderReport(report([]));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'chat-chaos 127.0.0.1:3333  seed 1234  30s of faults  5 observers at 2 lines/s  11 faulty clients'
    );
    expect(lines).toContain('  fault         planned  injected');
    expect(lines).toContain('  total              11        11');
    for (const kind of FAULT_KINDS)
      expect(text).toMatch(new RegExp(`^  ${kind} +1 +1$`, 'm'));
    expect(lines).toContain(
      'messages: 300 sent by all clients, 1500 received by the 5 observers'
    );
    expect(lines).toContain('violations: none');
    expect(lines.at(-2)).toBe(`replay: ${replayCommand(OPTIONS)}`);
    expect(lines.at(-1)).toBe('result: ok, no violations (34.2 s)');
  });

  it('lists each violation with its evidence, escaped', () => {
    const text = renderReport(
      report([
        {
          invariant: 'I1',
          message: '127.0.0.1:5002 saw "[127.0.0.1:5003] m1" twice',
          evidence: [
            '127.0.0.1:5002 line 4: "[127.0.0.1:5003] m1"',
            'raw \u001b[2J and \u202e here'
          ]
        }
      ])
    );
    expect(text).toContain(
      'violations: 1\n  1. [I1] 127.0.0.1:5002 saw "[127.0.0.1:5003] m1" twice\n       127.0.0.1:5002 line 4: "[127.0.0.1:5003] m1"\n       raw \\u001b[2J and \\u202e here'
    );
    expect(text.split('\n').at(-1)).toBe(
      'result: FAILED, 1 violation(s) (34.2 s)'
    );
    expect(visible('a\u0000b')).toBe('a\\u0000b');
  });

  it('shows the first violations and counts the rest', () => {
    const many = Array.from({ length: MAX_SHOWN_VIOLATIONS + 3 }, (_, i) => ({
      invariant: 'I2' as const,
      message: `count ${i}`,
      evidence: []
    }));
    const text = renderReport(report(many));
    expect(text).toContain(
      `  ${MAX_SHOWN_VIOLATIONS}. [I2] count ${MAX_SHOWN_VIOLATIONS - 1}`
    );
    expect(text).not.toContain(`count ${MAX_SHOWN_VIOLATIONS}\n`);
    expect(text).toContain('  … and 3 more (--json lists them all)');
  });
});
