import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCleanups } from '../support/cleanup.js';
import { runServerCli, type ServerRun } from '../support/server-cli.js';
import { until } from '../support/wait.js';

/**
 * `--listen-backlog` reaches `listen(2)`: while the daemon is stopped
 * (SIGSTOP) it accepts nothing, so the only connections whose handshake
 * completes are the ones the kernel queues for it, backlog + 1 on Linux;
 * the rest wait for a SYN retransmission. Once it runs again everyone is
 * greeted, with the true count.
 */
const cleanups = createCleanups();
afterEach(() => cleanups.run());

/**
 * Twice the queue of the small backlog: the three SYNs it drops are all
 * retried together after 1 s and then fit, so the test needs no second
 * retry (3 s later).
 */
const DIALS = 6;
const GREETING = /^Connected to the chat server \((\d+) users? online\)/m;

interface Dial {
  socket: Socket;
  connected: boolean;
  greeting: string;
}

function dial(port: number): Dial {
  const socket = connect({ host: '127.0.0.1', port });
  const d: Dial = { socket, connected: false, greeting: '' };
  socket.setEncoding('utf8');
  socket.on('connect', () => (d.connected = true));
  socket.on('data', (text: string) => (d.greeting += text));
  socket.on('error', () => {});
  cleanups.add(() => socket.destroy());
  return d;
}

async function whileStopped(
  run: ServerRun,
  port: number
): Promise<{ dials: Dial[]; handshakes: number }> {
  run.child.kill('SIGSTOP');
  cleanups.add(() => run.child.kill('SIGCONT'));
  const dials = Array.from({ length: DIALS }, () => dial(port));
  // Loopback handshakes complete in well under this; SYNs the kernel
  // dropped are retried after 1 s, so nothing more connects before it.
  await new Promise((r) => setTimeout(r, 400));
  const handshakes = dials.filter((d) => d.connected).length;
  run.child.kill('SIGCONT');
  return { dials, handshakes };
}

async function allGreeted(dials: Dial[]): Promise<number[]> {
  await until(
    () => dials.every((d) => GREETING.test(d.greeting)),
    'every greeting',
    10_000
  );
  return dials
    .map((d) => Number(GREETING.exec(d.greeting)?.[1]))
    .sort((a, b) => a - b);
}

describe('--listen-backlog', () => {
  it('is the accept queue the kernel keeps while the daemon is busy', async () => {
    const run = runServerCli(
      ['127.0.0.1', '0', '--listen-backlog', '2'],
      cleanups
    );
    const port = await run.started();
    const { dials, handshakes } = await whileStopped(run, port);
    expect(handshakes).toBeGreaterThanOrEqual(1);
    expect(handshakes).toBeLessThanOrEqual(3);
    // The dropped SYNs were retried, and the counts are true.
    expect(await allGreeted(dials)).toEqual(
      Array.from({ length: DIALS }, (_, i) => i + 1)
    );
  }, 20_000);

  it('queues a burst by default', async () => {
    const run = runServerCli(['127.0.0.1', '0'], cleanups);
    const port = await run.started();
    const { dials, handshakes } = await whileStopped(run, port);
    expect(handshakes).toBe(DIALS);
    expect(await allGreeted(dials)).toEqual(
      Array.from({ length: DIALS }, (_, i) => i + 1)
    );
  }, 20_000);
});
