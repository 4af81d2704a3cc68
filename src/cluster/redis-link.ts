import { Redis, type RedisOptions } from 'ioredis';
import { READ_BLOCK_MS, type ClusterOptions } from './cluster-options.js';
import { StreamHub } from './stream-hub.js';
import {
  APPLY,
  BEAT,
  CLAIM,
  RELEASE,
  RETIRE,
  SEND,
  SYNC,
  WHO
} from './scripts.js';

/** The scripts of src/cluster/scripts.ts, as ioredis defines them. */
export interface Scripts {
  chatApply(prefix: string, ...args: string[]): Promise<[string, number[]?]>;
  chatSync(
    prefix: string,
    ...args: string[]
  ): Promise<[string, string, number]>;
  chatBeat(prefix: string, ...args: string[]): Promise<[string, number?]>;
  chatRetire(prefix: string, ...args: string[]): Promise<number>;
  chatWho(prefix: string): Promise<string[]>;
  chatClaim(
    prefix: string,
    ...args: string[]
  ): Promise<'claimed' | 'same' | 'taken'>;
  chatRelease(prefix: string, ...args: string[]): Promise<number>;
  chatSend(
    prefix: string,
    ...args: string[]
  ): Promise<[] | [node: string, conn: string, name: string]>;
}

/** What the link tells each of its users (every room's order) about it. */
export interface LinkEvents {
  /** Both connections are ready. */
  up(): void;
  /** A connection closed. */
  lost(): void;
  /**
   * Redis no longer has the node registered (it was taken for dead, or
   * Redis lost its data): every room registers again.
   */
  stale(): void;
}

/**
 * A node's two connections to Redis, shared by all its rooms and its
 * directory: `commands` runs the scripts, `reader` blocks in XREAD for
 * every stream the node reads (`streams`). This is the only place that
 * opens one. Nothing waits for
 * a connection that is not there (no offline queue, no retried request): a
 * line sent while Redis is out of reach is answered with an error, not
 * queued and sent later out of order. A half-open connection (Redis gone
 * without a reset) is found within the node timeout, since both always have
 * a command out. `lastError` keeps the latest reason for the logs.
 */
export class RedisLink {
  readonly commands: Redis;
  readonly reader: Redis;
  readonly scripts: Scripts;
  /** The streams read over `reader`: each room's log, the node's inbox. */
  readonly streams: StreamHub;
  /** Why the link last failed, for the outage log; '' before any failure. */
  lastError = '';
  readonly #url: string;
  readonly #watchers = new Set<LinkEvents>();
  #open = true;

  constructor(cluster: ClusterOptions, connectTimeoutMs = 5000) {
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      connectTimeout: connectTimeoutMs,
      socketTimeout: cluster.nodeTimeoutMs + READ_BLOCK_MS,
      connectionName: `actor-chat:${cluster.nodeId}`
    };
    this.#url = cluster.url;
    this.commands = new Redis(cluster.url, options);
    this.reader = new Redis(cluster.url, options);
    for (const [name, lua] of [
      ['chatApply', APPLY],
      ['chatSync', SYNC],
      ['chatBeat', BEAT],
      ['chatRetire', RETIRE],
      ['chatWho', WHO],
      ['chatClaim', CLAIM],
      ['chatRelease', RELEASE],
      ['chatSend', SEND]
    ] as const)
      this.commands.defineCommand(name, { numberOfKeys: 1, lua });
    this.scripts = this.commands as unknown as Scripts;
    this.streams = new StreamHub(this.reader, this.commands);
  }

  /** True when both connections can take commands. */
  get ready(): boolean {
    return this.commands.status === 'ready' && this.reader.status === 'ready';
  }

  /** Reports the connections' changes to `events` until the returned function is called, or `close`. */
  watch(events: LinkEvents): () => void {
    this.#watchers.add(events);
    return () => this.#watchers.delete(events);
  }

  /** Tells every user that Redis no longer has the node registered. */
  stale(): void {
    for (const watcher of [...this.#watchers]) watcher.stale();
  }

  /** Follows both connections, for the watchers; `debug` hears every error. */
  #follow(debug: (err: string) => void): void {
    for (const connection of [this.commands, this.reader]) {
      connection.on('ready', () => {
        if (!this.#open || !this.ready) return;
        // The hub wakes its read by the reading connection's id, new on
        // every connection.
        void this.streams.identify().then(() => {
          for (const watcher of [...this.#watchers]) watcher.up();
        });
      });
      connection.on('close', () => {
        if (!this.#open) return;
        for (const watcher of [...this.#watchers]) watcher.lost();
      });
      connection.on('error', (err: unknown) => {
        this.lastError = describe(err);
        debug(this.lastError);
      });
    }
  }

  /**
   * Connects both and follows them from then on; rejects with one line
   * naming the URL (password hidden). `debug` hears every connection error.
   */
  async connect(debug: (err: string) => void): Promise<void> {
    this.#follow(debug);
    try {
      await Promise.all([this.commands.connect(), this.reader.connect()]);
      await this.streams.identify();
    } catch (err) {
      this.close();
      // ioredis rejects with "Connection is closed."; its error event said why.
      throw new Error(
        `cannot reach Redis at ${redact(this.#url)}: ${this.lastError || describe(err)}`,
        { cause: err }
      );
    }
  }

  /** Records why something failed; returns it, for the log. */
  failed(err: unknown): string {
    this.lastError = describe(err);
    return this.lastError;
  }

  /** Drops the commands connection, so both reconnect through one outage. */
  reset(): void {
    this.commands.disconnect(true);
  }

  /** Closes both connections for good. */
  close(): void {
    this.#open = false;
    this.commands.disconnect();
    this.reader.disconnect();
  }

  /** The URL, password hidden. */
  get url(): string {
    return redact(this.#url);
  }
}

/** An error's message, or the value as text. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
