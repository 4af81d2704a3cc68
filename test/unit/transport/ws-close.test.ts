import { describe, expect, it } from 'vitest';
import {
  SLOW_CONSUMER_NOTICE,
  formatIdleTimeout
} from '../../../src/protocol/format.js';
import {
  WS_CLOSE,
  closeFrameFor,
  closeReason
} from '../../../src/transport/ws-close.js';

describe('closeFrameFor', () => {
  it('says what the transport saw itself first', () => {
    expect(closeFrameFor('slow consumer', SLOW_CONSUMER_NOTICE)).toEqual({
      code: WS_CLOSE.policy,
      reason: 'slow consumer'
    });
    expect(closeFrameFor('idle timeout', formatIdleTimeout(1000))).toEqual({
      code: WS_CLOSE.policy,
      reason: 'idle timeout'
    });
    expect(closeFrameFor('server shutdown')).toEqual({
      code: WS_CLOSE.goingAway,
      reason: 'server shutdown'
    });
  });

  it('closes 1000 on a plain end and 1011 with the farewell otherwise', () => {
    expect(closeFrameFor(null)).toEqual({ code: 1000, reason: 'bye' });
    expect(closeFrameFor(null, 'Error: chat unavailable')).toEqual({
      code: 1011,
      reason: 'chat unavailable'
    });
  });
});

describe('closeReason', () => {
  it('keeps a short reason and cuts a long one to 123 bytes on a code point', () => {
    expect(closeReason('slow consumer')).toBe('slow consumer');
    const cut = closeReason('é'.repeat(100));
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(123);
    expect(cut.endsWith('é…')).toBe(true);
  });
});
