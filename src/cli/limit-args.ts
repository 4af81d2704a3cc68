import { UsageError } from '../app/errors.js';
import { DEFAULT_LIMITS, defaultSoftMark, type Limits } from '../app/limits.js';
import { parseSubnet } from '../transport/admission.js';
import { MAX_DURATION_MS, formatDuration, parseDuration } from './duration.js';
import { SIZE_GRAMMAR, formatSize, sizeOption } from './size.js';

export const MAX_LINE_BYTES_CAP = 1024 * 1024;
const SEND_QUEUE_BYTES_CAP = 1024 * 1024 * 1024;
const COUNT_CAP = 1_000_000;
/** The most `listen(2)` is asked for; the kernel caps it lower still. */
const LISTEN_BACKLOG_CAP = 65_535;

/** How an integer option's message explains itself beyond its range. */
interface IntegerHints {
  /** Follows the range: `milliseconds`. */
  unit?: string;
  /** What 0 means: `no limit`. */
  zero?: string;
}

/** An integer argument in `min..max`; a `UsageError` naming `name` otherwise. */
export function integer(
  name: string,
  raw: string,
  min: number,
  max: number,
  hints: IntegerHints = {}
): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    const unit = hints.unit === undefined ? '' : ` ${hints.unit}`;
    const zero = hints.zero === undefined ? '' : `; 0 means ${hints.zero}`;
    throw new UsageError(
      `invalid ${name} "${raw}" (expected an integer from ${min} to ${max}${unit}${zero})`
    );
  }
  return Number(raw);
}

function duration(name: string, raw: string, zero = 'turns it off'): number {
  const ms = parseDuration(raw);
  if (ms === null) {
    throw new UsageError(
      `invalid ${name} "${raw}" (expected a duration such as 500ms, 30s or 5m; 0 ${zero})`
    );
  }
  return ms;
}

function exemptList(raw: string): string[] {
  if (raw.trim() === '' || raw.trim() === 'none') return [];
  return raw.split(',').map((part) => {
    const entry = part.trim();
    if (parseSubnet(entry) === null) {
      throw new UsageError(
        `invalid exempt address "${entry}" (expected an IP address or CIDR subnet such as 10.0.0.0/8)`
      );
    }
    return entry;
  });
}

/** Each limit option and how its value lands in `Limits`. */
const LIMIT_SETTERS: Readonly<
  Record<string, (limits: Limits, raw: string) => void>
> = {
  'max-line-bytes': (l, raw) => {
    l.maxLineBytes = sizeOption('max line bytes', raw, 1, MAX_LINE_BYTES_CAP);
  },
  'send-queue-bytes': (l, raw) => {
    l.sendQueueBytes = sizeOption(
      'send queue bytes',
      raw,
      0,
      SEND_QUEUE_BYTES_CAP,
      { zero: 'no limit' }
    );
  },
  'send-queue-soft-bytes': (l, raw) => {
    l.sendQueueSoftBytes = sizeOption(
      'send queue soft bytes',
      raw,
      0,
      SEND_QUEUE_BYTES_CAP,
      { zero: 'never pause reading' }
    );
  },
  'stall-timeout': (l, raw) => {
    l.stallTimeoutMs = duration('stall timeout', raw);
  },
  'flood-rate': (l, raw) => {
    l.floodRate = integer('flood rate', raw, 0, COUNT_CAP, {
      zero: 'no pacing'
    });
  },
  'flood-burst': (l, raw) => {
    l.floodBurst = integer('flood burst', raw, 1, COUNT_CAP);
  },
  'idle-timeout': (l, raw) => {
    l.idleTimeoutMs = duration('idle timeout', raw);
  },
  keepalive: (l, raw) => {
    l.keepAliveMs = duration('keepalive', raw);
  },
  'max-connections': (l, raw) => {
    l.maxConnections = integer('max connections', raw, 1, COUNT_CAP);
  },
  'max-connections-per-ip': (l, raw) => {
    l.maxConnectionsPerIp = integer(
      'max connections per IP',
      raw,
      1,
      COUNT_CAP
    );
  },
  'listen-backlog': (l, raw) => {
    l.listenBacklog = integer('listen backlog', raw, 1, LISTEN_BACKLOG_CAP);
  },
  'per-ip-exempt': (l, raw) => {
    l.perIpExempt = exemptList(raw);
  },
  'shutdown-timeout': (l, raw) => {
    l.shutdownTimeoutMs = duration(
      'shutdown timeout',
      raw,
      'means do not wait'
    );
  },
  'shutdown-timeout-ms': (l, raw) => {
    l.shutdownTimeoutMs = integer('shutdown timeout', raw, 0, MAX_DURATION_MS, {
      unit: 'milliseconds',
      zero: 'do not wait'
    });
  }
};

