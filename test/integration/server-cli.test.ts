import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from '../support/client.js';
import { createCleanups } from '../support/cleanup.js';
import { runServerCli, type ServerRun } from '../support/server-cli.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const server = (args: string[]): ServerRun => runServerCli(args, cleanups);

async function until(
  what: string,
  check: () => boolean,
  run: ServerRun,
  ms = 10_000
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function started(run: ServerRun): Promise<number> {
  await until(
    'the start line',
    () => /started on port \d+\./.test(run.stdout()),
    run
  );
  return Number(/started on port (\d+)\./.exec(run.stdout())?.[1]);
}

describe('chat-server', () => {
  it('prints its usage with --help and exits 0', async () => {
    const run = server(['--help']);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toMatch(/^Usage: chat-server \[HOST\] \[PORT\]/);
    for (const option of [
      '--max-line-bytes',
      '--send-queue-bytes',
      '--send-queue-soft-bytes',
      '--stall-timeout',
      '--flood-rate',
      '--flood-burst',
      '--idle-timeout',
      '--keepalive',
      '--max-connections',
      '--max-connections-per-ip',
      '--per-ip-exempt',
      '--shutdown-timeout',
      '--shutdown-timeout-ms'
    ]) {
      expect(run.stdout()).toContain(`${option} `);
    }
  });

  it('starts with limits given as options', async () => {
    const run = server([
      '127.0.0.1',
      '0',
      '--stall-timeout',
      '10s',
      '--idle-timeout',
      '5m',
      '--keepalive',
      '0',
      '--flood-rate',
      '50',
      '--max-connections',
      '5',
      '--per-ip-exempt',
      'none',
      '--shutdown-timeout',
      '500ms'
    ]);
    const port = await started(run);
    const client = await connectClient(port);
    cleanups.add(() => client.destroy());
    await client.waitForLine(
      'Connected to the chat server (1 user online)',
      5000
    );
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe('');
  });

  it('rejects a bad duration with one line and exit code 2', async () => {
    const run = server(['127.0.0.1', '0', '--stall-timeout', '5x']);
    expect(await run.exited).toBe(2);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toBe(
      'chat-server: invalid stall timeout "5x" (expected a duration such as 500ms, 30s or 5m; 0 turns it off); see chat-server --help\n'
    );
  });

  it('rejects a bad port with one line and exit code 2', async () => {
    const run = server(['127.0.0.1', 'abc']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toBe(
      'chat-server: invalid port "abc" (expected an integer from 0 to 65535); see chat-server --help\n'
    );
  });

  it('rejects a negative port as a port, in one line, with exit code 2', async () => {
    const run = server(['127.0.0.1', '-5']);
    expect(await run.exited).toBe(2);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toBe(
      'chat-server: invalid port "-5" (expected an integer from 0 to 65535); see chat-server --help\n'
    );
  });

  it('listens on a bracketed IPv6 host, with sizes in either unit style', async () => {
    const run = server([
      '[::1]',
      '0',
      '--max-line-bytes',
      '1k',
      '--send-queue-bytes',
      '2MiB'
    ]);
    const port = await started(run);
    const client = await connectClient(port, '::1');
    cleanups.add(() => client.destroy());
    await client.waitForLine(
      'Connected to the chat server (1 user online)',
      5000
    );
    // --max-line-bytes 1k took effect: 1024 bytes pass, 1025 do not.
    await client.send('x'.repeat(1024));
    await client.waitForLine(`[You] ${'x'.repeat(1024)}`, 5000);
    await client.send('y'.repeat(1025));
    await until(
      'the oversize error',
      () => client.lines.some((line) => line.startsWith('Error: ')),
      run
    );
    expect(run.stderr()).toBe('');
  });

  it('rejects a bad size in one line naming the units, with exit code 2', async () => {
    const run = server(['127.0.0.1', '0', '--send-queue-bytes', '10mb']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toBe(
      'chat-server: invalid send queue bytes "10mb" (expected a size from 0 to 1GiB: bytes, or a whole number with k, m, g, KiB, MiB or GiB; 0 means no limit); see chat-server --help\n'
    );
  });

  it('says the address is in use, without a stack trace, and exits 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(0, '127.0.0.1', resolve)
    );
    cleanups.add(
      () => new Promise<void>((resolve) => blocker.close(() => resolve()))
    );
    const address = blocker.address();
    const port =
      typeof address === 'object' && address !== null ? address.port : 0;
    const run = server(['127.0.0.1', String(port)]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(
      `chat-server: cannot listen on 127.0.0.1:${port}: address already in use\n`
    );
  });

  it('says a log file cannot be opened and exits 1', async () => {
    const run = server([
      '127.0.0.1',
      '0',
      '--log-file',
      '/nonexistent-dir/chat.log'
    ]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(
      'chat-server: cannot open log file /nonexistent-dir/chat.log: no such file or directory\n'
    );
  });

  it('prints the original console lines, shuts down on SIGTERM and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'actor-chat-'));
    const logFile = join(dir, 'chat.jsonl');
    const run = server(['127.0.0.1', '0', '--log-file', logFile]);
    const port = await started(run);
    const client = await connectClient(port);
    cleanups.add(() => client.destroy());
    await client.waitForLine(
      'Connected to the chat server (1 user online)',
      5000
    );
    await client.send('hello');
    await client.waitForLine('[You] hello', 5000);
    await until(
      'the message line',
      () => run.stdout().includes(`[${client.localAddr}] hello`),
      run
    );

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await client.closed;
    expect(client.lines.at(-1)).toBe('Server shutting down');
    expect(run.stdout().split('\n')).toEqual([
      `Chat Server started on port ${port}.`,
      `New user ${client.localAddr} entered (1 user online)`,
      `[${client.localAddr}] hello`,
      'Server shutting down',
      `The user ${client.localAddr} left (0 users online)`,
      'exit',
      ''
    ]);
    expect(run.stderr()).toBe('');

    const records = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r['event'])).toEqual([
      'listen',
      'join',
      'message',
      'closing',
      'leave',
      'exit'
    ]);
    expect(records[1]).toMatchObject({
      service: 'actor-chat',
      component: 'room',
      message: 'member joined',
      remote: client.localAddr,
      count: 1,
      connId: 'c1'
    });
    expect(records[4]).toMatchObject({ reason: 'server shutdown', count: 0 });
  });

  it('leaves relayed messages out of the console at --log-level info', async () => {
    const run = server(['127.0.0.1', '0', '--log-level', 'info']);
    const port = await started(run);
    const client = await connectClient(port);
    cleanups.add(() => client.destroy());
    await client.send('secret');
    await client.waitForLine('[You] secret', 5000);
    client.end();
    await until(
      'the leave line',
      () => run.stdout().includes('left (0 users online)'),
      run
    );
    expect(run.stdout()).not.toContain('secret');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });
});
