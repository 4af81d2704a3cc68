/**
 * Every sequence of up to MAX_DEPTH events (plus the leave timeout firing
 * and a line from the peer), replayed through the real connection machine,
 * keeps the lifecycle promises: leaving is entered once, the room hears one
 * leave with the reason of the first ending, the transport is closed exactly
 * once when the actor is done, and the line relay runs exactly while online
 * (started once, stopped before the leave), so no line is relayed after an
 * ending or before the join.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback } from 'xstate';
import type { ConnectionEvent } from '../../../src/machines/connection-events.js';
import { connectionMachine } from '../../../src/machines/connection-machine.js';
import type {
  RoomEmitted,
  RoomEvent
} from '../../../src/machines/room-events.js';
import type {
  ConnectionPort,
  LeaveReason,
  RoomLink
} from '../../../src/machines/types.js';
import { LEAVE_TIMEOUT_MS } from '../../../src/protocol/constants.js';

const MAX_DEPTH = 4;

/**
 * A machine event, the leave timeout firing, or a line from the peer: lines
 * are not machine events, they reach the line relay if it is running.
 */
type Step =
  ConnectionEvent | { type: 'clock.leaveTimeout' } | { type: 'peer.line' };

const STEPS: readonly Step[] = [
  { type: 'room.joined' },
  { type: 'room.rejected' },
  { type: 'room.left' },
  { type: 'peer.line' },
  { type: 'tcp.oversize', limit: 1 },
  { type: 'tcp.end' },
  { type: 'tcp.error', code: 'ECONNRESET' },
  { type: 'tcp.close' },
  { type: 'server.shutdown' },
  { type: 'server.unavailable', graceMs: 30_000 },
  { type: 'feed.error', message: 'boom' },
  { type: 'tcp.slow', why: 'overflow', queuedBytes: 2 },
  { type: 'tcp.idle', idleMs: 1000 },
  { type: 'clock.leaveTimeout' }
];

const REASON_OF: Partial<Record<Step['type'], LeaveReason>> = {
  'tcp.end': 'client quit',
  'tcp.error': 'socket error',
  'tcp.close': 'socket closed',
  'server.shutdown': 'server shutdown',
  'server.unavailable': 'chat unavailable',
  'feed.error': 'internal error',
  'tcp.slow': 'slow consumer',
  'tcp.idle': 'idle timeout'
};

const port: ConnectionPort = {
  remote: '10.0.0.1:1',
  transport: 'tcp',
  queuedBytes: 0,
  write: () => undefined,
  end: () => undefined,
  destroy: () => undefined,
  pauseInput: () => undefined,
  resumeInput: () => undefined,
  attach: () => () => undefined,
  relay: () => () => undefined
};

function replay(steps: readonly Step[]) {
  const toRoom: RoomEvent[] = [];
  /** What the room heard and what the relay did, in one order. */
  const timeline: string[] = [];
  let closes = 0;
  let paused = false;
  let relayStarts = 0;
  let relaying = false;
  let says = 0;
  /** Input or relay out of step with the state, after some step. */
  const outOfStep: string[] = [];
  const room = createActor(
    fromCallback<RoomEvent, void, RoomEmitted>(({ receive }) =>
      receive((e) => {
        toRoom.push(e);
        timeline.push(e.type);
      })
    )
  ).start();
  const clock = new SimulatedClock();
  const stopRelay = (): void => {
    if (!relaying) return;
    relaying = false;
    timeline.push('relay.stop');
  };
  const link: RoomLink = {
    enter: () => undefined,
    startRelay: () => {
      stopRelay();
      relayStarts += 1;
      relaying = true;
      timeline.push('relay.start');
    },
    stopRelay
  };
  const actor = createActor(
    connectionMachine.provide({
      actions: {
        closeTransport: () => void (closes += 1),
        pauseInput: () => void (paused = true),
        resumeInput: () => void (paused = false)
      }
    }),
    { input: { connId: 'c1', port, room, link }, clock }
  ).start();

  // What a correct machine must have done, computed from the steps alone.
  let joined = false;
  let ending: LeaveReason | null = null;
  let expectedSays = 0;
  for (const step of steps) {
    if (actor.getSnapshot().status !== 'active') break;
    const state = actor.getSnapshot().value;
    if (step.type === 'clock.leaveTimeout') {
      clock.increment(LEAVE_TIMEOUT_MS);
      continue;
    }
    if (step.type === 'peer.line') {
      // The transport hands a line to the relay if one is running.
      if (joined && ending === null) expectedSays += 1;
      if (relaying) {
        says += 1;
        timeline.push('say');
      }
      continue;
    }
    if (step.type === 'room.joined' && state === 'connecting') joined = true;
    ending ??= REASON_OF[step.type] ?? null;
    actor.send(step);
    // Input is read only while online: lines never arrive before the join.
    const now = actor.getSnapshot().value;
    if ((now === 'connecting' && !paused) || (now === 'online' && paused)) {
      outOfStep.push(
        `${String(now)} with input ${paused ? 'paused' : 'flowing'}`
      );
    }
    if (relaying !== (now === 'online'))
      outOfStep.push(
        `${String(now)} with the relay ${relaying ? 'running' : 'stopped'}`
      );
  }
  const snapshot = actor.getSnapshot();
  actor.stop();
  room.stop();
  return {
    toRoom,
    timeline,
    closes,
    snapshot,
    ending,
    says,
    relayStarts,
    expectedSays,
    outOfStep
  };
}

