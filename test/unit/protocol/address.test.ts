import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../../src/protocol/address.js';

describe('formatAddress [CHAT-ADDR-1]', () => {
  it.each([
    ['127.0.0.1', 49448, '127.0.0.1:49448'],
    ['10.1.2.3', 1, '10.1.2.3:1'],
    ['::1', 49448, '[::1]:49448'],
    ['fe80::1%eth0', 80, '[fe80::1%eth0]:80'],
    [
      '2001:0db8:0000:0000:0000:ff00:0042:8329',
      3333,
      '[2001:0db8:0000:0000:0000:ff00:0042:8329]:3333'
    ],
    ['2001:db8::8a2e:370:7334', 65535, '[2001:db8::8a2e:370:7334]:65535'],
    ['::ffff:1.2.3.4', 5, '1.2.3.4:5'],
    ['::ffff:127.0.0.1', 49448, '127.0.0.1:49448'],
    ['::FFFF:1.2.3.4', 5, '1.2.3.4:5'],
    ['::FfFf:10.0.0.1', 7, '10.0.0.1:7']
  ])('formats %s port %d as %s', (address, port, expected) => {
    expect(formatAddress(address, port)).toBe(expected);
  });
});
