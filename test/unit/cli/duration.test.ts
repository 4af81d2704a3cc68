import { describe, expect, it } from 'vitest';
import {
  MAX_DURATION_MS,
  formatDuration,
  parseDuration
} from '../../../src/cli/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0ms', 0],
    ['0h', 0],
    ['1ms', 1],
    ['500ms', 500],
    ['30s', 30_000],
    ['30', 30_000],
    ['007', 7000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['24h', MAX_DURATION_MS],
    ['1440m', MAX_DURATION_MS],
    ['86400', MAX_DURATION_MS],
    ['86400000ms', MAX_DURATION_MS]
  ])('reads %j as %d ms', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each([
    '',
    ' ',
    '-1',
    '-5s',
    '+5s',
    '1.5',
    '1.5s',
    '.5s',
    '1e3',
    '0x10',
    '5x',
    '5S',
    '5 s',
    ' 5s',
    '5s ',
    '1d',
    '5sec',
    '1m30s',
    'ms',
    's',
    '25h',
    '86401',
    '86400001ms',
    '99999999999999999999999'
  ])('rejects %j', (raw) => {
    expect(parseDuration(raw)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1500, '1500ms'],
    [5000, '5s'],
    [30_000, '30s'],
    [60_000, '60s']
  ])('writes %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back', () => {
    for (const ms of [0, 1, 999, 1000, 61_000, MAX_DURATION_MS]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
