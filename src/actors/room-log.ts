import type { Logger } from '../app/logger.js';
import type { OrderedEntry } from './room-order.js';

type Entry<T extends OrderedEntry['type']> = Extract<OrderedEntry, { type: T }>;

/**
 * The console records of the room's order, written as each entry comes back
 * from it, so the log shows the one order (on every node of a cluster, the
 * same events in the same order, with the cluster's count).
 */
export class RoomLog {
  readonly #logger: Logger;
  /** The level is fixed for the daemon's life: asking winston per message costs more than the check (docs/performance.md). */
  readonly #chat: boolean;

  constructor(logger: Logger) {
    this.#logger = logger;
    this.#chat = logger.isLevelEnabled('chat');
  }

  /**
   * A member's line, at `chat` level only. `nick`, here and below, is the
   * member's nickname when it has one (the entry's `name`), so the console
   * names it as the room does. [CHAT-NICK-1]
   */
  line(entry: Entry<'line'>): void {
    if (!this.#chat) return;
    this.#logger.log('chat', 'member said', {
      event: 'message',
      ...whose(entry),
      text: entry.text
    });
  }

  join(entry: Entry<'join'>): void {
    this.#logger.info('member joined', {
      event: 'join',
      ...whose(entry),
      count: entry.count
    });
  }

  /**
   * The one record of a member's ending, whatever ended it, with what the
   * connection knew about it (`why`, `queuedBytes`, `idleMs`, `code`) when
   * it was this room's member.
   */
  leave(entry: Entry<'leave'>): void {
    this.#logger.info('member left', {
      event: 'leave',
      ...whose(entry),
      count: entry.count,
      reason: entry.reason,
      ...entry.detail
    });
  }

  /** A member took a nickname. [CHAT-CMD-NICK] */
  rename(entry: Entry<'rename'>): void {
    this.#logger.info('member renamed', {
      event: 'rename',
      ...whose(entry),
      ...(entry.old !== undefined && { old: entry.old })
    });
  }

  /** A member's `/me`, at `chat` level only, like its lines. [CHAT-CMD-ME] */
  act(entry: Entry<'act'>): void {
    if (!this.#chat) return;
    this.#logger.log('chat', 'member acted', {
      event: 'action',
      ...whose(entry),
      text: entry.text
    });
  }

  closing(count: number): void {
    this.#logger.info('room closing', { event: 'closing', count });
  }

  failed(err: unknown): void {
    this.#logger.error('room failed', { err });
  }
}

/**
 * Whose entry it is, as every record names it: the node that appended it
 * (in a cluster), the connection, its address and its nickname, if any.
 */
function whose(entry: Exclude<OrderedEntry, { type: 'lost' }>) {
  return {
    ...(entry.node !== undefined && { node: entry.node }),
    connId: entry.conn,
    remote: entry.remote,
    ...(entry.name !== undefined && { nick: entry.name })
  };
}
