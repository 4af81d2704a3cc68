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
  return {
    cleanups,
    daemon: async (options = {}) => {
      const t = await startTestDaemon(options);
      cleanups.add(() => t.daemon.close());
      return t;
    },
    client: async (port, host) => {
      const c = await connectClient(port, host);
      cleanups.add(() => c.destroy());
      return c;
    }
  };
}
