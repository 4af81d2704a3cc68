/** The chat page's `/who` bookkeeping (web/chat/who.js). */
import { describe, expect, it } from 'vitest';
import { formatWho } from '../../../src/protocol/command-format.js';
import { WHO_NAMES_PER_LINE } from '../../../src/protocol/constants.js';

/** What the test uses of web/chat/who.js. */
interface WhoTracker {
  ask: () => void;
  sent: () => void;
  header: (count: number) => void;
  reading: () => boolean;
  names: (names: string[]) => string[] | null;
  refused: () => void;
  reset: () => void;
}
interface WhoModule {
  createWhoTracker: (sendWho: () => void) => WhoTracker;
}

const { createWhoTracker } = (await import(
  new URL('../../../web/chat/who.js', import.meta.url).href
)) as WhoModule;

/** A tracker whose `/who` requests are counted, as the page counts them. */
function tracker(): { who: WhoTracker; asked: () => number } {
  let asked = 0;
  const who: WhoTracker = createWhoTracker(() => {
    asked += 1;
    who.sent();
  });
  return { who, asked: () => asked };
}

/** Feeds the tracker a whole answer as the server writes it. */
function answer(who: WhoTracker, names: string[]): string[] | null {
  const [, ...lines] = formatWho('#lobby', names, WHO_NAMES_PER_LINE);
  who.header(names.length);
  let complete: string[] | null = null;
  for (const line of lines) complete = who.names(line.trim().split(', '));
  return complete;
}

describe('createWhoTracker', () => {
  it('asks once however many changes arrive, then once more after the answer', () => {
    const { who, asked } = tracker();
    who.ask();
    for (let i = 0; i < 10; i += 1) who.ask();
    expect(asked()).toBe(1);
    expect(answer(who, ['alice'])).toEqual(['alice']);
    expect(asked()).toBe(2);
    expect(answer(who, ['alice', 'bob'])).toEqual(['alice', 'bob']);
    expect(asked()).toBe(2);
  });

  it('collects an answer over several lines before giving it', () => {
    const { who } = tracker();
    who.ask();
    const names = Array.from(
      { length: WHO_NAMES_PER_LINE + 3 },
      (_, i) => `n${i}`
    );
    expect(answer(who, names)).toEqual(names);
    expect(who.reading()).toBe(false);
  });

  it('counts a /who typed by hand, and an unavailable refusal as an answer', () => {
    const { who, asked } = tracker();
    who.sent();
    who.ask();
    expect(asked()).toBe(0);
    who.refused();
    expect(asked()).toBe(1);
    who.reset();
    who.ask();
    expect(asked()).toBe(2);
  });
});
