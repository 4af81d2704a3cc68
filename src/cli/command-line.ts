import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, errorCode } from '../app/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What `parseCommandLine` returns: parseArgs' strict values, positionals. */
export type CommandLine<O extends Options> = Pick<
  ReturnType<
    typeof parseArgs<{
      args: string[];
      options: O;
      allowPositionals: true;
      strict: true;
    }>
  >,
  'values' | 'positionals'
>;

/** A negative number where parseArgs would see a short option: `-5`, `-1.5`. */
const NEGATIVE_NUMBER = /^-\d/;

/**
 * A parseArgs error as one line: its own messages run to several sentences.
 */
export function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-{1,2}[^']*)'/.exec(message)?.[1];
  switch (errorCode(err)) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option "${option ?? message}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = (option ?? '').split(' ')[0] ?? '';
      // `--stall-timeout -1s`: parseArgs won't take a value that looks like
      // an option unless it is attached with `=`.
      return message.includes('ambiguous')
        ? `option ${name} needs a value; write ${name}=VALUE for one starting with "-"`
        : `option ${name} needs a value`;
    }
    default:
      return message.split('\n', 1)[0] ?? message;
  }
}

/**
 * Parses a program's arguments with parseArgs, strictly, except that a
 * negative number standing where a positional goes stays a positional:
 * `chat-server 127.0.0.1 -5` then says the port is invalid instead of
 * `unknown option "-5"` (issue 15). After an option that takes a value,
 * `--flood-rate -5`, it is still parseArgs' "needs a value" error. Throws
 * `UsageError` with one line.
 *
 * @example parseCommandLine(['::1', '-5'], {}).positionals // ['::1', '-5']
 */
export function parseCommandLine<O extends Options>(
  argv: readonly string[],
  options: O
): CommandLine<O> {
  // Non-strict parsing never throws and tells options from positionals the
  // way the strict pass will; `-1.5` is one token per letter, one index.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true
  });
  /** argv index of each negative number → its place among the positionals. */
  const numbers = new Map<number, number>();
  let place = 0;
  for (const token of tokens) {
    if (token.kind === 'positional') place += 1;
    else if (
      token.kind === 'option' &&
      !numbers.has(token.index) &&
      NEGATIVE_NUMBER.test(argv[token.index] ?? '')
    ) {
      numbers.set(token.index, place);
      place += 1;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.filter((_, i) => !numbers.has(i)),
      options,
      allowPositionals: true,
      strict: true
    });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  const positionals = [...parsed.positionals];
  for (const [index, at] of numbers)
    positionals.splice(at, 0, argv[index] ?? '');
  return { values: parsed.values, positionals };
}
