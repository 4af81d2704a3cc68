import { assertEvent, assign, sendTo, setup, type ActorRefFrom } from 'xstate';
import { LEAVE_TIMEOUT_MS } from '../protocol/constants.js';
import type { ConnectionEvent } from './connection-events.js';
import type { LeaveDetail } from './room-events.js';
import type {
  ConnectionPort,
  LeaveReason,
  RoomLink,
  RoomRef
} from './types.js';

/** Context of one connection actor. */
export interface ConnectionContext {
  readonly connId: string;
  readonly remote: string;
  readonly port: ConnectionPort;
  /** Its room while it is a member; the next one from `moving` on. */
  readonly room: RoomRef;
  /** Its feed and line relay (src/actors/member-link.ts). */
  readonly link: RoomLink;
  /** Why it left; set once, on the way into `leaving`. */
  reason: LeaveReason | null;
  /** Node's error code when the socket failed. */
  errorCode: string | null;
  /** What went wrong when this connection's own handling failed. */
  fault: string | null;
  /** How the peer proved a slow consumer, when it did. */
  slow: { why: 'overflow' | 'stall'; queuedBytes: number } | null;
  /** The idle timeout that ended it, when one did. */
  idleMs: number | null;
  /** How long Redis was out of reach when that ended it (cluster). */
  graceMs: number | null;
  /** The room it is moving to, between leaving one and joining the next. */
  nextRoom: string | null;
  /** The reason it gave with `/quit`, for its leave notice. [CHAT-CMD-QUIT] */
  quit: string | null;
}

/** Input of one connection actor. */
export interface ConnectionInput {
  connId: string;
  port: ConnectionPort;
  room: RoomRef;
  link: RoomLink;
}

/**
 * What the context knows about the ending beyond its reason, for the room's
 * log record of the leave; `undefined` when nothing.
 */
function leaveDetail(context: ConnectionContext): LeaveDetail | undefined {
  if (context.slow !== null)
    return { why: context.slow.why, queuedBytes: context.slow.queuedBytes };
  if (context.idleMs !== null) return { idleMs: context.idleMs };
  if (context.errorCode !== null) return { code: context.errorCode };
  if (context.quit !== null) return { quit: context.quit };
  return undefined;
}

