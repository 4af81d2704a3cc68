import { describe, expect, it } from 'vitest';
import {
  SHUTDOWN_NOTICE,
  formatGreeting,
  formatJoinNotice,
  formatLeaveNotice,
  formatLineTooLong,
  formatOnline,
  formatOwn,
  formatRelayed,
  formatStarted
} from '../../../src/protocol/format.js';

describe('protocol formatters', () => {
  it.each([
    [0, '0 users online'],
    [1, '1 user online'],
    [2, '2 users online'],
    [11, '11 users online']
  ])('formats a count of %d as %s [CHAT-COUNT-1]', (count, text) => {
    expect(formatOnline(count)).toBe(text);
  });

  it('formats the greeting [CHAT-JOIN-1]', () => {
    expect(formatGreeting(1)).toBe(
      'Connected to the chat server (1 user online)'
    );
    expect(formatGreeting(3)).toBe(
      'Connected to the chat server (3 users online)'
    );
  });

  it('formats the join notice [CHAT-JOIN-2]', () => {
    expect(formatJoinNotice('127.0.0.1:49448', 2)).toBe(
      'New user 127.0.0.1:49448 entered (2 users online)'
    );
  });

  it('formats the leave notice, down to 0 users [CHAT-LEAVE-1]', () => {
    expect(formatLeaveNotice('[::1]:5', 1)).toBe(
      'The user [::1]:5 left (1 user online)'
    );
    expect(formatLeaveNotice('[::1]:5', 0)).toBe(
      'The user [::1]:5 left (0 users online)'
    );
  });

  it('formats a relayed line with the sender in brackets [CHAT-MSG-2]', () => {
    expect(formatRelayed('10.0.0.1:7', 'hi there')).toBe(
      '[10.0.0.1:7] hi there'
    );
  });

  it("formats the sender's own line [CHAT-MSG-1]", () => {
    expect(formatOwn('hi there')).toBe('[You] hi there');
  });

  it('has the shutdown notice [CHAT-SHUT-1]', () => {
    expect(SHUTDOWN_NOTICE).toBe('Server shutting down');
  });

  it('formats the start line', () => {
    expect(formatStarted(3333)).toBe('Chat Server started on port 3333.');
  });

  it('formats the line-too-long error [CHAT-IN-4] [CHAT-ERR-1]', () => {
    expect(formatLineTooLong(4096)).toBe(
      'Error: line too long (limit 4096 bytes); it was not relayed'
    );
  });

  it('never starts a notice with [ [CHAT-NOTICE-1]', () => {
    const notices = [
      formatGreeting(1),
      formatJoinNotice('1.2.3.4:5', 2),
      formatLeaveNotice('1.2.3.4:5', 1),
      SHUTDOWN_NOTICE,
      formatLineTooLong(10)
    ];
    for (const notice of notices) expect(notice.startsWith('[')).toBe(false);
  });
});