/** The limit options, for `parseArgs`. */
export const LIMIT_OPTIONS = Object.fromEntries(
  Object.keys(LIMIT_SETTERS).map((name) => [name, { type: 'string' }])
) as Record<string, { type: 'string' }>;

/** A default duration for the help text; `zero` is what 0 means there. */
function shown(ms: number, zero = 'off'): string {
  return ms === 0 ? zero : formatDuration(ms);
}

/** The limits part of `chat-server --help`. */
export const LIMITS_USAGE = `Limits (per connection):
  --max-line-bytes SIZE       longest accepted line, 1 to ${formatSize(MAX_LINE_BYTES_CAP)}
                              (default ${formatSize(DEFAULT_LIMITS.maxLineBytes)})
  --send-queue-bytes SIZE     unsent bytes owed to one peer before it is
                              disconnected as a slow consumer, up to ${formatSize(SEND_QUEUE_BYTES_CAP)};
                              0 = no limit (default ${formatSize(DEFAULT_LIMITS.sendQueueBytes)})
  --send-queue-soft-bytes SIZE
                              pause reading from a peer owed more than this
                              until it catches up; 0 = never pause
                              (default ${formatSize(DEFAULT_LIMITS.sendQueueSoftBytes)})
  --stall-timeout DURATION    disconnect as a slow consumer a peer that
                              takes none of the bytes it is owed for this
                              long (default ${shown(DEFAULT_LIMITS.stallTimeoutMs)})
  --flood-rate N              lines per second a peer may send before its
                              input is paced; 0 = no pacing (default ${DEFAULT_LIMITS.floodRate})
  --flood-burst N             lines a peer may send at once before pacing
                              starts (default ${DEFAULT_LIMITS.floodBurst})
  --idle-timeout DURATION     disconnect a peer that sends nothing for this
                              long (default ${shown(DEFAULT_LIMITS.idleTimeoutMs)})
  --keepalive DURATION        TCP keepalive: how long a connection is idle
                              before the first probe (default ${shown(DEFAULT_LIMITS.keepAliveMs)})

Limits (per daemon):
  --max-connections N         open connections in all (default ${DEFAULT_LIMITS.maxConnections})
  --max-connections-per-ip N  open connections from one address (default ${DEFAULT_LIMITS.maxConnectionsPerIp})
  --listen-backlog N          connections the kernel may queue for each
                              listener before the daemon accepts them; the
                              kernel caps it at net.core.somaxconn
                              (default ${DEFAULT_LIMITS.listenBacklog})
  --per-ip-exempt LIST        comma-separated addresses or CIDR subnets the
                              per-address limit skips, or none (default
                              ${DEFAULT_LIMITS.perIpExempt.join(',') || 'none'})
  --shutdown-timeout DURATION on SIGINT/SIGTERM, how long to wait for queued
                              output to flush before resetting what is left
                              (default ${shown(DEFAULT_LIMITS.shutdownTimeoutMs, '0')}; 0 = do not wait).
                              --shutdown-timeout-ms N is the old spelling,
                              in milliseconds.

DURATION is an integer with a unit ms, s, m or h (a bare integer is seconds),
at most 24h; 0 turns a timeout off. Counts are integers.
${SIZE_GRAMMAR}
A peer disconnected by a limit gets an "Error: ..." line first; the leave
reasons are listed in docs/protocol.md.`;

/**
 * The limits the parsed option `values` ask for, the defaults elsewhere;
 * throws `UsageError` with a one-line message.
 *
 * @example parseLimits({ 'stall-timeout': '10s' }).stallTimeoutMs // 10000
 */
export function parseLimits(values: Readonly<Record<string, unknown>>): Limits {
  if (
    values['shutdown-timeout'] !== undefined &&
    values['shutdown-timeout-ms'] !== undefined
  ) {
    throw new UsageError(
      'give --shutdown-timeout or its old spelling --shutdown-timeout-ms, not both'
    );
  }
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    perIpExempt: [...DEFAULT_LIMITS.perIpExempt]
  };
  for (const [name, set] of Object.entries(LIMIT_SETTERS)) {
    const raw = values[name];
    if (typeof raw === 'string') set(limits, raw);
  }
  if (values['send-queue-soft-bytes'] === undefined)
    limits.sendQueueSoftBytes = defaultSoftMark(limits.sendQueueBytes);

  const { sendQueueSoftBytes: soft, sendQueueBytes: hard } = limits;
  // Reading pauses at the soft mark so a queue stops growing well before the
  // hard limit; a soft mark above the limit would never be reached.
  if (soft > 0 && hard > 0 && soft > hard) {
    throw new UsageError(
      `send queue soft mark (${soft} bytes) is above the send queue limit (${hard} bytes)`
    );
  }
  return limits;
}
