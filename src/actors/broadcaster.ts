import { Observable, Subject, type Subscriber } from 'rxjs';
import { feedFor, type Broadcast } from './broadcast.js';

/** The room's broadcast: what it publishes and who listens. */
export interface Broadcaster {
  /** Every item the room publishes, in order, farewells included: for observers. */
  readonly messages$: Observable<Broadcast>;
  /**
   * One member's feed (`feedFor`): every batch and direct item, and of the
   * farewells only its own, handed to it alone.
   */
  readonly feed: (connId: string) => Observable<Broadcast>;
  /** Publishes `item` now, or after the item being fanned out. */
  readonly publish: (item: Broadcast) => void;
  /** Live subscriptions to `messages$` and to the feeds. */
  readonly feedCount: () => number;
  /** Completes `messages$` and every feed. */
  readonly complete: () => void;
}

/**
 * The room's broadcast: publishing never nests (an item published during
 * another's fan-out waits for it), and live subscriptions are counted so
 * tests and the inspector can see every member's feed end with it.
 *
 * A farewell is for one member, so it goes to that member's feed alone,
 * not through every feed's filter: when N members leave at once (a
 * reconnect storm, a shutdown) that is N deliveries instead of N² filter
 * calls (docs/performance.md, "Reconnect storm").
 */
export function createBroadcaster(): Broadcaster {
  /** Batches and direct items: what every feed sees. */
  const shared = new Subject<Broadcast>();
  /** Everything, for `messages$`. */
  const all = new Subject<Broadcast>();
  /** Each member's feed, for its farewell. */
  const feeds = new Map<string, Subscriber<Broadcast>>();
  const waiting: Broadcast[] = [];
  let publishing = false;
  let subscriptions = 0;
  const counted = (
    source: Subject<Broadcast>,
    connId: string | null
  ): Observable<Broadcast> =>
    new Observable<Broadcast>((subscriber) => {
      subscriptions += 1;
      if (connId !== null) feeds.set(connId, subscriber);
      const subscription = source.subscribe(subscriber);
      return () => {
        subscriptions -= 1;
        if (connId !== null && feeds.get(connId) === subscriber)
          feeds.delete(connId);
        subscription.unsubscribe();
      };
    });
  const deliver = (item: Broadcast): void => {
    if (all.observed) all.next(item);
    if (item.kind === 'farewell') feeds.get(item.connId)?.next(item);
    else shared.next(item);
  };
  const publish = (item: Broadcast): void => {
    waiting.push(item);
    if (publishing) return;
    publishing = true;
    try {
      for (let next = waiting.shift(); next; next = waiting.shift())
        deliver(next);
    } finally {
      publishing = false;
    }
  };
  return {
    messages$: counted(all, null),
    feed: (connId) => counted(shared, connId).pipe(feedFor(connId)),
    publish,
    feedCount: () => subscriptions,
    complete: () => {
      all.complete();
      shared.complete();
    }
  };
}
