import {
  assertEvent,
  assign,
  createActor,
  type ActorOptions,
  type InspectionEvent
} from 'xstate';
import type { Logger } from '../app/logger.js';
import {
  connectionMachine,
  type ConnectionActor,
  type ConnectionContext
} from '../machines/connection-machine.js';
import type { ConnectionPort, LeaveReason } from '../machines/types.js';
import {
  SHUTDOWN_NOTICE,
  SLOW_CONSUMER_NOTICE,
  formatIdleTimeout,
  formatLineTooLong,
  formatUnavailableTimeout
} from '../protocol/format.js';
import type { Commands } from './commands/commands.js';
import { LinkShared, MemberLink, describeError } from './member-link.js';
import type { Room } from './room-actor.js';

/**
 * The connection machine with its effects, for the connections of one
 * daemon: in the lobby only (protocol v1) without `commands`, in any of
 * its rooms with them (protocol v2). Made once per daemon, not per
 * connection: `.provide()` rebuilds the machine.
 */
export function createConnectionLogic(lobby: Room, commands?: Commands) {
  const shared = new LinkShared(lobby, commands);
  const machine = connectionMachine.provide({
    actions: {
      takeNextRoom: assign(({ context }) => ({
        room: commands?.rooms.seatOf(context.connId).ref ?? context.room,
        nextRoom: null
      })),
      reportOversize: ({ context, event }) => {
        assertEvent(event, 'tcp.oversize');
        // After the lines said before it, which are still in this turn's batch.
        shared.roomOf(context.room).flush();
        context.port.write(`${formatLineTooLong(event.limit)}\n`);
      },
      reportRejection: ({ context }) => {
        context.port.write(`${SHUTDOWN_NOTICE}\n`);
      },
      closeTransport: ({ context }) => {
        context.port.end(farewellFor(context));
      },
      pauseInput: ({ context }) => {
        context.port.pauseInput();
      },
      resumeInput: ({ context }) => {
        context.port.resumeInput();
      }
    }
  });
  return {
    machine,
    /** A new connection's link to its rooms, for its actor's input. */
    link: (connId: string, port: ConnectionPort): MemberLink =>
      new MemberLink(shared, connId, port)
  };
}

/** The last line a peer gets when the server ends the connection, if any. */
function farewellFor(context: ConnectionContext): string | undefined {
  switch (context.reason) {
    case 'slow consumer':
      return SLOW_CONSUMER_NOTICE; // [CHAT-SLOW-1]
    case 'idle timeout':
      return formatIdleTimeout(context.idleMs ?? 0); // [CHAT-IDLE-1]
    case 'chat unavailable':
      return formatUnavailableTimeout(context.graceMs ?? 0); // [CLUSTER-2]
    default:
      return undefined;
  }
}

/** The connection logic of one daemon. */
export type ConnectionLogic = ReturnType<typeof createConnectionLogic>;

/** What starting a connection actor needs. */
export interface StartConnectionOptions {
  logic: ConnectionLogic;
  room: Room;
  connId: string;
  port: ConnectionPort;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /** Drives the actor's timers; default the real one. Replay passes its `VirtualClock`. */
  clock?: ActorOptions<ConnectionLogic['machine']>['clock'];
  /** Called exactly once when the actor is done, normally or by failure, with why. */
  onDone: (connId: string, reason: LeaveReason) => void;
}

/**
 * Starts one connection as a standalone root actor (never a child of the
 * room: docs/facts.md). A fault in it is contained: the socket is
 * destroyed, the room forgets the member, nothing else is touched.
 */
export function startConnection(
  options: StartConnectionOptions
): ConnectionActor {
  const { logic, room, connId, port, onDone } = options;
  // Made when first needed: most connections never log here, and a child
  // logger per connection costs memory (docs/performance.md, "Memory").
  const logger = (): Logger =>
    options.logger.child({
      component: 'connection',
      connId,
      remote: port.remote
    });
  const link = logic.link(connId, port);
  const actor = createActor(logic.machine, {
    id: connId,
    input: { connId, port, room: room.ref, link },
    inspect: options.inspect,
    // Only when given: an explicit `clock: undefined` replaces XState's default.
    ...(options.clock && { clock: options.clock })
  });
  // Every ending is logged once, at info, with its reason. A member's is the
  // room's `member left` (with the detail the leave request carries); this
  // actor logs only the ending of a connection that never became one. Which
  // it is shows when `connecting` ends, always in the call stack of
  // `start()` (the room answers a join there): straight to `closed` means
  // the room rejected the join. Watched only until then, so it costs nothing
  // per line.
  let member: boolean | null = null;
  const watch = actor.subscribe({
    next: (snapshot) => {
      if (snapshot.value === 'connecting') return;
      member = snapshot.value !== 'closed';
      watch.unsubscribe();
    },
    // Reported by the observer below; without a handler here, XState would
    // rethrow it.
    error: () => undefined
  });
  // The transport's events go to the actor from now on; they wait in its
  // mailbox until it starts. XState binds `send` to its actor (the Actor
  // constructor), so it needs no wrapper, which would be one more closure
  // per connection.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const detachPort = port.attach(actor.send);
  /** Stops the feed, the relay and the transport's events: the actor is done. */
  const release = (): void => {
    link.release();
    detachPort();
  };
  actor.subscribe({
    complete: () => {
      release();
      const { reason, fault } = actor.getSnapshot().context;
      // A diagnostic, in addition to the leave: what failed, with its stack.
      if (fault !== null)
        logger().error('connection failed', { reason, err: fault });
      if (member !== true) logger().info('connection closed', { reason });
      onDone(connId, reason ?? 'socket closed');
    },
    error: (err) => {
      release();
      logger().error('connection failed', {
        reason: 'internal error',
        err: describeError(err)
      });
      port.destroy();
      actor.getSnapshot().context.room.send({
        type: 'room.leave',
        connId,
        remote: port.remote,
        reason: 'internal error'
      });
      onDone(connId, 'internal error');
    }
  });
  actor.start();
  return actor;
}
