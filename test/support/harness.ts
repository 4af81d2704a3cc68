import { createCleanups, type Cleanups } from './cleanup.js';
import { connectClient, type TestClient } from './client.js';
import {
  startTestDaemon,
  type TestDaemon,
  type TestDaemonOptions
} from './daemon.js';

/** Daemons and clients that are closed by the cleanups list they register in. */
export interface Harness {
  readonly cleanups: Cleanups;
  /** Starts a daemon on a free loopback port; closed on cleanup. */
  readonly daemon: (options?: TestDaemonOptions) => Promise<TestDaemon>;
  /** Connects a client; destroyed on cleanup. */
  readonly client: (port: number, host?: string) => Promise<TestClient>;
  /**
   * A daemon with two members, A then B, both past their greetings and join
   * notices.
   */
  readonly twoMembers: (
    options?: TestDaemonOptions
  ) => Promise<{ t: TestDaemon; a: TestClient; b: TestClient }>;
}

/**
 * `1 user online`, otherwise `N users online`, written from
 * docs/protocol.md [CHAT-COUNT-1] rather than from src/protocol.
 */
export function online(n: number): string {
  return `${n} ${n === 1 ? 'user' : 'users'} online`;
}

/**
 * One harness per test file; run `cleanups.run()` in `afterEach`.
 *
 * @example
 * const { cleanups, daemon, client } = createHarness();
 * afterEach(() => cleanups.run());
 */
export function createHarness(): Harness {
  const cleanups = createCleanups();
  const daemon = async (options: TestDaemonOptions = {}) => {
    const t = await startTestDaemon(options);
    cleanups.add(() => t.daemon.close());
    return t;
  };
  const client = async (port: number, host?: string) => {
    const c = await connectClient(port, host);
    cleanups.add(() => c.destroy());
    return c;
  };
  return {
    cleanups,
    daemon,
    client,
    twoMembers: async (options = {}) => {
      const t = await daemon(options);
      const a = await client(t.port);
      await a.waitForLine(`Connected to the chat server (${online(1)})`);
      const b = await client(t.port);
      await b.waitForLine(`Connected to the chat server (${online(2)})`);
      await a.waitForLine(`New user ${b.localAddr} entered (${online(2)})`);
      return { t, a, b };
    }
  };
}
