import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../../src/cluster/entries.js';

const base = ['n', 'a', 'c', 'c1', 'r', '127.0.0.1:5000', 's', '7'];

describe('decodeEntry', () => {
  it('decodes a line, a join and a leave', () => {
    expect(decodeEntry(['1-0', ['t', 'm', ...base, 'x', 'hi there']])).toEqual({
      type: 'line',
      id: '1-0',
      seq: 7,
      node: 'a',
      conn: 'c1',
      remote: '127.0.0.1:5000',
      text: 'hi there'
    });
    expect(decodeEntry(['2-0', ['t', 'j', ...base, 'k', '3']])).toMatchObject({
      type: 'join',
      count: 3
    });
    expect(
      decodeEntry(['3-0', ['t', 'l', ...base, 'k', '0', 'y', 'node lost']])
    ).toMatchObject({ type: 'leave', count: 0, reason: 'node lost' });
  });

  it.each([
    ['an unknown type', ['t', 'z', ...base]],
    ['no node', ['t', 'm', 'c', 'c1', 'r', 'x', 's', '1', 'x', 'hi']],
    [
      'no sequence number',
      ['t', 'm', 'n', 'a', 'c', 'c1', 'r', 'x', 'x', 'hi']
    ],
    [
      'a sequence number that is not one',
      ['t', 'm', ...base.slice(0, 6), 's', '-1', 'x', 'hi']
    ],
    ['a line without text', ['t', 'm', ...base]],
    ['a join without a count', ['t', 'j', ...base]],
    [
      'a leave with a count that is not a number',
      ['t', 'l', ...base, 'k', 'many']
    ],
    ['an odd field list', ['t']]
  ])('returns null for %s', (_, fields) => {
    expect(decodeEntry(['1-0', fields])).toBeNull();
  });
});
