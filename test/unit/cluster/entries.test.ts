import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../../src/cluster/entries.js';
import { encodeOp } from '../../../src/cluster/outbox.js';

const addr = '127.0.0.1:5000';
/** A stream entry of node `a` whose first event is number 7. */
const entry = (events: unknown[]): [string, string[]] => [
  '9-0',
  ['n', 'a', 's', '7', 'b', JSON.stringify(events)]
];

describe('decodeEntry', () => {
  it('decodes a turn of lines, a join and a leave, numbered in order', () => {
    const events = decodeEntry(
      entry([
        ['m', 0, 'c1', addr, '', 'hi there'],
        ['j', 3, 'c2', addr, 'Bo'],
        ['l', 2, 'c1', addr, '', 'node lost', '']
      ]),
      'b'
    );
    expect(events).toEqual([
      {
        type: 'line',
        id: '9-0',
        seq: 7,
        node: 'a',
        elsewhere: true,
        conn: 'c1',
        remote: addr,
        text: 'hi there'
      },
      expect.objectContaining({ type: 'join', seq: 8, count: 3, name: 'Bo' }),
      expect.objectContaining({
        type: 'leave',
        seq: 9,
        count: 2,
        reason: 'node lost'
      })
    ]);
    expect(events?.[2]).not.toHaveProperty('detail');
  });

  it('marks the reading node’s own events as not elsewhere', () => {
    const [line] = decodeEntry(entry([['m', 0, 'c1', addr, '', 'x']]), 'a')!;
    expect(line?.elsewhere).toBe(false);
  });

  it('reads back what the outbox encodes, whatever the text holds', () => {
    const text = 'quotes " \\ ] , \u00e9 \u{1f600} \t and {"json": [1]}';
    const line = encodeOp({
      kind: 'm',
      conn: 'c1',
      remote: '[::1]:5',
      name: 'N',
      text
    });
    // As APPLY does: a line as it is, a leave after its kind and count.
    const body = `[${line},["l",4,${encodeOp({
      kind: 'l',
      conn: 'c1',
      remote: '[::1]:5',
      name: 'N',
      reason: 'client quit',
      quit: 'bye "all"'
    })}]`;
    expect(
      decodeEntry(['5-0', ['n', 'a', 's', '4', 'b', body]], 'a')
    ).toMatchObject([
      { type: 'line', seq: 4, text, name: 'N', remote: '[::1]:5' },
      {
        type: 'leave',
        seq: 5,
        count: 4,
        reason: 'client quit',
        detail: { quit: 'bye "all"' }
      }
    ]);
  });

  it.each([
    ['an unknown kind', ['n', 'a', 's', '1', 'b', '[["z",0,"c","r",""]]']],
    ['no node', ['s', '1', 'b', '[["m",0,"c","r","","hi"]]']],
    ['no sequence number', ['n', 'a', 'b', '[["m",0,"c","r","","hi"]]']],
    [
      'a sequence number that is not one',
      ['n', 'a', 's', '-1', 'b', '[["m",0,"c","r","","hi"]]']
    ],
    ['a body that is not JSON', ['n', 'a', 's', '1', 'b', '[["m",0,']],
    ['an empty body', ['n', 'a', 's', '1', 'b', '[]']],
    ['a line without text', ['n', 'a', 's', '1', 'b', '[["m",0,"c","r",""]]']],
    [
      'a join without a count',
      ['n', 'a', 's', '1', 'b', '[["j","x","c","r",""]]']
    ],
    ['an event that is not an array', ['n', 'a', 's', '1', 'b', '[{"t":"m"}]']],
    [
      'an old per-event entry',
      ['t', 'm', 'n', 'a', 'c', 'c1', 'r', 'x', 's', '1', 'x', 'hi']
    ],
    ['an odd field list', ['t']]
  ])('returns null for %s', (_, fields) => {
    expect(decodeEntry(['1-0', fields], 'a')).toBeNull();
  });
});
