/**
 * chat-server announces itself (`Chat Server started on port P.`) only once
 * every listener it was asked for is bound (issue 15, item 8): a busy
 * `--admin` port fails with one line and a non-zero exit, and nothing that
 * looks like a start.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCleanups } from '../support/cleanup.js';
import { runServerCli } from '../support/server-cli.js';
import { within } from '../support/wait.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** A port on 127.0.0.1 that something else listens on. */
async function busyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve())
  );
  cleanups.add(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (typeof address !== 'object' || address === null)
    throw new Error('no port');
  return address.port;
}

describe('[issue 15] chat-server listeners', () => {
  it('fails on a busy --admin port with one line and no start line', async () => {
    const busy = await busyPort();
    const run = runServerCli(
      ['127.0.0.1', '0', '--admin', `127.0.0.1:${busy}`],
      cleanups
    );
    const code = await within(run.exited, 15_000, 'chat-server exiting');
    const context = `stdout ${JSON.stringify(run.stdout())}, stderr ${JSON.stringify(run.stderr())}`;
    expect(code, context).toBe(1);
    expect(run.stdout(), context).toBe('');
    expect(run.stderr(), context).toBe(
      `chat-server: cannot listen on 127.0.0.1:${busy} for admin: address already in use\n`
    );
  });

  it('prints the start line after the admin listener is up', async () => {
    const run = runServerCli(
      ['127.0.0.1', '0', '--admin', '127.0.0.1:0'],
      cleanups
    );
    await run.started();
    const lines = run.stdout().split('\n');
    const started = lines.findIndex((l) => /started on port \d+\./.test(l));
    const admin = lines.findIndex((l) => l.startsWith('info: admin listening'));
    expect(admin, run.stdout()).toBeGreaterThanOrEqual(0);
    expect(admin, run.stdout()).toBeLessThan(started);
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 10_000, 'chat-server exiting')).toBe(0);
  });
});