/**
 * One TCP connection's lifecycle: connecting → online → leaving → closed,
 * with a detour through `moving` for each change of room.
 *
 * - `connecting`: accepted, not yet a member. Its link subscribes it to the
 *   room's broadcast and then asks to join, so no event ordered after the join
 *   can be missed. Input is paused, so what the peer sends waits in TCP until
 *   it is a member. A peer that vanishes here never joined, so the room
 *   announces nothing for it. [CHAT-ORDER-4]
 * - `online`: a member. The line relay it runs hands each line the peer sends
 *   straight to the room, and the feed writes what the room broadcasts
 *   straight to the socket: chat data never passes through this machine, it
 *   only decides when it may flow. Leaving stops the relay first, so no line
 *   can follow the leave.
 * - `moving`: `/join` or `/part` [CHAT-CMD-JOIN]. Leaving `online` stopped
 *   the relay, so every line it said in the old room is ordered before its
 *   leave there; input is paused; the old room gets the leave and answers
 *   `room.left` after its farewell (everything ordered before the leave).
 *   Then the connection takes the next room and is `connecting` again: its
 *   feed subscribes to the new room and joins it.
 *
 * ```
 *  connection          old room                  new room
 *   online --cmd.join--> moving
 *     |-- room.leave ---->| removeMember; "The user … left (N)"
 *     |<-- farewell ------| (its view up to its leave)
 *     |<-- room.left -----|
 *   connecting: enterRoom ─ subscribe ─ room.join ───►| addMember; "New user … entered (N)"
 *     |<------------------------------- room.joined ---| its greeting: "Now in #room (N)"
 *   online
 * ```
 * - `leaving`: entered exactly once, from any state, by the first of
 *   FIN, socket error, close, shutdown, a slow consumer, an idle timeout, a
 *   cluster node's lost Redis or a fault in its own handling; asks the room to remove the member
 *   and waits for its answer, so the count changes exactly once.
 * - `closed`: final. Closing the transport flushes what was queued first.
 *
 * The room's broadcast and the peer's lines go through the `RoomLink` given
 * as input (src/actors/member-link.ts), a plain object rather than an
 * invoked actor: each invoked actor costs about 1.8 KB per connection
 * (docs/performance.md, "Memory"). The other effects are stubs here:
 * src/actors provides them through `.provide()`, the same seam the unit
 * tests use.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput
  },
  actions: {
    recordReason: assign((_, params: { reason: LeaveReason }) => ({
      reason: params.reason
    })),
    recordFault: assign(({ event }) => {
      assertEvent(event, 'feed.error');
      return { reason: 'internal error' as const, fault: event.message };
    }),
    recordSlowConsumer: assign(({ event }) => {
      assertEvent(event, 'tcp.slow');
      return {
        reason: 'slow consumer' as const,
        slow: { why: event.why, queuedBytes: event.queuedBytes }
      };
    }),
    recordIdle: assign(({ event }) => {
      assertEvent(event, 'tcp.idle');
      return { reason: 'idle timeout' as const, idleMs: event.idleMs };
    }),
    recordUnavailable: assign(({ event }) => {
      assertEvent(event, 'server.unavailable');
      return { reason: 'chat unavailable' as const, graceMs: event.graceMs };
    }),
    recordNextRoom: assign(({ event }) => {
      assertEvent(event, 'cmd.join');
      return { nextRoom: event.room };
    }),
    recordQuit: assign(({ event }) => {
      assertEvent(event, 'cmd.quit');
      return { reason: 'client quit' as const, quit: event.reason ?? null };
    }),
    /** Takes the room it is moving to (provided: rooms live in src/actors). */
    takeNextRoom: assign({ nextRoom: null }),
    /** Subscribes to its room's broadcast, then joins it. */
    enterRoom: ({ context, self }) => {
      context.link.enter(context.room, self);
    },
    /** The peer's lines go to its room from now on. */
    startRelay: ({ context, self }) => {
      context.link.startRelay(context.room, self);
    },
    /** No line follows: leaving or moving is ordered after its last one. */
    stopRelay: ({ context }) => {
      context.link.stopRelay();
    },
    /** Leaves the old room, not the chat: the others see the usual leave. */
    requestMove: sendTo(
      ({ context }) => context.room,
      ({ context, self }) => ({
        type: 'room.leave' as const,
        connId: context.connId,
        remote: context.remote,
        reason: 'client quit' as const,
        detail: { movedTo: context.nextRoom ?? '' },
        ref: self
      })
    ),
    recordSocketError: assign(({ event }) => {
      assertEvent(event, 'tcp.error');
      return { reason: 'socket error' as const, errorCode: event.code };
    }),
    requestLeave: sendTo(
      ({ context }) => context.room,
      ({ context, self }) => {
        const detail = leaveDetail(context);
        return {
          type: 'room.leave' as const,
          connId: context.connId,
          remote: context.remote,
          reason: context.reason ?? 'socket closed',
          ...(detail && { detail }),
          ref: self
        };
      }
    ),
    /** Tells the peer its line was too long. [CHAT-IN-4] */
    reportOversize: () => undefined,
    /** Tells a peer that arrived during shutdown why it is closed. */
    reportRejection: () => undefined,
    /** Flushes and closes the transport, with a last `Error:` line for the reasons that have one. */
    closeTransport: () => undefined,
    /** Stops reading: a line can't be relayed before the join. */
    pauseInput: () => undefined,
    resumeInput: () => undefined
  },
  delays: {
    leaveTimeout: LEAVE_TIMEOUT_MS
  }
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    connId: input.connId,
    remote: input.port.remote,
    port: input.port,
    room: input.room,
    link: input.link,
    reason: null,
    errorCode: null,
    fault: null,
    slow: null,
    idleMs: null,
    graceMs: null,
    nextRoom: null,
    quit: null
  }),
  on: {
    'tcp.end': {
      target: '.leaving',
      actions: { type: 'recordReason', params: { reason: 'client quit' } }
    },
    'tcp.error': { target: '.leaving', actions: 'recordSocketError' },
    'tcp.close': {
      target: '.leaving',
      actions: { type: 'recordReason', params: { reason: 'socket closed' } }
    },
    'server.shutdown': {
      target: '.leaving',
      actions: { type: 'recordReason', params: { reason: 'server shutdown' } }
    },
    'server.unavailable': {
      target: '.leaving',
      actions: 'recordUnavailable'
    },
    'feed.error': { target: '.leaving', actions: 'recordFault' },
    // The peer stopped reading: give up on it after the current fan-out (the
    // room handles the leave once it is done emitting). [CHAT-SLOW-1]
    'tcp.slow': { target: '.leaving', actions: 'recordSlowConsumer' },
    'tcp.idle': { target: '.leaving', actions: 'recordIdle' }
  },
  initial: 'connecting',
  states: {
    connecting: {
      // Lines sent before the join wait in TCP, not dropped. [CHAT-ORDER-2]
      entry: ['pauseInput', 'enterRoom'],
      on: {
        'room.joined': { target: 'online' },
        'room.rejected': {
          target: 'closed',
          actions: [
            { type: 'recordReason', params: { reason: 'server shutdown' } },
            'reportRejection'
          ]
        }
      }
    },
    online: {
      entry: ['resumeInput', 'startRelay'],
      exit: 'stopRelay',
      on: {
        'tcp.oversize': { actions: 'reportOversize' },
        'cmd.join': { target: 'moving', actions: 'recordNextRoom' },
        'cmd.quit': { target: 'leaving', actions: 'recordQuit' }
      }
    },
    moving: {
      entry: ['pauseInput', 'requestMove'],
      on: {
        'room.left': { target: 'connecting', actions: 'takeNextRoom' }
      },
      after: { leaveTimeout: { target: 'closed' } }
    },
    leaving: {
      entry: 'requestLeave',
      // Absorb further endings: `leaving` is entered once. [CHAT-ORDER-3]
      on: {
        'room.left': { target: 'closed' },
        'tcp.end': {},
        'tcp.error': {},
        'tcp.close': {},
        'server.shutdown': {},
        'server.unavailable': {},
        'feed.error': {},
        'tcp.slow': {},
        'tcp.idle': {}
      },
      after: { leaveTimeout: { target: 'closed' } }
    },
    closed: {
      type: 'final',
      entry: 'closeTransport'
    }
  }
});

/** A running connection actor. */
export type ConnectionActor = ActorRefFrom<typeof connectionMachine>;
