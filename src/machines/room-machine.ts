import {
  assertEvent,
  assign,
  emit,
  enqueueActions,
  sendTo,
  setup
} from 'xstate';
import type { RoomEmitted, RoomEvent } from './room-events.js';
import { Roster } from './roster.js';

/** Context of the room actor. */
export interface RoomContext {
  readonly name: string;
  /** Membership; mutated in place by `addMember`/`removeMember` (see Roster). */
  readonly roster: Roster;
  /** How many membership changes it has emitted (joins, leaves, closing). */
  seq: number;
}

/** Input of the room actor. */
export interface RoomInput {
  name: string;
}

/**
 * The room's lifecycle: owns membership and decides every join and leave,
 * and when the room closes. [CHAT-COUNT-2]
 *
 * Everything it decides leaves it as an emitted event (`member.joined`,
 * `member.left`, `room.closing`); the room actor puts those into the room's
 * one order, between the chat messages, and turns them into the RxJS
 * broadcast. Each emitted count is read from the roster in the same
 * transition that changed it, so no count can drift. Chat messages do not
 * pass through here: they are data, not lifecycle, and the room actor
 * relays a member's line only while this machine has it in the roster and
 * is `open` (src/actors/room-actor.ts), and confirms a member's leave once
 * the leave is back from the room's order. It collects a turn's lines and sends
 * `room.flush` once per turn; the machine answers `room.flushed`, which puts
 * the batch in its place in the one order. [CHAT-ORDER-1]
 *
 * ```
 *  connection            room                      everyone else
 *      |--- room.join ---->| addMember
 *      |                   | emit member.joined ------> "New user … entered (N)"
 *      |<-- room.joined ---|   (its greeting goes out with the turn's batch)
 *      |=== lines ========>| (room actor: collected per turn)
 *      |    room actor ----| room.flush: emit room.flushed ==> "[ADDR] text" …
 *      |--- room.leave --->| removeMember
 *      |                   | emit member.left --------> "The user … left (N)"
 *      |<-- room.left -----|
 * ```
 */
export const roomMachine = setup({
  types: {
    context: {} as RoomContext,
    events: {} as RoomEvent,
    input: {} as RoomInput,
    emitted: {} as RoomEmitted
  },
  guards: {
    isNewcomer: ({ context, event }) => {
      assertEvent(event, 'room.join');
      return !context.roster.has(event.connId);
    },
    isMember: ({ context, event }) => {
      assertEvent(event, 'room.leave');
      return context.roster.has(event.connId);
    }
  },
  actions: {
    addMember: ({ context, event }) => {
      assertEvent(event, 'room.join');
      context.roster.add({ connId: event.connId, remote: event.remote });
    },
    removeMember: ({ context, event }) => {
      assertEvent(event, 'room.leave');
      context.roster.remove(event.connId);
    },
    nextSeq: assign({ seq: ({ context }) => context.seq + 1 }),
    publishJoin: emit(({ context, event }) => {
      assertEvent(event, 'room.join');
      return {
        type: 'member.joined' as const,
        seq: context.seq,
        connId: event.connId,
        remote: event.remote,
        count: context.roster.size,
        ...(event.name !== undefined && { name: event.name }),
        ...(event.moved === true && { moved: true })
      };
    }),
    publishLeave: emit(({ context, event }, params: { announced: boolean }) => {
      assertEvent(event, 'room.leave');
      return {
        type: 'member.left' as const,
        seq: context.seq,
        connId: event.connId,
        remote: event.remote,
        count: context.roster.size,
        reason: event.reason,
        ...(event.detail && { detail: event.detail }),
        announced: params.announced
      };
    }),
    emitFlushed: emit({ type: 'room.flushed' as const }),
    publishClosing: emit(({ context }) => ({
      type: 'room.closing' as const,
      seq: context.seq,
      count: context.roster.size
    })),
    confirmJoin: sendTo(
      ({ event }) => {
        assertEvent(event, 'room.join');
        return event.ref;
      },
      { type: 'room.joined' }
    ),
    rejectJoin: sendTo(
      ({ event }) => {
        assertEvent(event, 'room.join');
        return event.ref;
      },
      { type: 'room.rejected' }
    ),
    // enqueueActions, not a plain send: the reply is then deferred like
    // `emit` and `sendTo`, so it follows the leave's broadcast as the join's
    // reply follows the join's. The daemon leaves on behalf of a failed actor
    // without a ref, and there is nobody to confirm to then.
    confirmLeave: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'room.leave');
      if (event.ref !== undefined)
        enqueue.sendTo(event.ref, { type: 'room.left' });
    })
  }
}).createMachine({
  id: 'room',
  context: ({ input }) => ({
    name: input.name,
    roster: new Roster(),
    seq: 0
  }),
  initial: 'open',
  // A batch of lines goes out inside the room's own processing, like every
  // membership change, so a leave decided during its fan-out (a write ended
  // a member) waits in the mailbox until everyone has it.
  on: {
    'room.flush': { actions: 'emitFlushed' }
  },
  states: {
    open: {
      on: {
        'room.join': [
          {
            guard: 'isNewcomer',
            actions: ['addMember', 'nextSeq', 'publishJoin', 'confirmJoin']
          },
          { actions: 'rejectJoin' }
        ],
        'room.leave': [
          {
            guard: 'isMember',
            actions: [
              'removeMember',
              'nextSeq',
              { type: 'publishLeave', params: { announced: true } },
              'confirmLeave'
            ]
          },
          { actions: 'confirmLeave' }
        ],
        'room.shutdown': { target: 'closing' }
      }
    },
    closing: {
      entry: ['nextSeq', 'publishClosing'],
      on: {
        'room.join': { actions: 'rejectJoin' },
        'room.leave': [
          {
            guard: 'isMember',
            actions: [
              'removeMember',
              'nextSeq',
              { type: 'publishLeave', params: { announced: false } },
              'confirmLeave'
            ]
          },
          { actions: 'confirmLeave' }
        ]
      }
    }
  }
});
