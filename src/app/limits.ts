import {
  DEFAULT_FLOOD_BURST,
  DEFAULT_FLOOD_RATE,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_LISTEN_BACKLOG,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_PER_IP_EXEMPT,
  DEFAULT_SEND_QUEUE_BYTES,
  DEFAULT_SEND_QUEUE_SOFT_BYTES,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_STALL_TIMEOUT_MS
} from '../protocol/constants.js';

/**
 * Everything one peer may cost, and how long the daemon waits for it. Each
 * field is a `chat-server` option (README, "Limits"); `0` turns off the ones
 * documented as optional.
 */
export interface Limits {
  /** Longest accepted line in bytes, without its terminator. [CHAT-IN-4] */
  maxLineBytes: number;
  /** Unsent bytes owed to one peer before it is disconnected as a `slow consumer`; 0 = no limit. */
  sendQueueBytes: number;
  /** Unsent bytes above which the daemon stops reading from that peer; 0 = never pause. */
  sendQueueSoftBytes: number;
  /** A peer owed bytes that makes no progress for this long is a `slow consumer`; 0 = off. */
  stallTimeoutMs: number;
  /** Sustained lines per second one peer may send before its input is paced; 0 = no pacing. */
  floodRate: number;
  /** Lines a peer may send at once before pacing starts. */
  floodBurst: number;
  /** Disconnect a peer that sends nothing for this long (`idle timeout`); 0 = off. */
  idleTimeoutMs: number;
  /** TCP keepalive idle time before the first probe; 0 = keepalive off. */
  keepAliveMs: number;
  /** Open chat connections in all. */
  maxConnections: number;
  /** Open chat connections from one address. */
  maxConnectionsPerIp: number;
  /** Addresses or CIDR subnets the per-address limit does not apply to. */
  perIpExempt: readonly string[];
  /** Connections the kernel may queue for each listener before we accept them (capped by the kernel). */
  listenBacklog: number;
  /** How long a graceful shutdown lets queued output flush before resetting what is left. */
  shutdownTimeoutMs: number;
}

/** The defaults of every limit. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  sendQueueBytes: DEFAULT_SEND_QUEUE_BYTES,
  sendQueueSoftBytes: DEFAULT_SEND_QUEUE_SOFT_BYTES,
  stallTimeoutMs: DEFAULT_STALL_TIMEOUT_MS,
  floodRate: DEFAULT_FLOOD_RATE,
  floodBurst: DEFAULT_FLOOD_BURST,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  keepAliveMs: DEFAULT_KEEPALIVE_MS,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  perIpExempt: DEFAULT_PER_IP_EXEMPT,
  listenBacklog: DEFAULT_LISTEN_BACKLOG,
  shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS
});

/**
 * The soft mark when none is given: the default, or half the send-queue
 * limit when that is smaller, so a small limit alone is a valid setting.
 */
export function defaultSoftMark(sendQueueBytes: number): number {
  return sendQueueBytes > 0 && DEFAULT_SEND_QUEUE_SOFT_BYTES > sendQueueBytes
    ? Math.floor(sendQueueBytes / 2)
    : DEFAULT_SEND_QUEUE_SOFT_BYTES;
}

/**
 * Fills in defaults and rejects values no daemon can run with. Throws a
 * `RangeError` naming the field: this is programmer misuse of the API (the
 * CLI validates its own input first, with one-line messages).
 */
export function resolveLimits(given: Partial<Limits>): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) Object.assign(limits, { [key]: value });
  }
  if (given.sendQueueSoftBytes === undefined)
    limits.sendQueueSoftBytes = defaultSoftMark(limits.sendQueueBytes);
  const atLeast = (field: keyof Limits, min: number): void => {
    const value = limits[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
      throw new RangeError(
        `limit ${field} must be a number >= ${min}, got ${String(value)}`
      );
  };
  atLeast('maxLineBytes', 1);
  atLeast('sendQueueBytes', 0);
  atLeast('sendQueueSoftBytes', 0);
  atLeast('stallTimeoutMs', 0);
  atLeast('floodRate', 0);
  atLeast('floodBurst', 1);
  atLeast('idleTimeoutMs', 0);
  atLeast('keepAliveMs', 0);
  atLeast('maxConnections', 1);
  atLeast('maxConnectionsPerIp', 1);
  atLeast('listenBacklog', 1);
  atLeast('shutdownTimeoutMs', 0);
  const { sendQueueSoftBytes: soft, sendQueueBytes: hard } = limits;
  if (soft > 0 && hard > 0 && soft > hard)
    throw new RangeError(
      `limit sendQueueSoftBytes (${soft}) is above sendQueueBytes (${hard})`
    );
  return limits;
}
