import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError } from '../app/errors.js';
import { CHAOS_DEFAULTS, CHAOS_LIMITS } from '../chaos/defaults.js';
import {
  FAULT_KINDS,
  isFaultKind,
  type ChaosOptions,
  type FaultKind
} from '../chaos/types.js';
import { formatDuration, parseDuration } from './duration.js';
import { integer } from './limit-args.js';
import { describeParseError } from './server-args.js';

/** What the command line asked for: a run, or the help text. */
export type ChaosCommand =
  { kind: 'run'; options: ChaosOptions; json: boolean } | { kind: 'help' };

const MAX_SEED = 0xffff_ffff;
const MIB = 1024 * 1024;

/** The `--help` text. */
export const CHAOS_USAGE = `Usage: chat-chaos HOST PORT [options]

Runs a bounded, seeded chaos session against a chat server speaking protocol
v1 (docs/protocol.md): observers chat and record everything, faulty clients
misbehave, then it checks from the outside what the server promised and
reports every violation with its evidence and the seed to replay it.

Arguments:
  HOST                      the server's address (127.0.0.1, ::1, a name);
                            nothing else is ever contacted
  PORT                      its TCP port, 1-65535

Options:
  --scenario LIST           fault kinds, comma-separated, or all (default all):
                            ${FAULT_KINDS.slice(0, 6).join(', ')},
                            ${FAULT_KINDS.slice(6).join(', ')}
  --duration DURATION       how long faults are injected, ${formatDuration(CHAOS_LIMITS.minDurationMs)} to ${CHAOS_LIMITS.maxDurationMs / 60_000}m
                            (default ${formatDuration(CHAOS_DEFAULTS.durationMs)}); a bounded settle and the
                            checks follow
  --clients N               faulty clients over the run, 0-${CHAOS_LIMITS.maxClients} (default ${CHAOS_DEFAULTS.clients})
  --observers N             well-behaved recording clients, 1-${CHAOS_LIMITS.maxObservers} (default ${CHAOS_DEFAULTS.observers})
  --rate N                  lines per second each observer sends, 0-${CHAOS_LIMITS.maxRate}
                            (default ${CHAOS_DEFAULTS.rate}; keep it under the server's flood rate)
  --seed N                  0-${MAX_SEED}; the same seed gives the same schedule
                            of faults (default: random, always printed)
  --max-connections N       simultaneous connections the tool opens, at most
                            (default ${CHAOS_DEFAULTS.maxConnections})
  --max-bytes SIZE          bytes the tool sends in all, at most: an integer,
                            or with KiB, MiB or GiB (default ${CHAOS_DEFAULTS.maxBytes / MIB}MiB)
  --json                    print the report as JSON on stdout
  -h, --help                show this help

DURATION is an integer with a unit ms, s, m or h (a bare integer is seconds).
Progress goes to stderr: a bar on a terminal, a line every 5 s otherwise.
Exit codes: 0 no violations, 1 violations found or the run failed (the
server unreachable), 2 bad arguments.`;

function scenarios(raw: string): FaultKind[] {
  if (raw.trim() === 'all') return [...FAULT_KINDS];
  const kinds = raw.split(',').map((part) => part.trim());
  for (const kind of kinds) {
    if (!isFaultKind(kind)) {
      throw new UsageError(
        `unknown scenario "${kind}" (expected all or some of ${FAULT_KINDS.join(', ')})`
      );
    }
  }
  return FAULT_KINDS.filter((kind) => kinds.includes(kind));
}

function duration(raw: string): number {
  const ms = parseDuration(raw);
  if (
    ms === null ||
    ms < CHAOS_LIMITS.minDurationMs ||
    ms > CHAOS_LIMITS.maxDurationMs
  ) {
    throw new UsageError(
      `invalid duration "${raw}" (expected ${formatDuration(CHAOS_LIMITS.minDurationMs)} to ${CHAOS_LIMITS.maxDurationMs / 60_000}m, such as 30s or 5m)`
    );
  }
  return ms;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  KiB: 1024,
  MiB: MIB,
  GiB: 1024 * MIB
};

function byteSize(raw: string): number {
  const match = /^(\d+)(KiB|MiB|GiB)?$/.exec(raw);
  const bytes =
    match === null ? NaN : Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? 1);
  if (
    !Number.isSafeInteger(bytes) ||
    bytes < 1 ||
    bytes > CHAOS_LIMITS.maxBytes
  ) {
    throw new UsageError(
      `invalid max bytes "${raw}" (expected 1 to ${CHAOS_LIMITS.maxBytes} bytes, or with KiB, MiB or GiB such as 64MiB)`
    );
  }
  return bytes;
}

/**
 * Parses chat-chaos's arguments; throws `UsageError` with a one-line message.
 *
 * @param randomSeed the seed when `--seed` is not given
 * @example parseChaosArgs(['127.0.0.1', '3333', '--scenario', 'reset,flood'])
 */
export function parseChaosArgs(
  argv: string[],
  randomSeed: () => number = () => randomInt(0, MAX_SEED)
): ChaosCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        scenario: { type: 'string' },
        duration: { type: 'string' },
        clients: { type: 'string' },
        observers: { type: 'string' },
        rate: { type: 'string' },
        seed: { type: 'string' },
        'max-connections': { type: 'string' },
        'max-bytes': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  const [host, portText, ...extra] = positionals;
  if (host === undefined || portText === undefined) {
    throw new UsageError(
      'expected HOST and PORT, e.g. chat-chaos 127.0.0.1 3333'
    );
  }
  if (extra.length > 0)
    throw new UsageError(`too many arguments: ${extra.join(' ')}`);
  if (host.trim() === '')
    throw new UsageError('invalid host "" (expected an address)');
  const port = integer('port', portText, 1, 65535);
  const observers =
    values.observers === undefined
      ? CHAOS_DEFAULTS.observers
      : integer('observers', values.observers, 1, CHAOS_LIMITS.maxObservers);
  // Room for the observers, the liveness client and one faulty client.
  const minConnections = observers + 2;
  const maxConnections =
    values['max-connections'] === undefined
      ? Math.max(CHAOS_DEFAULTS.maxConnections, minConnections)
      : integer(
          'max connections',
          values['max-connections'],
          minConnections,
          CHAOS_LIMITS.maxConnections
        );
  const options: ChaosOptions = {
    host,
    port,
    scenarios:
      values.scenario === undefined
        ? [...FAULT_KINDS]
        : scenarios(values.scenario),
    durationMs:
      values.duration === undefined
        ? CHAOS_DEFAULTS.durationMs
        : duration(values.duration),
    clients:
      values.clients === undefined
        ? CHAOS_DEFAULTS.clients
        : integer('clients', values.clients, 0, CHAOS_LIMITS.maxClients),
    observers,
    rate:
      values.rate === undefined
        ? CHAOS_DEFAULTS.rate
        : integer('rate', values.rate, 0, CHAOS_LIMITS.maxRate, {
            unit: 'lines per second'
          }),
    seed:
      values.seed === undefined
        ? randomSeed()
        : integer('seed', values.seed, 0, MAX_SEED),
    maxConnections,
    maxBytes:
      values['max-bytes'] === undefined
        ? CHAOS_DEFAULTS.maxBytes
        : byteSize(values['max-bytes'])
  };
  return { kind: 'run', options, json: values.json === true };
}
