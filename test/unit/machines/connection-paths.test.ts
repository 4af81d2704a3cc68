/**
 * Every sequence of up to MAX_DEPTH events (plus the leave timeout firing),
 * replayed through the real connection machine, keeps the lifecycle promises:
 * leaving is entered once, the room hears one leave with the reason of the
 * first ending, the transport is closed exactly once when the actor is done,
 * and no line is relayed after an ending or before the join.
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
  LeaveReason
} from '../../../src/machines/types.js';
import { LEAVE_TIMEOUT_MS } from '../../../src/protocol/constants.js';

const MAX_DEPTH = 4;

type Step = ConnectionEvent | { type: 'clock.leaveTimeout' };

const STEPS: readonly Step[] = [
  { type: 'room.joined' },
  { type: 'room.rejected' },
  { type: 'room.left' },
  { type: 'tcp.line', text: 'x' },
  { type: 'tcp.oversize', limit: 1 },
  { type: 'tcp.end' },
  { type: 'tcp.error', code: 'ECONNRESET' },
  { type: 'tcp.close' },
  { type: 'server.shutdown' },
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
  'feed.error': 'internal error',
  'tcp.slow': 'slow consumer',
  'tcp.idle': 'idle timeout'
};

const port: ConnectionPort = {
  remote: '10.0.0.1:1',
  queuedBytes: 0,
  write: () => undefined,
  end: () => undefined,
  destroy: () => undefined,
  pauseInput: () => undefined,
  resumeInput: () => undefined,
  attach: () => () => undefined
};

function replay(steps: readonly Step[]) {
  const toRoom: RoomEvent[] = [];
  let closes = 0;
  let paused = false;
  const pausedWrongly: string[] = [];
  const room = createActor(
    fromCallback<RoomEvent, void, RoomEmitted>(({ receive }) =>
      receive((e) => toRoom.push(e))
    )
  ).start();
  const clock = new SimulatedClock();
  const actor = createActor(
    connectionMachine.provide({
      actors: {
        socketBridge: fromCallback(() => undefined),
        roomFeed: fromCallback(() => undefined)
      },
      actions: {
        closeTransport: () => void (closes += 1),
        pauseInput: () => void (paused = true),
        resumeInput: () => void (paused = false)
      }
    }),
    { input: { connId: 'c1', port, room }, clock }
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
    if (step.type === 'room.joined' && state === 'connecting') joined = true;
    if (step.type === 'tcp.line' && joined && ending === null)
      expectedSays += 1;
    ending ??= REASON_OF[step.type] ?? null;
    actor.send(step);
    // Input is read only while online: lines never arrive before the join.
    const now = actor.getSnapshot().value;
    if ((now === 'connecting' && !paused) || (now === 'online' && paused)) {
      pausedWrongly.push(
        `${String(now)} with input ${paused ? 'paused' : 'flowing'}`
      );
    }
  }
  const snapshot = actor.getSnapshot();
  actor.stop();
  room.stop();
  return { toRoom, closes, snapshot, ending, expectedSays, pausedWrongly };
}

/** The promises, checked on one replay; returns what was broken. */
function violations(
  steps: readonly Step[],
  r: ReturnType<typeof replay>
): string[] {
  const broken: string[] = [...r.pausedWrongly];
  const leaves = r.toRoom.filter((e) => e.type === 'room.leave');
  const says = r.toRoom.filter((e) => e.type === 'room.say');
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
  if (says.length !== r.expectedSays) {
    broken.push(`${says.length} room.say, expected ${r.expectedSays}`);
  }
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
