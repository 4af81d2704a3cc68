import { describe, expect, it } from 'vitest';
import {
  SHUTDOWN_NOTICE,
  SLOW_CONSUMER_NOTICE,
  formatIdleTimeout,
  formatRefusal,
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

  it('formats the refusals [CHAT-LIMIT-1]', () => {
    const limits = { maxConnections: 10000, maxConnectionsPerIp: 32 };
    expect(formatRefusal('server full', '10.1.2.3', limits)).toBe(
      'Error: server full (10000 connections); try again later'
    );
    expect(formatRefusal('too many from address', '10.1.2.3', limits)).toBe(
      'Error: too many connections from 10.1.2.3 (limit 32)'
    );
  });

  it('formats the farewells [CHAT-SLOW-1] [CHAT-IDLE-1]', () => {
    expect(SLOW_CONSUMER_NOTICE).toBe(
      'Error: disconnected: you are not reading fast enough'
    );
    expect(formatIdleTimeout(300_000)).toBe(
      'Error: disconnected: idle for 300 s'
    );
    expect(formatIdleTimeout(1500)).toBe('Error: disconnected: idle for 1.5 s');
  });

  it('never starts a notice with [ [CHAT-NOTICE-1]', () => {
    const notices = [
      formatGreeting(1),
      formatJoinNotice('1.2.3.4:5', 2),
      formatLeaveNotice('1.2.3.4:5', 1),
      SHUTDOWN_NOTICE,
      formatLineTooLong(10),
      formatRefusal('server full', '1.2.3.4', {
        maxConnections: 1,
        maxConnectionsPerIp: 1
      }),
      SLOW_CONSUMER_NOTICE,
      formatIdleTimeout(1000)
    ];
    for (const notice of notices) expect(notice.startsWith('[')).toBe(false);
  });
});
