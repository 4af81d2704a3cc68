import { describe, expect, it } from 'vitest';
import { Speaker } from '../../../src/actors/speaker.js';

describe('Speaker [CHAT-NICK-1]', () => {
  it('is shown by its address while anonymous', () => {
    const s = new Speaker('10.0.0.1:5', undefined, false);
    expect(s.shown).toBe('10.0.0.1:5');
    expect(s.label).toBe('10.0.0.1:5');
    expect(s.prefix.toString()).toBe('[10.0.0.1:5] ');
  });

  it('is shown by its name once it has one, its notices with the address too', () => {
    const s = new Speaker('10.0.0.1:5', undefined, true);
    expect(s.rename('alice')).toBe('10.0.0.1:5');
    expect(s.rename('Alice')).toBe('alice');
    expect(s.shown).toBe('Alice');
    expect(s.label).toBe('Alice (10.0.0.1:5)');
    expect(s.prefix.toString()).toBe('[Alice] ');
    expect(s.moved).toBe(true);
  });
});
