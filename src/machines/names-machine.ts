import { assertEvent, emit, setup } from 'xstate';
import { nameKey } from '../protocol/command.js';

/** Who holds a name: its spelling as claimed, and its connection. */
export interface NameHolder {
  readonly connId: string;
  readonly name: string;
}

/**
 * Every nickname of the daemon, one holder each, compared case-insensitively.
 * [CHAT-NICK-1] Mutated in place by the names machine's actions, its only
 * owner (like the room's Roster).
 */
export class NameTable {
  readonly #byKey = new Map<string, NameHolder>();
  readonly #byConn = new Map<string, NameHolder>();

  /** The holder of `name`, in any case. */
  holder(name: string): NameHolder | undefined {
    return this.#byKey.get(nameKey(name));
  }

  /** The name `connId` holds. */
  nameOf(connId: string): string | undefined {
    return this.#byConn.get(connId)?.name;
  }

  /** `connId` holds `name` now; its old name, if any, is free. */
  set(connId: string, name: string): void {
    this.remove(connId);
    const holder = { connId, name };
    this.#byKey.set(nameKey(name), holder);
    this.#byConn.set(connId, holder);
  }

  remove(connId: string): void {
    const held = this.#byConn.get(connId);
    if (held === undefined) return;
    this.#byConn.delete(connId);
    this.#byKey.delete(nameKey(held.name));
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Keeps snapshots and inspection output readable. */
  toJSON(): { size: number } {
    return { size: this.#byKey.size };
  }
}

/** Events of the names actor. */
export type NamesEvent =
  | { type: 'names.claim'; connId: string; name: string }
  | { type: 'names.release'; connId: string };

/** What the names actor decides, one claim at a time. */
export type NamesEmitted =
  | { type: 'names.claimed'; connId: string; name: string }
  | { type: 'names.taken'; connId: string; name: string };

/**
 * The daemon's nicknames: one actor decides every claim, one at a time, so
 * of any number of connections racing for one name exactly one gets it.
 * [CHAT-NICK-1] A name is free again the moment its holder renames or is
 * released (its connection is done).
 */
export const namesMachine = setup({
  types: {
    context: {} as { readonly table: NameTable },
    events: {} as NamesEvent,
    emitted: {} as NamesEmitted
  },
  guards: {
    isNameFree: ({ context, event }) => {
      assertEvent(event, 'names.claim');
      const holder = context.table.holder(event.name);
      return holder === undefined || holder.connId === event.connId;
    }
  },
  actions: {
    claimName: ({ context, event }) => {
      assertEvent(event, 'names.claim');
      context.table.set(event.connId, event.name);
    },
    releaseName: ({ context, event }) => {
      assertEvent(event, 'names.release');
      context.table.remove(event.connId);
    },
    publishClaimed: emit(({ event }) => {
      assertEvent(event, 'names.claim');
      return {
        type: 'names.claimed' as const,
        connId: event.connId,
        name: event.name
      };
    }),
    publishTaken: emit(({ event }) => {
      assertEvent(event, 'names.claim');
      return {
        type: 'names.taken' as const,
        connId: event.connId,
        name: event.name
      };
    })
  }
}).createMachine({
  id: 'names',
  context: () => ({ table: new NameTable() }),
  on: {
    'names.claim': [
      { guard: 'isNameFree', actions: ['claimName', 'publishClaimed'] },
      { actions: 'publishTaken' }
    ],
    'names.release': { actions: 'releaseName' }
  }
});
