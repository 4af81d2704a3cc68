import { describe, expect, it, vi } from 'vitest';
import { LinesInFlight } from '../../../src/cluster/lines-in-flight.js';
import { Outbox, type Op } from '../../../src/cluster/outbox.js';
import type { RedisLink } from '../../../src/cluster/redis-link.js';

type Reply = [string, number[]?];

/**
 * An outbox over a fake link whose APPLY calls wait until the test answers
 * them: each call's arguments after the prefix, and its answer.
 */
function outbox() {
  const calls: { args: string[]; answer: (reply: Reply) => void }[] = [];
  const fail: ((err: unknown) => void)[] = [];
  const link = {
    scripts: {
      chatApply: (_prefix: string, ...args: string[]) =>
        new Promise<Reply>((resolve, reject) => {
          calls.push({ args, answer: resolve });
          fail.push(reject);
        })
    }
  } as unknown as RedisLink;
  const lines = new LinesInFlight();
  const hooks = {
    isLive: () => true,
    header: () => ['node', '1', '100'],
    stale: vi.fn(),
    notSent: vi.fn(),
    failed: vi.fn()
  };
  const box = new Outbox(link, 'chat:', lines, hooks);
  /** The connection ids of one call's ops, in order. */
  const conns = (args: string[]) =>
    args.slice(3).filter((arg) => /^c\d+$/.test(arg));
  return { box, calls, fail, lines, hooks, conns };
}

const line = (conn: string, text: string): Op => ({
  kind: 'm',
  conn,
  remote: '127.0.0.1:1',
  name: '',
  text
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** An answer is taken in a microtask, which sends at the end of a later turn. */
const answered = async () => {
  await Promise.resolve();
  await nextTurn();
};

describe('Outbox', () => {
  it("sends a turn's ops in one APPLY at the end of the turn, in order", async () => {
    const t = outbox();
    t.box.push(line('c1', 'a'));
    t.box.push(line('c2', 'b'));
    expect(t.calls).toHaveLength(0);
    await nextTurn();
    expect(t.calls).toHaveLength(1);
    expect(t.conns(t.calls[0]?.args ?? [])).toEqual(['c1', 'c2']);
    expect(t.lines.current).toEqual(
      new Map([
        ['c1', 1],
        ['c2', 1]
      ])
    );
  });

  it('keeps one APPLY in flight: what comes meanwhile goes out together once it answers', async () => {
    const t = outbox();
    t.box.push(line('c1', 'first'));
    await nextTurn();
    t.box.push(line('c2', 'second'));
    await nextTurn();
    t.box.push(line('c3', 'third'));
    t.box.send();
    await nextTurn();
    expect(t.calls).toHaveLength(1);

    t.calls[0]?.answer(['ok']);
    await answered();
    expect(t.calls).toHaveLength(2);
    expect(t.conns(t.calls[1]?.args ?? [])).toEqual(['c2', 'c3']);
    t.calls[1]?.answer(['ok']);
    await answered();
    expect(t.calls).toHaveLength(2);
  });

  it('sends again after a failed APPLY, once there is something to send', async () => {
    const t = outbox();
    t.box.push(line('c1', 'lost?'));
    await nextTurn();
    t.fail[0]?.(new Error('connection closed'));
    await nextTurn();
    expect(t.hooks.failed).toHaveBeenCalledTimes(1);
    t.box.push(line('c2', 'next'));
    await nextTurn();
    expect(t.calls).toHaveLength(2);
    expect(t.conns(t.calls[1]?.args ?? [])).toEqual(['c2']);
  });

  it('puts the ops back first when APPLY asks for a resync, and sends nothing until resumed', async () => {
    const t = outbox();
    t.box.push(line('c1', 'again'));
    await nextTurn();
    t.box.push(line('c2', 'after'));
    t.calls[0]?.answer(['resync']);
    await answered();
    expect(t.hooks.stale).toHaveBeenCalledTimes(1);
    expect(t.calls).toHaveLength(1);
    // Registered again: both go out, in the first order.
    t.box.resume();
    await nextTurn();
    expect(t.calls).toHaveLength(2);
    expect(t.conns(t.calls[1]?.args ?? [])).toEqual(['c1', 'c2']);
  });
});
