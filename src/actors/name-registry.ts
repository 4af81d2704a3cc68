import { createActor, type InspectionEvent } from 'xstate';
import {
  namesMachine,
  type NameHolder,
  type NamesEmitted
} from '../machines/names-machine.js';

/** The daemon's nicknames, owned by the names actor. [CHAT-NICK-1] */
export interface NameRegistry {
  /**
   * `connId` asks for `name`: `claimed` (its old name is free now),
   * `same` (it holds that name already, in that spelling), or `taken`.
   */
  claim(connId: string, name: string): 'claimed' | 'same' | 'taken';
  /** Frees the name of `connId`, if it has one. */
  release(connId: string): void;
  /** Who holds `name`, in any case. */
  holder(name: string): NameHolder | undefined;
  /** The name `connId` holds. */
  nameOf(connId: string): string | undefined;
  /** Names held right now. */
  size(): number;
  stop(): void;
}

/**
 * Starts the names actor (`namesMachine`) and reads its decisions: it
 * answers synchronously, since an idle actor handles an event when sent.
 */
export function createNameRegistry(options: {
  inspect?: ((event: InspectionEvent) => void) | undefined;
  onFault: (err: unknown) => void;
}): NameRegistry {
  const actor = createActor(namesMachine, {
    id: 'names',
    inspect: options.inspect
  });
  let decided: NamesEmitted | null = null;
  actor.on('*', (emitted: NamesEmitted) => {
    decided = emitted;
  });
  actor.subscribe({ error: options.onFault });
  actor.start();
  const table = () => actor.getSnapshot().context.table;
  return {
    claim: (connId, name) => {
      if (table().nameOf(connId) === name) return 'same';
      decided = null;
      actor.send({ type: 'names.claim', connId, name });
      const answer = decided as NamesEmitted | null;
      return answer?.type === 'names.claimed' && answer.connId === connId
        ? 'claimed'
        : 'taken';
    },
    release: (connId) => {
      if (actor.getSnapshot().status === 'active')
        actor.send({ type: 'names.release', connId });
    },
    holder: (name) => table().holder(name),
    nameOf: (connId) => table().nameOf(connId),
    size: () => table().size,
    stop: () => actor.stop()
  };
}
