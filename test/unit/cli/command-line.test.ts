import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/app/errors.js';
import { parseCommandLine } from '../../../src/cli/command-line.js';

const OPTIONS = {
  rate: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const;

describe('parseCommandLine', () => {
  it('parses options and positionals strictly', () => {
    expect(
      parseCommandLine(['a', '--rate', '5', 'b', '--json'], OPTIONS)
    ).toEqual({
      values: { rate: '5', json: true },
      positionals: ['a', 'b']
    });
  });

  it.each([
    [
      ['127.0.0.1', '-5'],
      ['127.0.0.1', '-5']
    ],
    [['-5'], ['-5']],
    [
      ['-5', 'b'],
      ['-5', 'b']
    ],
    [
      ['a', '-1.5', '--json'],
      ['a', '-1.5']
    ],
    [
      ['--json', 'a', '-5', 'c'],
      ['a', '-5', 'c']
    ],
    [
      ['-1', '-2'],
      ['-1', '-2']
    ],
    [
      ['a', '--', '-5'],
      ['a', '-5']
    ]
  ])('keeps the negative numbers of %j as positionals', (argv, positionals) => {
    expect(parseCommandLine(argv, OPTIONS).positionals).toEqual(positionals);
  });

  it('leaves a negative number after an option that takes a value to parseArgs', () => {
    expect(() => parseCommandLine(['a', '--rate', '-5'], OPTIONS)).toThrow(
      'option --rate needs a value; write --rate=VALUE for one starting with "-"'
    );
    expect(parseCommandLine(['a', '--rate=-5'], OPTIONS).values.rate).toBe(
      '-5'
    );
  });

  it.each([
    [['--bogus'], 'unknown option "--bogus"'],
    [['-x'], 'unknown option "-x"'],
    [['--rate'], 'option --rate needs a value']
  ])('rejects %j in one line', (argv, message) => {
    let thrown: unknown;
    try {
      parseCommandLine(argv, OPTIONS);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toBe(message);
  });
});
