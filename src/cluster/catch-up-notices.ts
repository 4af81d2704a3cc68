import {
  AVAILABLE_NOTICE,
  HISTORY_LOST_NOTICE,
  MAYBE_LOST_NOTICE
} from '../protocol/format.js';
import type { LinesInFlight } from './lines-in-flight.js';
import type { NodeMembers } from './node-members.js';

/**
 * What a node's members are told once it has caught up after an outage, and
 * not before: only then does it know which of its lines never reached the
 * log. In this order: each author, once per line of its that went to Redis
 * just before the outage and never came back; everyone, if Redis lost its
 * data; everyone, that the chat is available again.
 */
export class CatchUpNotices {
  readonly #lines: LinesInFlight;
  readonly #members: NodeMembers;
  #historyLost = false;
  #available = false;

  constructor(lines: LinesInFlight, members: NodeMembers) {
    this.#lines = lines;
    this.#members = members;
  }

  /** Redis lost its data: what others had not read is gone, nobody knows which. */
  historyLost(): void {
    this.#historyLost = true;
  }

  /** The node is registered again after an outage. */
  available(): void {
    this.#available = true;
  }

  /** The node has caught up: tells what is owed, through `tell`. */
  caughtUp(tell: (to: Iterable<string>, text: string) => void): void {
    for (const [conn, n] of this.#lines.takeUncertain())
      for (let i = 0; i < n; i += 1) tell([conn], MAYBE_LOST_NOTICE);
    if (this.#historyLost) {
      this.#historyLost = false;
      tell(this.#members.ids(), HISTORY_LOST_NOTICE);
    }
    if (this.#available) {
      this.#available = false;
      tell(this.#members.ids(), AVAILABLE_NOTICE);
    }
  }
}
