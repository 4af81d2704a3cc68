/** Where the cluster lives and how this node behaves in it. */
export interface ClusterOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /** This node's name in the cluster; unique among live nodes. */
  nodeId: string;
  /** Key prefix: every key is `NAME:{room}:…` (docs/cluster.md). */
  name: string;
  /** How long members are kept, and told to wait, while Redis is out of reach. */
  graceMs: number;
  /** A node whose heartbeat is older than this is dead; it beats five times as often. */
  nodeTimeoutMs: number;
}

/** Events kept in the room's log, about; a node further behind sees a gap. */
export const LOG_MAX_EVENTS = 100_000;
/** Entries one read takes at most. */
export const READ_COUNT = 1000;
/** How long one read waits for new entries. */
export const READ_BLOCK_MS = 1000;
/** Between attempts to register again while Redis is out of reach. */
export const RETRY_MS = 500;
