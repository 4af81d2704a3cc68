import { Redis, type RedisOptions } from 'ioredis';
import { READ_BLOCK_MS, type ClusterOptions } from './cluster-options.js';
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

/** What the link tells its owner about its two connections. */
export interface LinkEvents {
  /** Both connections are ready. */
  up(): void;
  /** A connection closed. */
  lost(): void;
}

/**
 * A node's two connections to Redis: `commands` runs the scripts, `reader`
 * blocks in XREAD. This is the only place that opens one. Nothing waits for
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
  /** Why the link last failed, for the outage log; '' before any failure. */
  lastError = '';
  readonly #url: string;
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
  }

  /** True when both connections can take commands. */
  get ready(): boolean {
    return this.commands.status === 'ready' && this.reader.status === 'ready';
  }

  /** Reports the connections' changes to `events` until `close`. */
  watch(events: LinkEvents, debug: (err: string) => void): void {
    for (const connection of [this.commands, this.reader]) {
      connection.on('ready', () => {
        if (this.#open && this.ready) events.up();
      });
      connection.on('close', () => {
        if (this.#open) events.lost();
      });
      connection.on('error', (err: unknown) => {
        this.lastError = describe(err);
        debug(this.lastError);
      });
    }
  }

  /** Connects both; rejects with one line naming the URL (password hidden). */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.commands.connect(), this.reader.connect()]);
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
