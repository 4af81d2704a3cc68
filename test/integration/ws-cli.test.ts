/**
 * The WebSocket listener through chat-server (issue 18): `--ws` serves the
 * chat page and the protocol beside the plain listener, `--ws-origin`
 * decides which pages may connect, and `--no-plain` leaves WebSocket only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createCleanups } from '../support/cleanup.js';
import { connectClient } from '../support/client.js';
import { runServerCli, type ServerRun } from '../support/server-cli.js';
import { until } from '../support/wait.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** Starts chat-server with `args` and reads the WebSocket port it logged. */
async function startWithWs(
  args: string[]
): Promise<{ run: ServerRun; port: number; wsPort: number }> {
  const run = runServerCli(['127.0.0.1', '0', ...args], cleanups);
  const port = await run.started();
  await until(
    () => /listening for websocket/.test(run.stdout()),
    'the websocket listener logged'
  );
  const wsPort = Number(
    /listening for websocket .*port=(\d+)/.exec(run.stdout())?.[1]
  );
  return { run, port, wsPort };
}

/** Opens a WebSocket to `port` with `origin`; resolves once open, or with the refusal's status. */
function openWs(
  port: number,
  origin?: string
): Promise<{ ws: WebSocket; lines: string[] } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      ...(origin !== undefined && { origin })
    });
    cleanups.add(() => ws.terminate());
    const lines: string[] = [];
    // The default binaryType: one Buffer per message.
    ws.on('message', (data) => lines.push((data as Buffer).toString('utf8')));
    ws.once('open', () => resolve({ ws, lines }));
    ws.once('unexpected-response', (_req, res) =>
      resolve({ status: res.statusCode ?? 0 })
    );
    ws.once('error', reject);
  });
}

describe('chat-server --ws', () => {
  it('serves the chat page and the chat beside the plain listener', async () => {
    const { port, wsPort } = await startWithWs(['--ws', '127.0.0.1:0']);
    const page = await fetch(`http://127.0.0.1:${wsPort}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);

    const opened = await openWs(wsPort, `http://127.0.0.1:${wsPort}`);
    if (!('ws' in opened)) throw new Error(`refused: ${opened.status}`);
    const tcp = await connectClient(port);
    cleanups.add(() => tcp.destroy());
    await tcp.waitForLine((line) => line.startsWith('Connected'));
    opened.ws.send('hello from a page');
    await tcp.waitForLine(
      (line) => line.endsWith('] hello from a page') && line.startsWith('[')
    );
    await tcp.send('hello from nc');
    await until(
      () => opened.lines.some((line) => line.endsWith('] hello from nc')),
      'the TCP line on the WebSocket'
    );
    expect(opened.lines[0]).toBe(
      'Connected to the chat server (1 user online)'
    );
  });

  it('refuses a page of another origin unless --ws-origin names it', async () => {
    const strict = await startWithWs(['--ws', '127.0.0.1:0']);
    expect(await openWs(strict.wsPort, 'https://evil.example')).toEqual({
      status: 403
    });
    const open = await startWithWs([
      '--ws',
      '127.0.0.1:0',
      '--ws-origin',
      'https://chat.example.org'
    ]);
    const allowed = await openWs(open.wsPort, 'https://chat.example.org');
    expect('ws' in allowed).toBe(true);
    expect(await openWs(open.wsPort, 'https://evil.example')).toEqual({
      status: 403
    });
  });

  it('runs WebSocket only with --no-plain', async () => {
    const run = runServerCli(
      ['127.0.0.1', '0', '--ws', '127.0.0.1:0', '--no-plain'],
      cleanups
    );
    const port = await run.started();
    const opened = await openWs(port);
    if (!('ws' in opened)) throw new Error(`refused: ${opened.status}`);
    await until(() => opened.lines.length > 0, 'the greeting');
    expect(opened.lines[0]).toBe(
      'Connected to the chat server (1 user online)'
    );
  });
});
