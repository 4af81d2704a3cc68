import type { Subscription } from 'rxjs';
import type { CommandEvent } from '../machines/connection-events.js';
import type {
  ConnectionPort,
  ConnectionRef,
  RoomLink,
  RoomRef
} from '../machines/types.js';
import { parseInput } from '../protocol/command.js';
import { bytesOf, linesOf } from './broadcast.js';
import type { Commands } from './commands/commands.js';
import { runCommand } from './commands/dispatch.js';
import type { LineHandler } from './commands/lanes.js';
import type { Room } from './room-actor.js';

/** What the links of one daemon share: its lobby and, with protocol v2, its commands and rooms. */
export class LinkShared {
  constructor(
    readonly lobby: Room,
    readonly commands: Commands | undefined
  ) {}

  /** The room behind `ref`: the lobby without commands (protocol v1). */
  roomOf(ref: RoomRef): Room {
    return this.commands?.rooms.byRef(ref) ?? this.lobby;
  }
}

/**
 * One connection's `RoomLink`: its feed (the room's broadcast, written
 * straight to its port) and, while it is online, its line relay (the
 * peer's lines, handed straight to the room). Chat data never passes
 * through the connection machine; the machine only says when it may flow.
 *
 * A plain object where an invoked XState actor used to be, for memory and
 * churn (docs/performance.md, "Memory"). `startConnection` releases it when
 * the actor ends.
 */
export class MemberLink implements RoomLink {
  readonly #shared: LinkShared;
  readonly #connId: string;
  readonly #port: ConnectionPort;
  #feed: Subscription | null = null;
  #stopRelay: (() => void) | null = null;

  constructor(shared: LinkShared, connId: string, port: ConnectionPort) {
    this.#shared = shared;
    this.#connId = connId;
    this.#port = port;
  }

  enter(ref: RoomRef, self: ConnectionRef): void {
    const moved = this.#feed !== null;
    // The old room's feed ended with its farewell. [CHAT-CMD-JOIN]
    this.#feed?.unsubscribe();
    this.#feed = this.#subscribe(ref, self);
    const connId = this.#connId;
    const name = this.#shared.commands?.names.nameOf(connId);
    ref.send({
      type: 'room.join',
      connId,
      remote: this.#port.remote,
      ref: self,
      ...(name !== undefined && { name }),
      ...(moved && { moved })
    });
  }

  startRelay(ref: RoomRef, self: ConnectionRef): void {
    this.#stopRelay?.();
    this.#stopRelay = this.#relay(ref, self);
  }

  stopRelay(): void {
    this.#stopRelay?.();
    this.#stopRelay = null;
  }

  /** Ends the feed and the relay: the actor is done. */
  release(): void {
    this.stopRelay();
    this.#feed?.unsubscribe();
    this.#feed = null;
  }

  /** Writes what `ref`'s room broadcasts for this member to its port. */
  #subscribe(ref: RoomRef, self: ConnectionRef): Subscription {
    const connId = this.#connId;
    const port = this.#port;
    const subscription = this.#shared
      .roomOf(ref)
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
          self.send({ type: 'feed.error', message: describeError(err) });
        }
      });
    return subscription;
  }

  /** Hands each line from the port to `ref`'s room until the returned stop. */
  #relay(ref: RoomRef, self: ConnectionRef): () => void {
    const connId = this.#connId;
    const port = this.#port;
    const { commands } = this.#shared;
    const room = this.#shared.roomOf(ref);
    let failed = false;
    /** Contained like the feed's: this connection ends, the transport's read loop and the room carry on. */
    const fail = (err: unknown): void => {
      failed = true;
      self.send({ type: 'feed.error', message: describeError(err) });
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
    const caller = { connId, remote: port.remote, room };
    const { lanes } = commands;
    /** Set once this connection asked to leave the room: later lines are for the next. */
    let moved = false;
    const toMachine = (event: CommandEvent): void => {
      if (event.type === 'cmd.join') moved = true;
      self.send(event);
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
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
