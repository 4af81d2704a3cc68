import { randomInt } from 'node:crypto';
import { UsageError } from '../app/errors.js';
import { CHAOS_DEFAULTS, CHAOS_LIMITS } from '../tools/chaos/defaults.js';
import {
  FAULT_KINDS,
  isFaultKind,
  type ChaosOptions,
  type ChaosTransport,
  type FaultKind
} from '../tools/chaos/types.js';
import { parseHost } from './address.js';
import { parseCommandLine } from './command-line.js';
import { formatDuration, parseDuration } from './duration.js';
import { integer } from './limit-args.js';
import { SIZE_GRAMMAR, formatSize, sizeOption } from './size.js';

/** What the command line asked for: a run, or the help text or the version. */
export type ChaosCommand =
  | { kind: 'run'; options: ChaosOptions; json: boolean }
  | { kind: 'help' }
  | { kind: 'version' };

const MAX_SEED = 0xffff_ffff;

/** The `--help` text. */
export const CHAOS_USAGE = `Usage: chat-chaos HOST PORT [options]

Runs a bounded, seeded chaos session against a chat server speaking protocol
v1 (docs/protocol.md): observers chat and record everything, faulty clients
misbehave, then it checks from the outside what the server promised and
reports every violation with its evidence and the seed to replay it.

Arguments:
  HOST                      the server's address (127.0.0.1, ::1 or [::1],
                            a name); nothing else is ever contacted
  PORT                      its port, 1-65535 (the TLS or WebSocket one with
                            --tls or --ws)

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
  --rooms N                 1-${CHAOS_LIMITS.maxRooms} (default ${CHAOS_DEFAULTS.rooms}); 1 is a pure v1 run that
                            never sends a command. Above 1, room observers
                            use protocol v2 (/join /nick /msg) in
                            #chaos-1..N and the room checks run; the server
                            must answer /help with its commands
  --room-observers N        observers that use rooms, 2-${CHAOS_LIMITS.maxRoomObservers} (default ${CHAOS_DEFAULTS.roomObserversPerRoom} per
                            room); only with --rooms above 1
  --max-connections N       simultaneous connections the tool opens, at most
                            (default ${CHAOS_DEFAULTS.maxConnections})
  --max-bytes SIZE          bytes the tool sends in all, at most, up to
                            ${formatSize(CHAOS_LIMITS.maxBytes)} (default ${formatSize(CHAOS_DEFAULTS.maxBytes)})
  --tls                     connect over TLS (verified against the system's
                            CAs, or --ca); with --ws, WebSocket over TLS
                            (wss://HOST:PORT/)
  --ca FILE                 PEM CAs to verify the server's certificate
                            against (only with --tls)
  --insecure                accept any certificate (only with --tls)
  --ws                      connect over WebSocket (ws://HOST:PORT/), one
                            text message per line; docs/chaos.md says how
                            each fault kind is carried out over it
  --json                    print the report as JSON on stdout
  -h, --help                show this help
  -v, --version             show the version

DURATION is an integer with a unit ms, s, m or h (a bare integer is seconds).
${SIZE_GRAMMAR}
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

/** The transport from `--tls` and `--ws`, after checking `--ca`/`--insecure`. */
function transportOf(values: {
  tls?: boolean;
  ws?: boolean;
  ca?: string;
  insecure?: boolean;
}): ChaosTransport {
  const tls = values.tls === true;
  if (!tls && values.ca !== undefined) throw new UsageError('--ca needs --tls');
  if (!tls && values.insecure === true)
    throw new UsageError('--insecure needs --tls');
  if (values.ca !== undefined && values.insecure === true)
    throw new UsageError(
      '--ca and --insecure contradict each other (verify, or do not)'
    );
  if (values.ca === '') throw new UsageError('--ca needs a FILE');
  if (values.ws === true) return tls ? 'wss' : 'ws';
  return tls ? 'tls' : 'tcp';
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
  const { values, positionals } = parseCommandLine(argv, {
    scenario: { type: 'string' },
    duration: { type: 'string' },
    clients: { type: 'string' },
    observers: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    'max-connections': { type: 'string' },
    'max-bytes': { type: 'string' },
    rooms: { type: 'string' },
    'room-observers': { type: 'string' },
    tls: { type: 'boolean' },
    ca: { type: 'string' },
    insecure: { type: 'boolean' },
    ws: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' }
  });
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [hostText, portText, ...extra] = positionals;
  if (hostText === undefined || portText === undefined) {
    throw new UsageError(
      'expected HOST and PORT, e.g. chat-chaos 127.0.0.1 3333'
    );
  }
  if (extra.length > 0)
    throw new UsageError(`too many arguments: ${extra.join(' ')}`);
  const host = parseHost(hostText);
  const transport = transportOf(values);
  const port = integer('port', portText, 1, 65535);
  const observers =
    values.observers === undefined
      ? CHAOS_DEFAULTS.observers
      : integer('observers', values.observers, 1, CHAOS_LIMITS.maxObservers);
  const rooms =
    values.rooms === undefined
      ? CHAOS_DEFAULTS.rooms
      : integer('rooms', values.rooms, 1, CHAOS_LIMITS.maxRooms);
  if (rooms === 1 && values['room-observers'] !== undefined)
    throw new UsageError('--room-observers needs --rooms above 1');
  const roomObservers =
    rooms === 1
      ? 0
      : values['room-observers'] === undefined
        ? Math.min(
            CHAOS_LIMITS.maxRoomObservers,
            rooms * CHAOS_DEFAULTS.roomObserversPerRoom
          )
        : integer(
            'room observers',
            values['room-observers'],
            2,
            CHAOS_LIMITS.maxRoomObservers
          );
  // Room for the observers, the liveness client and one faulty client.
  const minConnections = observers + roomObservers + 2;
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
    ...(transport !== 'tcp' && { transport }),
    ...(values.ca !== undefined && { ca: values.ca }),
    ...(values.insecure === true && { insecure: true }),
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
        : sizeOption(
            'max bytes',
            values['max-bytes'],
            1,
            CHAOS_LIMITS.maxBytes
          ),
    rooms,
    roomObservers
  };
  return { kind: 'run', options, json: values.json === true };
}
