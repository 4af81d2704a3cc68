import { hostname } from 'node:os';
import type { ClusterOptions } from '../cluster/cluster-options.js';
import { UsageError } from '../app/errors.js';
import { formatDuration, parseDuration } from './duration.js';

/** Cluster defaults (docs/cluster.md). */
export const CLUSTER_DEFAULTS = {
  name: 'actor-chat',
  graceMs: 30_000,
  nodeTimeoutMs: 5000
} as const;

const NODE_TIMEOUT_MIN_MS = 500;
const NODE_TIMEOUT_MAX_MS = 5 * 60_000;
const GRACE_MAX_MS = 60 * 60_000;

/** parseArgs options of the cluster settings. */
export const CLUSTER_OPTIONS = {
  redis: { type: 'string' },
  'node-id': { type: 'string' },
  cluster: { type: 'string' },
  'redis-grace': { type: 'string' },
  'node-timeout': { type: 'string' }
} as const;

/** The `--help` lines of those options. */
export const CLUSTER_USAGE = `Cluster (docs/cluster.md):
  --redis URL                 share the rooms and names with every daemon
                              of the same cluster through Redis at URL
                              (redis://[:PASSWORD@]HOST[:PORT][/DB], or
                              rediss:// for TLS): one order and one count
                              per room, one holder per name
  --node-id ID                this daemon's name in the cluster, unique
                              among live ones (default HOSTNAME-PID)
  --cluster NAME              the cluster: every Redis key starts with
                              NAME: (default ${CLUSTER_DEFAULTS.name})
  --redis-grace DURATION      while Redis is out of reach, keep members
                              connected this long, then disconnect them
                              (default ${formatDuration(CLUSTER_DEFAULTS.graceMs)}; 0 at once)
  --node-timeout DURATION     a daemon silent this long is dead: another
                              removes its members (default ${formatDuration(CLUSTER_DEFAULTS.nodeTimeoutMs)},
                              ${formatDuration(NODE_TIMEOUT_MIN_MS)} to ${formatDuration(NODE_TIMEOUT_MAX_MS)})`;

type ClusterValues = {
  [K in keyof typeof CLUSTER_OPTIONS]?: string | undefined;
};

/** Names that are safe inside a Redis key and a log line. */
const NAME = /^[A-Za-z0-9._:-]{1,64}$/;

function name(option: string, raw: string): string {
  if (!NAME.test(raw)) {
    throw new UsageError(
      `invalid ${option} "${raw}" (expected 1 to 64 letters, digits, or . _ : -)`
    );
  }
  return raw;
}

function duration(option: string, raw: string, min: number, max: number) {
  const ms = parseDuration(raw);
  if (ms === null || ms < min || ms > max) {
    throw new UsageError(
      `invalid ${option} "${raw}" (expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, such as 500ms, 30s or 5m)`
    );
  }
  return ms;
}

function redisUrl(raw: string): string {
  let url: URL | null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !['redis:', 'rediss:'].includes(url.protocol)) {
    throw new UsageError(
      `invalid Redis URL "${raw}" (expected redis://HOST[:PORT][/DB] or rediss://…)`
    );
  }
  return raw;
}

/**
 * The cluster settings, or `undefined` without `--redis`; the other cluster
 * options need it.
 *
 * @example parseClusterArgs({ redis: 'redis://127.0.0.1:6379', 'node-id': 'a' })
 */
export function parseClusterArgs(
  values: ClusterValues,
  pid = process.pid
): ClusterOptions | undefined {
  if (values.redis === undefined) {
    const stray = (
      ['node-id', 'cluster', 'redis-grace', 'node-timeout'] as const
    ).find((option) => values[option] !== undefined);
    if (stray !== undefined)
      throw new UsageError(`--${stray} applies to --redis; give it too`);
    return undefined;
  }
  const defaultId = `${hostname()
    .replace(/[^A-Za-z0-9._:-]/g, '-')
    .slice(0, 50)}-${pid}`;
  return {
    url: redisUrl(values.redis),
    nodeId: name('node id', values['node-id'] ?? defaultId),
    name: name('cluster name', values.cluster ?? CLUSTER_DEFAULTS.name),
    graceMs:
      values['redis-grace'] === undefined
        ? CLUSTER_DEFAULTS.graceMs
        : duration('redis grace', values['redis-grace'], 0, GRACE_MAX_MS),
    nodeTimeoutMs:
      values['node-timeout'] === undefined
        ? CLUSTER_DEFAULTS.nodeTimeoutMs
        : duration(
            'node timeout',
            values['node-timeout'],
            NODE_TIMEOUT_MIN_MS,
            NODE_TIMEOUT_MAX_MS
          )
  };
}
