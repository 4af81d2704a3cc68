import { describe, expect, it } from 'vitest';
import {
  formatUnsent,
  trackSentLines
} from '../../../../src/tools/client/client-lines.js';
import {
  MAYBE_LOST_NOTICE,
  NOT_SENT_NOTICE,
  UNAVAILABLE_NOTICE,
  formatLineTooLong
} from '../../../../src/protocol/format.js';

describe('trackSentLines', () => {
  it('settles a line with its echo', () => {
    const lines = trackSentLines();
    lines.sent('hi');
    expect(lines.unanswered()).toEqual(['hi']);
    expect(lines.answer('[You] hi')).toEqual({ kind: 'echo' });
    expect(lines.unanswered()).toEqual([]);
    expect(lines.refused()).toBe(0);
  });

  it('expects no answer to a blank line [CHAT-IN-3]', () => {
    const lines = trackSentLines();
    lines.sent('   ');
    lines.sent('\x1b[31m');
    expect(lines.unanswered()).toEqual([]);
  });

  it('matches an echo by its sanitised text', () => {
    const lines = trackSentLines();
    lines.sent('a\x07b');
    expect(lines.answer('[You] ab')).toEqual({ kind: 'echo' });
    expect(lines.unanswered()).toEqual([]);
  });

  it('pairs "your message was not sent" with the oldest unanswered line', () => {
    const lines = trackSentLines();
    lines.sent('one');
    lines.sent('two');
    expect(lines.answer(NOT_SENT_NOTICE)).toEqual({
      kind: 'refused',
      text: 'one',
      certain: true
    });
    expect(lines.answer(MAYBE_LOST_NOTICE)).toEqual({
      kind: 'refused',
      text: 'two',
      certain: false
    });
    expect(lines.refused()).toBe(2);
  });

  it('pairs "line too long" with the line over the limit, even before earlier echoes', () => {
    const lines = trackSentLines();
    lines.sent('short');
    lines.sent('x'.repeat(20));
    expect(lines.answer(formatLineTooLong(16))).toEqual({
      kind: 'refused',
      text: 'x'.repeat(20),
      certain: true
    });
    expect(lines.unanswered()).toEqual(['short']);
  });

  it('ignores notices that answer no line', () => {
    const lines = trackSentLines();
    lines.sent('hi');
    expect(lines.answer(UNAVAILABLE_NOTICE)).toEqual({ kind: 'none' });
    expect(lines.answer('[127.0.0.1:5] hi')).toEqual({ kind: 'none' });
    expect(lines.unanswered()).toEqual(['hi']);
    expect(trackSentLines().answer(NOT_SENT_NOTICE)).toEqual({ kind: 'none' });
  });
});

describe('formatUnsent', () => {
  it('marks a refused line so it can be seen and resent', () => {
    expect(formatUnsent('hello')).toBe('(not sent) hello');
    expect(formatUnsent('hello', false)).toBe('(maybe not sent) hello');
  });

  it('waits for no echo of a command, and for /text after //text', () => {
    const lines = trackSentLines();
    lines.sent('/nick ana');
    lines.sent('/who');
    lines.sent('//slash');
    expect(lines.unanswered()).toEqual(['//slash']);
    expect(lines.answer('[You] /slash')).toEqual({ kind: 'echo' });
    expect(lines.unanswered()).toEqual([]);
  });
});
