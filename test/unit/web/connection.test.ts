/** The chat page's reconnect backoff (web/chat/connection.js). */
import { describe, expect, it } from 'vitest';

/** What the test uses of web/chat/connection.js. */
interface ConnectionModule {
  RETRY_BASE_MS: number;
  RETRY_CAP_MS: number;
  retryDelay: (attempt: number, random?: () => number) => number;
  chatSocketUrl: (location: URL) => string;
}

const { RETRY_BASE_MS, RETRY_CAP_MS, retryDelay, chatSocketUrl } =
  (await import(
    new URL('../../../web/chat/connection.js', import.meta.url).href
  )) as ConnectionModule;

describe('retryDelay', () => {
  it('doubles from the base, with up to half of each step at random', () => {
    expect(retryDelay(0, () => 0)).toBe(RETRY_BASE_MS / 2);
    expect(retryDelay(0, () => 0.999)).toBeLessThan(RETRY_BASE_MS);
    expect(retryDelay(1, () => 0)).toBe(RETRY_BASE_MS);
    expect(retryDelay(2, () => 0.5)).toBe(RETRY_BASE_MS * 3);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    for (const attempt of [10, 40, 1000, Number.MAX_SAFE_INTEGER]) {
      expect(retryDelay(attempt, () => 0.999)).toBeLessThanOrEqual(
        RETRY_CAP_MS
      );
      expect(retryDelay(attempt, () => 0)).toBe(RETRY_CAP_MS / 2);
    }
  });
});

describe('chatSocketUrl', () => {
  it('connects to the page’s own host, wss: under https:', () => {
    expect(chatSocketUrl(new URL('http://127.0.0.1:8080/'))).toBe(
      'ws://127.0.0.1:8080/'
    );
    expect(chatSocketUrl(new URL('https://chat.example/?x=1'))).toBe(
      'wss://chat.example/'
    );
  });
});
