/**
 * Who may use the admin listener (src/admin/access.ts; docs/inspector.md,
 * "Starting it"): loopback `Host` headers without a token, the token in one
 * of three places with one.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  TOKEN_COOKIE,
  accessPolicy,
  isLoopbackHost
} from '../../../src/admin/access.js';

const TOKEN = 'correct-horse-battery-staple';

/** A request as far as the policy reads it: its headers. */
function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const url = (path: string): URL => new URL(path, 'http://admin.invalid');

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '::1',
    '[::1]',
    'localhost',
    'LOCALHOST',
    '::ffff:127.0.0.1'
  ])('counts %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    'localhost.example',
    '127.0.0.1.example',
    'example.com',
    '::2',
    '::ffff:10.0.0.1',
    ''
  ])('does not count %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('accessPolicy without a token', () => {
  const policy = accessPolicy(undefined);

  it('lets loopback Host headers through', () => {
    for (const host of [
      '127.0.0.1:9333',
      'localhost:9333',
      'localhost',
      '[::1]:9333',
      '[::1]'
    ]) {
      expect(policy.check(req({ host }), url('/')), host).toBeNull();
    }
  });

  it('answers a foreign or missing Host with 421', () => {
    for (const host of [
      'evil.example:9333',
      'evil.example',
      '0.0.0.0:9333',
      '[::2]:9333'
    ]) {
      expect(policy.check(req({ host }), url('/')), host).toEqual({
        status: 421,
        why: 'this listener answers only to a loopback Host'
      });
    }
    expect(policy.check(req({}), url('/'))?.status).toBe(421);
  });

  it('never takes a token, since there is none', () => {
    expect(policy.tokenInQuery(url(`/?token=${TOKEN}`))).toBe(false);
  });
});

describe('accessPolicy with a token', () => {
  const policy = accessPolicy(TOKEN);
  const denied = { status: 401, why: 'admin token required' };

  it('takes the token as a Bearer header, a cookie or ?token=', () => {
    expect(
      policy.check(req({ authorization: `Bearer ${TOKEN}` }), url('/'))
    ).toBeNull();
    expect(
      policy.check(req({ authorization: `bearer ${TOKEN}` }), url('/'))
    ).toBeNull();
    expect(
      policy.check(
        req({
          cookie: `a=1; ${TOKEN_COOKIE}=${encodeURIComponent(TOKEN)}; b=2`
        }),
        url('/')
      )
    ).toBeNull();
    expect(policy.check(req({}), url(`/events?token=${TOKEN}`))).toBeNull();
  });

  it('refuses no token, a wrong one of any length, and other schemes with 401', () => {
    expect(policy.check(req({}), url('/'))).toEqual(denied);
    for (const wrong of [`${TOKEN.slice(0, -1)}!`, `${TOKEN}x`, 'x', '']) {
      expect(
        policy.check(req({ authorization: `Bearer ${wrong}` }), url('/'))
      ).toEqual(denied);
      expect(
        policy.check(req({}), url(`/?token=${encodeURIComponent(wrong)}`))
      ).toEqual(denied);
      expect(
        policy.check(
          req({ cookie: `${TOKEN_COOKIE}=${encodeURIComponent(wrong)}` }),
          url('/')
        )
      ).toEqual(denied);
    }
    expect(
      policy.check(req({ authorization: `Basic ${TOKEN}` }), url('/'))
    ).toEqual(denied);
    expect(policy.check(req({ cookie: `other=${TOKEN}` }), url('/'))).toEqual(
      denied
    );
  });

  it('does not check the Host header', () => {
    expect(
      policy.check(
        req({ host: 'evil.example', authorization: `Bearer ${TOKEN}` }),
        url('/')
      )
    ).toBeNull();
  });

  it('says whether ?token= carried the right token', () => {
    expect(policy.tokenInQuery(url(`/?token=${TOKEN}`))).toBe(true);
    expect(policy.tokenInQuery(url('/?token=nope'))).toBe(false);
    expect(policy.tokenInQuery(url('/'))).toBe(false);
  });
});
