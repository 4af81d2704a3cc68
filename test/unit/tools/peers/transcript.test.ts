import { describe, expect, it } from 'vitest';
import {
  checkTranscripts,
  type Transcript,
  type Violation
} from '../../../../src/tools/peers/transcript.js';

const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const C = '127.0.0.1:5003';
const D = '[::1]:5004';

type Step =
  | { readonly join: string }
  | { readonly say: string; readonly text: string }
  | { readonly leave: string };

function online(n: number): string {
  return `${n} ${n === 1 ? 'user' : 'users'} online`;
}

/**
 * What a correct server sends each member for a room script, written from
 * docs/protocol.md so the tests don't share the checker's parser.
 */
function render(steps: readonly Step[]): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  const members: string[] = [];
  const push = (to: string, line: string): void => {
    lines.get(to)?.push(line);
  };
  for (const step of steps) {
    if ('join' in step) {
      for (const m of members) {
        push(
          m,
          `New user ${step.join} entered (${online(members.length + 1)})`
        );
      }
      members.push(step.join);
      lines.set(step.join, [
        `Connected to the chat server (${online(members.length)})`
      ]);
    } else if ('say' in step) {
      for (const m of members) {
        push(
          m,
          m === step.say ? `[You] ${step.text}` : `[${step.say}] ${step.text}`
        );
      }
    } else {
      members.splice(members.indexOf(step.leave), 1);
      for (const m of members) {
        push(m, `The user ${step.leave} left (${online(members.length)})`);
      }
    }
  }
  return lines;
}

/** A joins, B joins, they talk, C joins, everyone talks; all three stay. */
const SCRIPT: readonly Step[] = [
  { join: A },
  { join: B },
  { say: A, text: 'm1' },
  { say: B, text: 'm2' },
  { join: C },
  { say: A, text: 'm3' },
  { say: C, text: 'm4' },
  { say: B, text: 'm5' },
  { say: A, text: 'm6' }
];

function consistent(): Transcript[] {
  const lines = render(SCRIPT);
  return [A, B, C].map((addr) => ({
    addr,
    lines: lines.get(addr) ?? [],
    stayed: true
  }));
}

/** The consistent set with one observer's lines changed. */
function mutate(
  addr: string,
  change: (lines: string[]) => string[]
): Transcript[] {
  return consistent().map((t) =>
    t.addr === addr ? { ...t, lines: change([...t.lines]) } : t
  );
}

function only(
  violations: readonly Violation[],
  invariant: Violation['invariant']
): Violation[] {
  return violations.filter((v) => v.invariant === invariant);
}

function without(lines: string[], line: string): string[] {
  expect(lines).toContain(line);
  return lines.filter((l) => l !== line);
}

