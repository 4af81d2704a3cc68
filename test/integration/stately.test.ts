/**
 * `chat-server --inspect-stately ws://…` (docs/inspector.md, "The Stately
 * inspector"): the CLI, run from source, sends its actors' inspection events
 * to a WebSocket relay we run on 127.0.0.1, made plain; and neither a relay
 * nor a missing one keeps SIGTERM from ending it.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createCleanups } from '../support/cleanup.js';
import { runServerCli, type ServerRun } from '../support/server-cli.js';
import { connectClient } from '../support/client.js';
import { until, within } from '../support/wait.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const server = (args: string[]): ServerRun => runServerCli(args, cleanups);

/** A relay on 127.0.0.1 that records every message it receives. */
async function relay(): Promise<{ url: string; messages: string[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const messages: string[] = [];
  wss.on('connection', (socket) => {
    socket.on('message', (data: Buffer) =>
      messages.push(data.toString('utf8'))
    );
  });
  cleanups.add(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      })
  );
  const { port } = wss.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, messages };
}

/** A loopback port nothing listens on (bound, then closed again). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

interface Message {
  type: string;
  name?: string;
  sessionId: string;
  definition?: string;
  event?: { type: string; [key: string]: unknown };
  snapshot?: {
    value?: unknown;
    context?: Record<string, unknown>;
  };
}

/** A member joins and says one line; resolves once it is echoed. */
async function chat(port: number, text: string): Promise<void> {
  const c = await connectClient(port);
  cleanups.add(() => c.destroy());
  await c.waitForLine('Connected to the chat server (1 user online)', 5000);
  await c.send(text);
  await c.waitForLine(`[You] ${text}`, 5000);
}

describe('chat-server --inspect-stately', () => {
  it('sends the connection actor, its events and plain snapshots to the relay, and exits 0 on SIGTERM', async () => {
    const { url, messages } = await relay();
    const run = server(['127.0.0.1', '0', '--inspect-stately', url]);
    const port = await run.started();
    await chat(port, 'hello relay');

    const parsed = (): Message[] =>
      messages.map((m) => JSON.parse(m) as Message);
    const isConnectionActor = (m: Message): boolean =>
      m.type === '@xstate.actor' &&
      (JSON.parse(m.definition ?? '{}') as { id?: string }).id === 'connection';
    await until(
      () =>
        parsed().some(isConnectionActor) &&
        parsed().some(
          (m) =>
            m.type === '@xstate.snapshot' &&
            m.snapshot?.value === 'online' &&
            m.event?.type === 'room.joined'
        ),
      'the relay has the connection actor and its online snapshot',
      10_000,
      () => `${messages.length} messages: ${messages.slice(-5).join('\n')}`
    );

    const all = parsed();
    const actor = all.find(isConnectionActor);
    // XState names the actor by its id (the connection id); its definition
    // is the connection machine.
    expect(actor?.name).toBe('c1');
    const session = actor?.sessionId;
    const online = all.find(
      (m) =>
        m.type === '@xstate.snapshot' &&
        m.sessionId === session &&
        m.snapshot?.value === 'online'
    );
    expect(online?.snapshot?.context).toMatchObject({
      connId: 'c1',
      room: { actor: 'room:lobby' }
    });
    // The transport in the context is a name, not its object graph.
    expect(online?.snapshot?.context?.port).toBe('[TcpConnection]');
    expect(
      all.some(
        (m) =>
          m.type === '@xstate.event' &&
          m.sessionId === session &&
          m.event?.type === 'room.joined'
      )
    ).toBe(true);
    expect(
      all.some((m) => m.type === '@xstate.actor' && m.name === 'room:lobby')
    ).toBe(true);
    // Only actor, event and snapshot events are forwarded.
    expect([...new Set(all.map((m) => m.type))].sort()).toEqual([
      '@xstate.actor',
      '@xstate.event',
      '@xstate.snapshot'
    ]);
    for (const raw of messages) {
      expect(raw).not.toMatch(
        /"_handle"|"_readableState"|"_writableState"|"_events"/
      );
    }

    const signalled = performance.now();
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 5000, 'exit after SIGTERM')).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(5000);
    expect(run.stderr()).toBe('');
  });

  it('serves chat with no relay listening, and still exits 0 within 5 s of SIGTERM', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}`;
    const run = server(['127.0.0.1', '0', '--inspect-stately', url]);
    const port = await run.started();
    await chat(port, 'anyone there?');

    const signalled = performance.now();
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 5000, 'exit after SIGTERM')).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(5000);
    expect(run.stderr()).toBe('');
    expect(run.stdout()).toMatch(/^exit$/m);
  });
});
