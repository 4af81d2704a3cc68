import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  defaultSoftMark,
  resolveLimits
} from '../../../src/app/limits.js';

describe('resolveLimits', () => {
  it('fills in every default', () => {
    expect(resolveLimits({})).toEqual({
      maxLineBytes: 4096,
      sendQueueBytes: 1048576,
      sendQueueSoftBytes: 65536,
      stallTimeoutMs: 30000,
      floodRate: 10,
      floodBurst: 20,
      idleTimeoutMs: 0,
      keepAliveMs: 60000,
      maxConnections: 10000,
      maxConnectionsPerIp: 32,
      perIpExempt: ['127.0.0.0/8', '::1/128'],
      listenBacklog: 4096,
      shutdownTimeoutMs: 5000
    });
  });

  it('keeps what is given and ignores undefined fields', () => {
    const limits = resolveLimits({ floodRate: 0, idleTimeoutMs: undefined });
    expect(limits.floodRate).toBe(0);
    expect(limits.idleTimeoutMs).toBe(DEFAULT_LIMITS.idleTimeoutMs);
  });

  it('halves a small send queue limit for the soft mark when none is given', () => {
    expect(resolveLimits({ sendQueueBytes: 1000 }).sendQueueSoftBytes).toBe(
      500
    );
    expect(
      resolveLimits({ sendQueueBytes: 1000, sendQueueSoftBytes: 0 })
        .sendQueueSoftBytes
    ).toBe(0);
  });

  it.each([
    [{ maxLineBytes: 0 }, /maxLineBytes must be a number >= 1/],
    [{ listenBacklog: 0 }, /listenBacklog must be a number >= 1/],
    [{ floodBurst: 0 }, /floodBurst/],
    [{ stallTimeoutMs: -1 }, /stallTimeoutMs/],
    [{ maxConnections: Number.NaN }, /maxConnections/],
    [{ sendQueueBytes: 100, sendQueueSoftBytes: 200 }, /above sendQueueBytes/]
  ])('rejects %j', (given, message) => {
    expect(() => resolveLimits(given)).toThrow(message);
  });
});

describe('defaultSoftMark', () => {
  it.each([
    [0, 65536],
    [1048576, 65536],
    [65536, 65536],
    [65535, 32767],
    [1, 0]
  ])('is %i → %i', (hard, soft) => {
    expect(defaultSoftMark(hard)).toBe(soft);
  });
});
