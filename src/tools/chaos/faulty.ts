/**
 * The runtime faults act through: connections that keep a record of what
 * they sent (for the checks), interruptible sleeps, proxies, and the hard
 * bounds. Everything it opens is closed by `stop()`.
 */
import { connectPeer, type Peer } from '../peers/peer.js';
import { createRng, type Rng } from '../peers/rng.js';
import type { Bounds } from './bounds.js';
import { startProxy, type ChaosProxy, type ProxyMode } from './proxy.js';
import type { ChaosTarget, FaultAction } from './types.js';
import type { PeerTransportKind } from '../peers/transport.js';

const CONNECT_TIMEOUT_MS = 5000;
/** How long teardown waits for sockets to close. */
const CLOSE_TIMEOUT_MS = 3000;

/** One connection a fault opened, and what it sent on it. */
export interface FaultyConnection {
  readonly peer: Peer;
  readonly action: FaultAction;
  /** Every line this connection sends starts with `TAG.N`, unique in the run. */
  readonly tag: string;
  /** True through a chaos proxy: the server sees the proxy's address. */
  readonly proxied: boolean;
  /** Lines sent whole (text without `\n`), in order. */
  readonly sent: readonly string[];
  /** Heads of lines whose relayed text is only known to start with `HEAD `. */
  readonly loose: readonly string[];
  /**
   * Lines the server must relay: sent whole, then a FIN, and the server
   * closed the connection before teardown (a reset at teardown may
   * rightly drop lines it had not read yet).
   */
  readonly owed: readonly string[];
  /** Heads of lines the server must never relay (cut off, oversized). */
  readonly forbidden: readonly string[];
  /** Sends `HEAD body\n`; resolves with the text, or null when bounds or the stop say no. */
  line(
    body?: string,
    how?: { slicedBy?: Rng; maxDelayMs?: number }
  ): Promise<string | null>;
  /** Sends `HEAD ` + raw bytes + `\n`: a line whose relayed text the server sanitises. */
  looseLine(body: Buffer): Promise<string | null>;
  /**
   * Sends `HEAD ` + `body`, a line that must never be relayed: cut off (no
   * `\n`), or with `terminate` a `\n` after it (an oversized line).
   */
  cutLine(body: Buffer, terminate?: boolean): Promise<string | null>;
  /** The server must relay `text` once this connection half-closes with `finish()`. */
  owe(text: string): void;
  /** Half-closes (FIN); what `owe` listed is now owed. */
  finish(): void;
  /** Waits (bounded) for the first line; true when one came. */
  greeting(timeoutMs?: number): Promise<boolean>;
}

/** A connection as the runtime holds it. */
interface HeldConnection extends FaultyConnection {
  /** Teardown resets a connection still open: nothing it sent is owed. */
  voidOwed(): void;
}

/** What a fault behaviour gets to act with. */
export interface FaultContext {
  readonly action: FaultAction;
  /** The wire the run speaks: some faults take its own form on it (docs/chaos.md). */
  readonly transport: PeerTransportKind;
  /** Seeded from the action, so its payloads and timings replay. */
  readonly rng: Rng;
  /** True once the run stops injecting. */
  readonly stopped: boolean;
  /** Resolves after `ms`, or at once when the run stops. */
  sleep(ms: number): Promise<void>;
  /** Connects directly, or through `via`; null when a bound says no or it fails. */
  connect(options?: {
    via?: ChaosProxy;
    tag?: string;
  }): Promise<FaultyConnection | null>;
  /** Starts a proxy in front of the server; null when it cannot. */
  proxy(mode: ProxyMode): Promise<ChaosProxy | null>;
}

/** Creates contexts for the faults of one run, and tears them all down. */
export interface FaultRuntime {
  context(action: FaultAction): FaultContext;
  /** Every connection faults opened, in the order they connected. */
  readonly connections: readonly FaultyConnection[];
  /** Stops injecting: sleeps end, no new connections or lines. */
  stop(): void;
  /** Destroys every connection and closes every proxy (bounded). */
  close(): Promise<void>;
}

function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([Promise.allSettled(promises), deadline]).then(() =>
    clearTimeout(timer)
  );
}

/**
 * Creates the runtime of one run against `target`.
 *
 * @example
 * const runtime = createFaultRuntime({ host, port }, bounds);
 * await behave(runtime.context(action));
 * runtime.stop();
 * await runtime.close();
 */
