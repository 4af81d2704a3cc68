import { describe, expect, it } from 'vitest';
import {
  CommandLanes,
  type LineHandler
} from '../../../../src/actors/commands/lanes.js';

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Settles pending promise callbacks. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CommandLanes', () => {
  it('runs lines at once while nothing waits, and keeps no lane', () => {
    const lanes = new CommandLanes();
    const seen: string[] = [];
    const handler: LineHandler = (text) => {
      seen.push(text);
    };
    lanes.take('c1', handler, 'a');
    lanes.take('c1', handler, 'b');
    expect(seen).toEqual(['a', 'b']);
    expect(lanes.size).toBe(0);
  });

  it('holds the lines after a waiting command until it is answered, in order', async () => {
    const lanes = new CommandLanes();
    const seen: string[] = [];
    const answer = deferred();
    const handler: LineHandler = (text) => {
      seen.push(text);
      if (text === '/who') return answer.promise;
    };
    lanes.take('c1', handler, 'before');
    lanes.take('c1', handler, '/who');
    lanes.take('c1', handler, 'after 1');
    lanes.take('c1', handler, 'after 2');
    lanes.take('c2', handler, 'another connection');
    expect(seen).toEqual(['before', '/who', 'another connection']);
    answer.resolve();
    await tick();
    expect(seen).toEqual([
      'before',
      '/who',
      'another connection',
      'after 1',
      'after 2'
    ]);
    expect(lanes.size).toBe(0);
  });

  it('hands the lines after a move to the next room, not the one left', () => {
    const lanes = new CommandLanes();
    const old: string[] = [];
    const next: string[] = [];
    let moved = false;
    const oldRoom: LineHandler = (text) => {
      if (moved) return 'moved';
      old.push(text);
      if (text === '/join #dev') moved = true;
    };
    lanes.take('c1', oldRoom, '/join #dev');
    lanes.take('c1', oldRoom, 'hello dev');
    lanes.take('c1', oldRoom, 'still dev');
    lanes.detach('c1', oldRoom);
    expect(old).toEqual(['/join #dev']);
    lanes.attach('c1', (text) => {
      next.push(text);
    });
    expect(next).toEqual(['hello dev', 'still dev']);
    expect(lanes.size).toBe(0);
  });

  it('drops what waits when the connection is done', async () => {
    const lanes = new CommandLanes();
    const seen: string[] = [];
    const answer = deferred();
    const handler: LineHandler = (text) => {
      seen.push(text);
      return text === '/nick x' ? answer.promise : undefined;
    };
    lanes.take('c1', handler, '/nick x');
    lanes.take('c1', handler, 'never');
    lanes.forget('c1');
    answer.resolve();
    await tick();
    expect(seen).toEqual(['/nick x']);
    expect(lanes.size).toBe(0);
  });
});
