import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchBuilder,
  line,
  type Broadcast
} from '../../../src/actors/broadcast.js';
import { createBroadcaster } from '../../../src/actors/broadcaster.js';

/** A batch in which `connId` joins (so its feed starts there). */
function joinBatch(seq: number, connId: string): Broadcast {
  const builder = new BatchBuilder();
  builder.join(connId, line(`hello ${connId}`), line(`New user ${connId}`));
  return builder.take(seq) as Broadcast;
}

function noticeBatch(seq: number, text: string): Broadcast {
  const builder = new BatchBuilder();
  builder.notice(line(text));
  return builder.take(seq) as Broadcast;
}

function farewell(connId: string, seq: number): Broadcast {
  return {
    kind: 'farewell',
    connId,
    batch: new BatchBuilder().peek(seq, connId)
  };
}

const describeItem = (b: Broadcast): string =>
  b.kind === 'farewell'
    ? `farewell ${b.connId}`
    : `${b.kind} ${'seq' in b ? b.seq : ''}`;

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
});
/** Keeps `s` to end after the test. */
const kept = (s: Subscription): Subscription => {
  subscriptions.push(s);
  return s;
};

describe('createBroadcaster', () => {
  it("hands a farewell to its leaver's feed alone, in order, and ends that feed", () => {
    const broadcaster = createBroadcaster();
    const seen = new Map<string, string[]>();
    const ended: string[] = [];
    for (const id of ['a', 'b']) {
      const items: string[] = [];
      seen.set(id, items);
      kept(
        broadcaster.feed(id).subscribe({
          next: (b) => items.push(describeItem(b)),
          complete: () => ended.push(id)
        })
      );
    }
    const everything: string[] = [];
    kept(
      broadcaster.messages$.subscribe((b) => everything.push(describeItem(b)))
    );
    expect(broadcaster.feedCount()).toBe(3);

    broadcaster.publish(joinBatch(1, 'a'));
    broadcaster.publish(joinBatch(2, 'b'));
    broadcaster.publish(noticeBatch(3, 'x'));
    broadcaster.publish(farewell('a', 4));
    broadcaster.publish(noticeBatch(4, 'y'));
    broadcaster.publish(farewell('b', 5));

    expect(seen.get('a')).toEqual([
      'batch 1',
      'batch 2',
      'batch 3',
      'farewell a'
    ]);
    expect(seen.get('b')).toEqual([
      'batch 2',
      'batch 3',
      'batch 4',
      'farewell b'
    ]);
    expect(ended).toEqual(['a', 'b']);
    // Observers see every item, in the one order.
    expect(everything).toEqual([
      'batch 1',
      'batch 2',
      'batch 3',
      'farewell a',
      'batch 4',
      'farewell b'
    ]);
    // The ended feeds let go of their subscriptions; the observer's is left.
    expect(broadcaster.feedCount()).toBe(1);
  });

  it('drops a farewell for a member without a feed', () => {
    const broadcaster = createBroadcaster();
    const items: string[] = [];
    kept(broadcaster.feed('b').subscribe((b) => items.push(describeItem(b))));
    broadcaster.publish(joinBatch(1, 'b'));
    expect(() => broadcaster.publish(farewell('gone', 2))).not.toThrow();
    broadcaster.publish(noticeBatch(2, 'x'));
    expect(items).toEqual(['batch 1', 'batch 2']);
  });

  it("gives a member's later feed its farewell, not the one it replaced", () => {
    const broadcaster = createBroadcaster();
    const first: string[] = [];
    const second: string[] = [];
    const old = broadcaster
      .feed('a')
      .subscribe((b) => first.push(describeItem(b)));
    broadcaster.publish(joinBatch(1, 'a'));
    old.unsubscribe();
    kept(broadcaster.feed('a').subscribe((b) => second.push(describeItem(b))));
    broadcaster.publish(joinBatch(2, 'a'));
    broadcaster.publish(farewell('a', 3));
    expect(first).toEqual(['batch 1']);
    expect(second).toEqual(['batch 2', 'farewell a']);
  });

  it('completes every feed and messages$', () => {
    const broadcaster = createBroadcaster();
    const ended: string[] = [];
    kept(broadcaster.feed('a').subscribe({ complete: () => ended.push('a') }));
    kept(
      broadcaster.messages$.subscribe({ complete: () => ended.push('all') })
    );
    broadcaster.complete();
    expect(ended.sort()).toEqual(['a', 'all']);
  });
});
