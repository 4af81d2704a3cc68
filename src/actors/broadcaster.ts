import { Observable, Subject } from 'rxjs';
import type { Broadcast } from './broadcast.js';

/** The room's broadcast: what it publishes and who listens. */
export interface Broadcaster {
  /** Every item the room publishes, in order; subscriptions are counted. */
  readonly messages$: Observable<Broadcast>;
  /** Publishes `item` now, or after the item being fanned out. */
  readonly publish: (item: Broadcast) => void;
  /** Live subscriptions to `messages$`. */
  readonly feedCount: () => number;
  /** Completes `messages$`. */
  readonly complete: () => void;
}

/**
 * The room's broadcast: publishing never nests (an item published during
 * another's fan-out waits for it), and live subscriptions are counted so
 * tests and the inspector can see every member's feed end with it.
 */
export function createBroadcaster(): Broadcaster {
  const messages = new Subject<Broadcast>();
  const waiting: Broadcast[] = [];
  let publishing = false;
  let feeds = 0;
  const messages$ = new Observable<Broadcast>((subscriber) => {
    feeds += 1;
    const subscription = messages.subscribe(subscriber);
    return () => {
      feeds -= 1;
      subscription.unsubscribe();
    };
  });
  const publish = (item: Broadcast): void => {
    waiting.push(item);
    if (publishing) return;
    publishing = true;
    try {
      for (let next = waiting.shift(); next; next = waiting.shift())
        messages.next(next);
    } finally {
      publishing = false;
    }
  };
  return {
    messages$,
    publish,
    feedCount: () => feeds,
    complete: () => messages.complete()
  };
}