/** The promises, checked on one replay; returns what was broken. */
function violations(
  steps: readonly Step[],
  r: ReturnType<typeof replay>
): string[] {
  const broken: string[] = [...r.outOfStep];
  const leaves = r.toRoom.filter((e) => e.type === 'room.leave');
  if (leaves.length > 1) broken.push(`${leaves.length} room.leave`);
  const leave = leaves[0];
  if (leave !== undefined && leave.reason !== r.ending) {
    broken.push(
      `leave reason ${leave.reason}, first ending ${String(r.ending)}`
    );
  }
  // Rejection closes directly (reason 'server shutdown'); every other way
  // out asks the room to remove the member, exactly once.
  const rejected =
    steps.some((s) => s.type === 'room.rejected') && leaves.length === 0;
  if (r.ending !== null && !rejected && leaves.length !== 1) {
    broken.push(`ended (${r.ending}) without one room.leave`);
  }
  if (r.says !== r.expectedSays) {
    broken.push(`${r.says} lines relayed, expected ${r.expectedSays}`);
  }
  if (r.relayStarts > 1) broken.push(`relay started ${r.relayStarts} times`);
  // The relay is gone before the room hears the leave, so no line follows it.
  const leaveAt = r.timeline.indexOf('room.leave');
  if (
    leaveAt !== -1 &&
    r.timeline.slice(leaveAt).some((e) => e === 'relay.start' || e === 'say')
  )
    broken.push(`relay after the leave: ${r.timeline.join(' ')}`);
  if (
    leaveAt !== -1 &&
    r.relayStarts === 1 &&
    r.timeline.indexOf('relay.stop') > leaveAt
  )
    broken.push(`relay stopped after the leave: ${r.timeline.join(' ')}`);
  const done = r.snapshot.status === 'done';
  if (r.closes !== (done ? 1 : 0))
    broken.push(`closeTransport x${r.closes}, done ${done}`);
  if (done && r.snapshot.value !== 'closed')
    broken.push(`done in ${String(r.snapshot.value)}`);
  if (done && r.snapshot.context.reason === null)
    broken.push('done without a reason');
  return broken;
}

describe('connection machine, every event sequence', () => {
  it(`keeps the lifecycle promises for all sequences of up to ${MAX_DEPTH} steps`, () => {
    const failures: string[] = [];
    let checked = 0;
    const explore = (steps: Step[]): void => {
      const r = replay(steps);
      checked += 1;
      for (const v of violations(steps, r)) {
        failures.push(
          `${steps.map((s) => s.type).join(' > ') || '(start)'}: ${v}`
        );
      }
      // Nothing can happen to a finished actor: don't extend its sequence.
      if (steps.length === MAX_DEPTH || r.snapshot.status !== 'active') return;
      for (const step of STEPS) explore([...steps, step]);
    };
    explore([]);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(checked).toBeGreaterThan(5_000);
  });
});