describe('checkTranscripts', () => {
  it('finds nothing wrong with a consistent set of transcripts', () => {
    expect(checkTranscripts(consistent())).toEqual([]);
  });

  it('accepts a member that left, and one cut off mid-way, as prefixes', () => {
    const lines = render([
      ...SCRIPT,
      { join: D },
      { say: D, text: 'm7' },
      { say: A, text: 'm8' },
      { leave: D },
      { say: B, text: 'm9' }
    ]);
    const transcripts: Transcript[] = [A, B, C, D].map((addr) => ({
      addr,
      lines: lines.get(addr) ?? [],
      stayed: addr !== D
    }));
    expect(checkTranscripts(transcripts)).toEqual([]);
    const cut = transcripts.map((t) =>
      t.addr === D ? { ...t, lines: t.lines.slice(0, 2) } : t
    );
    expect(checkTranscripts(cut)).toEqual([]);
  });

  it('accepts every text that was sent, once and in order', () => {
    const sent = new Map([
      [A, ['m1', 'm3', 'm6']],
      [B, ['m2', 'm5']],
      [C, ['m4']]
    ]);
    expect(checkTranscripts(consistent(), { sent })).toEqual([]);
  });

  it('[CHAT-ORDER-1] reports a message one member never received', () => {
    const violations = checkTranscripts(
      mutate(C, (lines) => without(lines, `[${A}] m3`))
    );
    const [v] = only(violations, 'I1');
    expect(v?.message).toContain(`${C} and ${A} disagree at event 1`);
    expect(v?.message).toContain(`${C} missed "[${A}] m3"`);
    expect(v?.evidence.length).toBeGreaterThan(0);
    expect(v?.evidence.length).toBeLessThanOrEqual(6);
  });

  it('[CHAT-ORDER-1] reports a message one member received twice', () => {
    const violations = checkTranscripts(
      mutate(C, (lines) => [...lines, `[${A}] m6`])
    );
    expect(only(violations, 'I1').map((v) => v.message)).toContain(
      `${C} saw "[${A}] m6" twice`
    );
  });

  it('[CHAT-ORDER-1] reports two members that saw two messages in different orders', () => {
    const violations = checkTranscripts(
      mutate(B, (lines) => {
        const i = lines.indexOf(`[${C}] m4`);
        return [
          ...lines.slice(0, i),
          lines[i + 1] ?? '',
          lines[i] ?? '',
          ...lines.slice(i + 2)
        ];
      })
    );
    expect(violations).toHaveLength(1);
    const [v] = only(violations, 'I1');
    expect(v?.message).toContain(`${B} and ${A} disagree`);
    expect(v?.message).toContain('opposite order');
  });

  it('[CHAT-COUNT-2] reports a count that is not the previous one plus one', () => {
    const violations = checkTranscripts(
      mutate(B, (lines) =>
        lines.map((l) =>
          l === `New user ${C} entered (3 users online)`
            ? `New user ${C} entered (4 users online)`
            : l
        )
      )
    );
    expect(violations.map((v) => v.invariant)).toEqual(['I2']);
    expect(violations[0]?.message).toBe(
      `${B} got a wrong count at line 4: "New user ${C} entered (4 users online)" should say 3: one more than 2 at line 1`
    );
    expect(violations[0]?.evidence).toEqual([
      `${B} line 1: "Connected to the chat server (2 users online)"`,
      `${B} line 3: "[You] m2"`,
      `${B} line 4: "New user ${C} entered (4 users online)"`,
      `${B} line 5: "[${A}] m3"`
    ]);
  });

  it('[CHAT-COUNT-2] reports a greeting whose count is not the one the others saw', () => {
    const violations = checkTranscripts(
      mutate(C, (lines) => [
        'Connected to the chat server (4 users online)',
        ...lines.slice(1)
      ])
    );
    const [v] = only(violations, 'I2');
    expect(v?.message).toBe(
      `${C} was greeted with 4 online, but ${A} saw it enter with 3`
    );
  });

  it('[CHAT-COUNT-2] reports a leave when nobody is counted online', () => {
    const violations = checkTranscripts([
      {
        addr: A,
        lines: [
          'Connected to the chat server (1 user online)',
          `New user ${B} entered (2 users online)`,
          `The user ${B} left (1 user online)`,
          `The user ${C} left (0 users online)`
        ],
        stayed: true
      }
    ]);
    expect(only(violations, 'I2').map((v) => v.message)).toEqual([
      `${A} got a wrong count at line 4: "The user ${C} left (0 users online)" says 0, though ${A} itself is online`
    ]);
  });

  it('[CHAT-WIRE-4] reports two lines merged into one', () => {
    const violations = checkTranscripts(
      mutate(B, (lines) => {
        const i = lines.indexOf(`[${A}] m3`);
        return [
          ...lines.slice(0, i),
          `${lines[i]}${lines[i + 1]}`,
          ...lines.slice(i + 2)
        ];
      })
    );
    const [v] = only(violations, 'framing');
    expect(v?.message).toContain(
      `${B} received 1 line(s) that are not protocol lines`
    );
    expect(v?.evidence).toEqual([`${B} line 5: "[${A}] m3[${C}] m4"`]);
  });

  it('[CHAT-ORDER-2] reports a member whose first line is not its greeting', () => {
    const violations = checkTranscripts(mutate(C, (lines) => lines.slice(1)));
    const [v] = only(violations, 'framing');
    expect(v?.message).toBe(
      `${C}'s first line is not its greeting: "[${A}] m3"`
    );
  });

  it('reports a text that was sent but never delivered to anyone', () => {
    const transcripts = consistent().map((t) => ({
      ...t,
      lines: t.lines.filter((l) => !l.endsWith('] m4'))
    }));
    const violations = checkTranscripts(transcripts, {
      sent: new Map([[C, ['m4']]])
    });
    expect(violations.map((v) => v.invariant)).toEqual(['I1']);
    expect(violations[0]?.message).toBe(
      `${C} sent "m4", which never reached ${A}`
    );
  });

  it('reports texts delivered in an order other than the one they were sent in', () => {
    const violations = checkTranscripts(consistent(), {
      sent: new Map([[A, ['m3', 'm1', 'm6']]])
    });
    expect(violations.map((v) => v.invariant)).toEqual(['I1']);
    expect(violations[0]?.message).toContain(
      `${A}'s texts reached ${A} out of order`
    );
  });

  it('[CHAT-JOIN-2] reports a member that stayed but whose join nobody saw', () => {
    const violations = checkTranscripts(
      mutate(A, (lines) =>
        without(lines, `New user ${C} entered (3 users online)`)
      )
    );
    expect(only(violations, 'I1').map((v) => v.message)).toContain(
      `${C} stayed, but ${A} (the member online longest) never saw it enter`
    );
  });

  it('[CHAT-SHUT-2] reports a line after Server shutting down', () => {
    const violations = checkTranscripts(
      mutate(A, (lines) => [...lines, 'Server shutting down', `[${B}] late`])
    );
    expect(only(violations, 'I1').map((v) => v.message)).toContain(
      `${A} received "[${B}] late" at line 11, after Server shutting down`
    );
  });

  it('stays linear on a long window (50 members, 2000 messages)', () => {
    const members = Array.from(
      { length: 50 },
      (_, i) => `10.0.0.1:${6000 + i}`
    );
    const steps: Step[] = members.map((m) => ({ join: m }));
    for (let i = 0; i < 2000; i++) {
      steps.push({ say: members[i % members.length] ?? '', text: `t${i}` });
    }
    const lines = render(steps);
    const started = performance.now();
    const violations = checkTranscripts(
      members.map((addr) => ({
        addr,
        lines: lines.get(addr) ?? [],
        stayed: true
      }))
    );
    expect(violations).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