export function createFaultRuntime(
  target: ChaosTarget,
  bounds: Bounds
): FaultRuntime {
  let stopped = false;
  const waiters = new Set<() => void>();
  const connections: HeldConnection[] = [];
  const proxies: ChaosProxy[] = [];

  const sleep = (ms: number): Promise<void> =>
    stopped
      ? Promise.resolve()
      : new Promise((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.max(0, ms));
          waiters.add(done);
        });

  const record = (
    peer: Peer,
    action: FaultAction,
    tag: string,
    proxied: boolean
  ): HeldConnection => {
    const sent: string[] = [];
    const loose: string[] = [];
    let owed: string[] = [];
    const pending: string[] = [];
    const forbidden: string[] = [];
    let n = 0;
    const head = (): string => `${tag}.${(n += 1)}`;
    const write = async (
      bytes: Buffer,
      how?: { slicedBy?: Rng; maxDelayMs?: number }
    ): Promise<boolean> => {
      if (stopped || peer.destroyed || !bounds.takeBytes(bytes.length))
        return false;
      if (how?.slicedBy === undefined) await peer.write(bytes);
      else
        await peer.writeSliced(bytes, how.slicedBy, {
          maxDelayMs: how.maxDelayMs ?? 2
        });
      return true;
    };
    return {
      peer,
      action,
      tag,
      proxied,
      sent,
      loose,
      get owed() {
        return owed;
      },
      forbidden,
      async line(body, how) {
        const h = head();
        const text = body === undefined || body === '' ? h : `${h} ${body}`;
        if (!(await write(Buffer.from(`${text}\n`), how))) return null;
        sent.push(text);
        return text;
      },
      async looseLine(body) {
        const h = head();
        const bytes = Buffer.concat([
          Buffer.from(`${h} `),
          body,
          Buffer.from('\n')
        ]);
        if (!(await write(bytes))) return null;
        loose.push(h);
        return h;
      },
      async cutLine(body, terminate = false) {
        const h = head();
        // Forbidden before it is written: a server may relay it at once.
        forbidden.push(h);
        const end = Buffer.from(terminate ? '\n' : '');
        const written = await write(
          Buffer.concat([Buffer.from(`${h} `), body, end])
        );
        return written ? h : null;
      },
      owe(text) {
        pending.push(text);
      },
      finish() {
        if (peer.destroyed) return;
        owed.push(...pending.splice(0));
        peer.end();
      },
      voidOwed() {
        owed = [];
      },
      async greeting(timeoutMs = CONNECT_TIMEOUT_MS) {
        try {
          await peer.nextLine(timeoutMs);
          return true;
        } catch {
          return false;
        }
      }
    };
  };

  const context = (action: FaultAction): FaultContext => ({
    action,
    transport: target.transport?.kind ?? 'tcp',
    rng: createRng(Number(action.params['seed'] ?? action.client)),
    get stopped() {
      return stopped;
    },
    sleep,
    async connect(options = {}) {
      const { via, tag = `f${action.client}` } = options;
      // Through a proxy the tool holds two connections: to it and from it.
      const slots = via === undefined ? 1 : 2;
      if (stopped || !bounds.takeConnections(slots)) return null;
      let peer: Peer;
      try {
        peer = await connectPeer({
          host: via?.host ?? target.host,
          port: via?.port ?? target.port,
          // Through a proxy the certificate still names the server.
          transport:
            via === undefined || target.transport === undefined
              ? target.transport
              : { ...target.transport, serverName: target.host },
          timeoutMs: CONNECT_TIMEOUT_MS
        });
      } catch {
        bounds.releaseConnections(slots);
        return null;
      }
      void peer.closed.then(() => bounds.releaseConnections(slots));
      const connection = record(peer, action, tag, via !== undefined);
      connections.push(connection);
      if (stopped) peer.destroy();
      return connection;
    },
    async proxy(mode) {
      if (stopped) return null;
      try {
        const proxy = await startProxy({
          target,
          mode,
          seed: Number(action.params['seed'] ?? action.client),
          maxConnections: 1
        });
        proxies.push(proxy);
        if (stopped) await proxy.close();
        return proxy;
      } catch {
        return null;
      }
    }
  });

  return {
    context,
    connections,
    stop() {
      stopped = true;
      for (const wake of [...waiters]) wake();
    },
    async close() {
      // A reset, not a FIN: a server relays paced lines after a FIN, and a
      // flood's backlog would outlast the settle. [CHAT-IN-5]
      for (const c of connections) {
        if (c.peer.destroyed) continue;
        c.voidOwed();
        // After our FIN the reset only destroys (see Peer.reset).
        c.peer.reset();
      }
      await settleWithin(
        [
          ...connections.map((c) => c.peer.closed),
          ...proxies.map((p) => p.close())
        ],
        CLOSE_TIMEOUT_MS
      );
    }
  };
}
