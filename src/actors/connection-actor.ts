import {
  assertEvent,
  assign,
  createActor,
  fromCallback,
  type ActorOptions,
  type InspectionEvent
} from 'xstate';
import type { Logger } from '../app/logger.js';
import type { Subscription } from 'rxjs';
import type { CommandEvent, FeedEvent } from '../machines/connection-events.js';
import {
  connectionMachine,
  type BridgeCommand,
  type BridgeInput,
  type ConnectionActor,
  type ConnectionContext
} from '../machines/connection-machine.js';
import type {
  ConnectionPort,
  LeaveReason,
  RoomRef
} from '../machines/types.js';
import { parseInput } from '../protocol/command.js';
import {
  SHUTDOWN_NOTICE,
  SLOW_CONSUMER_NOTICE,
  formatIdleTimeout,
  formatLineTooLong,
  formatUnavailableTimeout
} from '../protocol/format.js';
import { bytesOf, linesOf } from './broadcast.js';
import type { Commands } from './commands/commands.js';
import { runCommand } from './commands/dispatch.js';
import type { LineHandler } from './commands/lanes.js';
import type { Room } from './room-actor.js';

/**
 * The connection machine with its effects, for the connections of one
 * daemon: in the lobby only (protocol v1) without `commands`, in any of
 * its rooms with them (protocol v2). Provided once per daemon, not per
 * connection: `.provide()` rebuilds the machine.
 */
export function createConnectionLogic(lobby: Room, commands?: Commands) {
  const roomOf = (ref: RoomRef): Room => commands?.rooms.byRef(ref) ?? lobby;
  /**
   * Subscribes to `ref`'s broadcast, then joins it, so the greeting and
   * everything ordered after it reach this member.
   */
  const enterRoom = (
    input: BridgeInput,
    ref: RoomRef,
    moved: boolean,
    sendBack: (event: FeedEvent) => void
  ): Subscription => {
    const { connId, port } = input;
    const subscription = roomOf(ref)
      .feed(connId)
      .subscribe((item) => {
        try {
          const bytes = bytesOf(item, connId);
          if (bytes !== null) port.write(bytes, linesOf(item, connId));
        } catch (err) {
          // A throw here would escape into the room's fan-out (RxJS
          // rethrows it later and the process dies): contain it to this
          // connection instead.
          subscription.unsubscribe();
          sendBack({ type: 'feed.error', message: describeError(err) });
        }
      });
    const name = commands?.names.nameOf(connId);
    ref.send({
      type: 'room.join',
      connId,
      remote: input.remote,
      ref: input.connection,
      ...(name !== undefined && { name }),
      ...(moved && { moved })
    });
    return subscription;
  };

  /** Hands each line from the transport to `ref`'s room until the returned stop. */
  const relayLines = (
    input: BridgeInput,
    ref: RoomRef,
    sendBack: (event: FeedEvent | CommandEvent) => void
  ): (() => void) => {
    const { connId, port } = input;
    const room = roomOf(ref);
    const caller = { connId, remote: input.remote, room };
    let failed = false;
    /** Contained like the feed's: this connection ends, the transport's read loop and the room carry on. */
    const fail = (err: unknown): void => {
      failed = true;
      sendBack({ type: 'feed.error', message: describeError(err) });
    };
    if (commands === undefined)
      return port.relay((text) => {
        if (failed) return;
        try {
          room.say(connId, text);
        } catch (err) {
          fail(err);
        }
      });
    const { lanes } = commands;
    /** Set once this connection asked to leave the room: later lines are for the next. */
    let moved = false;
    const toMachine = (event: CommandEvent): void => {
      if (event.type === 'cmd.join') moved = true;
      sendBack(event);
    };
    const handle: LineHandler = (text) => {
      if (failed) return;
      if (moved) return 'moved';
      try {
        // Parsed by the protocol layer into a typed event. [CHAT-CMD-1]
        const parsed = parseInput(text);
        if (parsed.type === 'chat.line') room.say(connId, parsed.text);
        else if (parsed.type === 'cmd.invalid')
          commands.refuse(caller, 'invalid command', parsed.message);
        else {
          const done = runCommand(commands, caller, parsed, toMachine);
          if (done instanceof Promise) return done.catch(fail);
        }
      } catch (err) {
        fail(err);
      }
    };
    lanes.attach(connId, handle);
    const detach = port.relay((text) => lanes.take(connId, handle, text));
    return () => {
      detach();
      lanes.detach(connId, handle);
    };
  };

  return connectionMachine.provide({
    actors: {
      bridge: fromCallback<BridgeCommand, BridgeInput>(
        ({ input, sendBack, receive }) => {
          const detachPort = input.port.attach(sendBack);
          let feed = enterRoom(input, input.room, false, sendBack);
          let stopRelay: (() => void) | null = null;
          receive((command) => {
            switch (command.type) {
              case 'feed.enter':
                // The old room's feed ended with its farewell. [CHAT-CMD-JOIN]
                feed.unsubscribe();
                feed = enterRoom(input, command.room, true, sendBack);
                return;
              case 'relay.start':
                stopRelay?.();
                stopRelay = relayLines(input, command.room, sendBack);
                return;
              case 'relay.stop':
                stopRelay?.();
                stopRelay = null;
                return;
            }
          });
          return () => {
            stopRelay?.();
            feed.unsubscribe();
            detachPort();
          };
        }
      )
    },
    actions: {
      takeNextRoom: assign(({ context }) => ({
        room: commands?.rooms.seatOf(context.connId).ref ?? context.room,
        nextRoom: null
      })),
      reportOversize: ({ context, event }) => {
        assertEvent(event, 'tcp.oversize');
        // After the lines said before it, which are still in this turn's batch.
        roomOf(context.room).flush();
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
  clock?: ActorOptions<ConnectionLogic>['clock'];
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
  const actor = createActor(logic, {
    id: connId,
    input: { connId, port, room: room.ref },
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
  actor.subscribe({
    complete: () => {
      const { reason, fault } = actor.getSnapshot().context;
      // A diagnostic, in addition to the leave: what failed, with its stack.
      if (fault !== null)
        logger().error('connection failed', { reason, err: fault });
      if (member !== true) logger().info('connection closed', { reason });
      onDone(connId, reason ?? 'socket closed');
    },
    error: (err) => {
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

function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
