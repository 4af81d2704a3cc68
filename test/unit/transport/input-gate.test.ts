/**
 * InputGate: the input policy TcpConnection and the replay's
 * MemoryConnection share (issue 16, item 2), on fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HOLD,
  InputGate,
  type InputGateHooks
} from '../../../src/transport/input-gate.js';
import { systemTimers } from '../../../src/transport/timers.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A gate whose hooks record every call, in order. */
function gate(idleTimeoutMs = 0) {
  const calls: string[] = [];
  const hooks: InputGateHooks = {
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    idle: (idleMs) => calls.push(`idle ${idleMs}`)
  };
  return { calls, gate: new InputGate(idleTimeoutMs, systemTimers, hooks) };
}

describe('InputGate', () => {
  it('pauses on the first reason to hold and resumes only when the last one goes', () => {
    const { calls, gate: g } = gate();
    g.hold(HOLD.actor);
    g.hold(HOLD.backpressure);
    g.hold(HOLD.backpressure);
    expect(calls).toEqual(['pause']);
    expect(g.held).toBe(true);
    g.release(HOLD.actor);
    g.release(HOLD.pacing); // never held: nothing happens
    expect(calls).toEqual(['pause']);
    g.release(HOLD.backpressure);
    expect(calls).toEqual(['pause', 'resume']);
    expect(g.held).toBe(false);
  });

  it('reports idle once, idleTimeoutMs after the last input [CHAT-IDLE-1]', () => {
    const { calls, gate: g } = gate(1000);
    vi.advanceTimersByTime(600);
    g.input();
    vi.advanceTimersByTime(999);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['idle 1000']);
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual(['idle 1000']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not count time it held input toward idleness [CHAT-IDLE-1]', () => {
    const { calls, gate: g } = gate(1000);
    vi.advanceTimersByTime(600);
    g.hold(HOLD.actor);
    vi.advanceTimersByTime(5000);
    g.release(HOLD.actor);
    vi.advanceTimersByTime(399);
    expect(calls).toEqual(['pause', 'resume']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['pause', 'resume', 'idle 1000']);
  });

  it('lifts every hold on end(), resuming once, and then holds nothing and watches no idleness', () => {
    const { calls, gate: g } = gate(1000);
    g.hold(HOLD.actor);
    g.hold(HOLD.pacing);
    g.end();
    expect(calls).toEqual(['pause', 'resume']);
    expect(g.held).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    g.hold(HOLD.actor);
    g.release(HOLD.actor);
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('dispose() clears the idle timer without resuming, and nothing re-arms it', () => {
    const { calls, gate: g } = gate(1000);
    g.hold(HOLD.backpressure);
    g.dispose();
    expect(vi.getTimerCount()).toBe(0);
    g.release(HOLD.backpressure);
    g.hold(HOLD.actor);
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual(['pause']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
