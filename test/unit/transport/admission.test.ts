import { describe, expect, it } from 'vitest';
import {
  Admission,
  parseSubnet,
  type AdmissionLimits
} from '../../../src/transport/admission.js';

function limitsWith(overrides: Partial<AdmissionLimits> = {}): AdmissionLimits {
  return {
    maxConnections: 10,
    maxConnectionsPerIp: 2,
    perIpExempt: [],
    ...overrides
  };
}

describe('parseSubnet', () => {
  it.each([
    ['10.0.0.1', { address: '10.0.0.1', prefix: 32, family: 'ipv4' }],
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['1.2.3.4/32', { address: '1.2.3.4', prefix: 32, family: 'ipv4' }],
    [
      ' 192.168.1.0/24 ',
      { address: '192.168.1.0', prefix: 24, family: 'ipv4' }
    ],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['fd00::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::/0', { address: '::', prefix: 0, family: 'ipv6' }],
    ['::1/128', { address: '::1', prefix: 128, family: 'ipv6' }],
    [
      '::ffff:10.0.0.1',
      { address: '::ffff:10.0.0.1', prefix: 128, family: 'ipv6' }
    ]
  ])('accepts %j', (text, expected) => {
    expect(parseSubnet(text)).toEqual(expected);
  });

  it.each([
    '',
    'garbage',
    'localhost',
    '10.0.0',
    '256.0.0.1',
    '1.2.3.4/33',
    '::1/129',
    'a/b/c',
    '10.0.0.0/8/8',
    '1.2.3.4/',
    '1.2.3.4/-1',
    '1.2.3.4/x',
    '1.2.3.4/1e1',
    '1.2.3.4/ 8',
    '/8',
    '::1/1000',
    ':::1'
  ])('rejects %j', (text) => {
    expect(parseSubnet(text)).toBeNull();
  });
});

describe('Admission', () => {
  it('refuses with "server full" at maxConnections', () => {
    const admission = new Admission(
      limitsWith({ maxConnections: 3, maxConnectionsPerIp: 10 })
    );
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.2')).toBeNull();
    expect(admission.admit('10.0.0.3')).toBeNull();
    expect(admission.open).toBe(3);
    expect(admission.admit('10.0.0.4')).toBe('server full');
    expect(admission.admit('10.0.0.1')).toBe('server full');
    expect(admission.open).toBe(3);
  });

  it('refuses with "too many from address" at maxConnectionsPerIp, counting each address apart', () => {
    const admission = new Admission(limitsWith({ maxConnectionsPerIp: 2 }));
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBe('too many from address');
    expect(admission.admit('10.0.0.2')).toBeNull();
    expect(admission.admit('::1')).toBeNull();
    expect(admission.admit('::1')).toBeNull();
    expect(admission.admit('::1')).toBe('too many from address');
    expect(admission.open).toBe(5);
  });

  it('says "server full" before "too many from address"', () => {
    const admission = new Admission(
      limitsWith({ maxConnections: 1, maxConnectionsPerIp: 1 })
    );
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBe('server full');
  });

  it('frees a global slot on release', () => {
    const admission = new Admission(
      limitsWith({ maxConnections: 2, maxConnectionsPerIp: 10 })
    );
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.2')).toBeNull();
    expect(admission.admit('10.0.0.3')).toBe('server full');
    admission.release('10.0.0.1');
    expect(admission.open).toBe(1);
    expect(admission.admit('10.0.0.3')).toBeNull();
    expect(admission.open).toBe(2);
  });

  it('frees a per-address slot on release, for that address only', () => {
    const admission = new Admission(limitsWith({ maxConnectionsPerIp: 1 }));
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.2')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBe('too many from address');
    admission.release('10.0.0.2');
    expect(admission.admit('10.0.0.1')).toBe('too many from address');
    admission.release('10.0.0.1');
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBe('too many from address');
  });

  it('exempts listed addresses and subnets from the per-address limit only', () => {
    const admission = new Admission(
      limitsWith({
        maxConnections: 5,
        maxConnectionsPerIp: 1,
        perIpExempt: ['10.0.0.0/8', '::1']
      })
    );
    expect(admission.admit('10.1.2.3')).toBeNull();
    expect(admission.admit('10.1.2.3')).toBeNull();
    expect(admission.admit('10.1.2.3')).toBeNull();
    expect(admission.admit('::1')).toBeNull();
    expect(admission.admit('::1')).toBeNull();
    expect(admission.open).toBe(5);
    // The global limit still holds for exempt addresses.
    expect(admission.admit('10.1.2.3')).toBe('server full');
    expect(admission.admit('::1')).toBe('server full');
  });

  it('keeps the per-address limit outside the exempt subnets', () => {
    const admission = new Admission(
      limitsWith({ maxConnectionsPerIp: 1, perIpExempt: ['10.0.0.0/8'] })
    );
    expect(admission.admit('11.0.0.1')).toBeNull();
    expect(admission.admit('11.0.0.1')).toBe('too many from address');
    expect(admission.admit('::2')).toBeNull();
    expect(admission.admit('::2')).toBe('too many from address');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    const admission = new Admission(limitsWith({ maxConnectionsPerIp: 2 }));
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('::ffff:10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBe('too many from address');
    expect(admission.admit('::FFFF:10.0.0.1')).toBe('too many from address');
    admission.release('::ffff:10.0.0.1');
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.admit('::ffff:10.0.0.1')).toBe('too many from address');
  });

  it('applies an IPv4 exemption to the IPv4-mapped form', () => {
    const admission = new Admission(
      limitsWith({ maxConnectionsPerIp: 1, perIpExempt: ['10.0.0.0/8'] })
    );
    expect(admission.admit('::ffff:10.0.0.1')).toBeNull();
    expect(admission.admit('::ffff:10.0.0.1')).toBeNull();
    expect(admission.admit('10.0.0.1')).toBeNull();
    expect(admission.open).toBe(3);
  });

  it.each(['not-an-address', '10.0.0.0/33', '::1/129', 'a/b/c', ''])(
    'throws a RangeError for the exempt entry %j',
    (entry) => {
      expect(
        () => new Admission(limitsWith({ perIpExempt: ['::1', entry] }))
      ).toThrow(RangeError);
      expect(() => new Admission(limitsWith({ perIpExempt: [entry] }))).toThrow(
        `invalid exempt address or subnet "${entry}"`
      );
    }
  );

  it('starts with nothing open', () => {
    expect(new Admission(limitsWith()).open).toBe(0);
  });
});
