import { describe, expect, it } from 'vitest';
import { originAllowed } from '../../../src/transport/ws-origin.js';

describe('originAllowed', () => {
  it('allows a client that sends no Origin (not a browser)', () => {
    expect(originAllowed(undefined, '127.0.0.1:8080')).toBe(true);
  });

  it('allows only the listener’s own origin by default', () => {
    expect(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(originAllowed('https://Chat.Example.org', 'chat.example.org')).toBe(
      true
    );
    expect(originAllowed('http://127.0.0.1:9999', '127.0.0.1:8080')).toBe(
      false
    );
    expect(originAllowed('https://evil.example', '127.0.0.1:8080')).toBe(false);
    expect(originAllowed('null', '127.0.0.1:8080')).toBe(false);
    expect(originAllowed('http://127.0.0.1:8080', undefined)).toBe(false);
  });

  it('allows exactly the listed origins when a list is given, or any with *', () => {
    const list = ['https://chat.example.org/'];
    expect(originAllowed('https://chat.example.org', 'x', list)).toBe(true);
    expect(originAllowed('http://chat.example.org', 'x', list)).toBe(false);
    expect(originAllowed('http://x', 'x', list)).toBe(false);
    expect(originAllowed('https://anything.example', 'x', ['*'])).toBe(true);
  });
});
