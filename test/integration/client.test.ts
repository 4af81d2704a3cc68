import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  NOT_SENT_NOTICE,
  UNAVAILABLE_NOTICE
} from '../../src/protocol/format.js';
import { HELP_LINES } from '../../src/protocol/command.js';
import { startTestDaemon } from '../support/daemon.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WAIT_MS = 10_000;
const GREETING = 'Connected to the chat server (1 user online)';
const CHUNK_GAP_MS = 50;

const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Rejects with `label` and the given detail if `promise` takes longer than WAIT_MS. */
async function within<T>(
  promise: Promise<T>,
  label: string,
  detail: () => string = () => ''
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${WAIT_MS} ms ${label}${detail()}`));
    }, WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Greets, answers each complete line with `[You] line`, and closes when the client does. */
function echoServer(socket: net.Socket): void {
  socket.write(`${GREETING}\n`);
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) socket.write(`[You] ${line}\n`);
  });
  socket.on('end', () => socket.end());
}

interface FakeServer {
  readonly port: number;
  /** The first accepted connection. */
  readonly connection: Promise<net.Socket>;
  /** Everything received so far, decoded as UTF-8. */
  received(): string;
}

/** A protocol-speaking stand-in for the chat server, on a loopback port 0. */
async function startFakeServer(
  behaviour: (socket: net.Socket) => void = echoServer,
  options: net.ServerOpts = {}
): Promise<FakeServer> {
  let received = '';
  let accepted: (socket: net.Socket) => void = () => undefined;
  const connection = new Promise<net.Socket>((resolve) => {
    accepted = resolve;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer(options, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    // The client may reset; that is its business, not a test failure.
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    behaviour(socket);
    accepted(socket);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return { port: address.port, connection, received: () => received };
}

interface ClientRun {
  stdout(): string;
  stderr(): string;
  /** Ends the client's stdin, optionally after writing `text`. */
  endInput(text?: string): void;
  /** Resolves once stdout contains `text`. */
  printed(text: string): Promise<void>;
  /** Resolves with the exit code once the client has exited and its output is read. */
  exited(): Promise<number | null>;
}

/** Spawns `chat-client ARGS` from source with piped stdio. */
function runClient(args: readonly string[]): ClientRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/client.ts', ...args],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }
  );
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const watcher of watchers) watcher();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // The client may exit before it reads stdin; that EPIPE is not a failure.
  child.stdin.on('error', () => undefined);
  const exit = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      notify();
      resolve(code);
    });
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  });
  const detail = (): string =>
    `\nstdout: ${JSON.stringify(stdout)}\nstderr: ${JSON.stringify(stderr)}`;

  return {
    stdout: () => stdout,
    stderr: () => stderr,
    endInput: (text) => {
      child.stdin.end(text);
    },
    printed: (text) => {
      const seen = new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (stdout.includes(text)) resolve();
          else if (child.exitCode !== null) reject(new Error('client exited'));
          else return;
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
      return within(
        seen,
        `for stdout to contain ${JSON.stringify(text)}`,
        detail
      );
    },
    exited: () => within(exit, 'for the client to exit', detail)
  };
}

/** A port on which nothing listens: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('chat-client', () => {
  it('prints the greeting, and a line that arrives in two TCP chunks as one line', async () => {
    const server = await startFakeServer();
    const client = runClient(['127.0.0.1', String(server.port)]);
    const socket = await within(server.connection, 'for the client to connect');
    await client.printed(`${GREETING}\n`);

    socket.write('[127.0.0.1:5555] hel');
    await delay(CHUNK_GAP_MS);
    socket.write('lo world\n');
    await client.printed('hello world\n');
    // A UTF-8 character cut between two chunks still decodes. [CHAT-WIRE-1]
    const accented = Buffer.from('[127.0.0.1:5555] café\n', 'utf8');
    const cut = accented.indexOf(0xc3) + 1;
    socket.write(accented.subarray(0, cut));
    await delay(CHUNK_GAP_MS);
    socket.write(accented.subarray(cut));
    await client.printed('café\n');

    client.endInput();
    expect(await client.exited()).toBe(0);
    expect(client.stdout()).toBe(
      `${GREETING}\n[127.0.0.1:5555] hello world\n[127.0.0.1:5555] café\nexit\n`
    );
    expect(client.stderr()).toBe('');
  });

  it('sends piped input, prints the echo, and exits 0 at end of input', async () => {
    const server = await startFakeServer();
    const client = runClient(['127.0.0.1', String(server.port)]);
    client.endInput('hi\n');

    expect(await client.exited()).toBe(0);
    expect(server.received()).toBe('hi\n');
    expect(client.stdout()).toBe(`${GREETING}\n[You] hi\nexit\n`);
    expect(client.stderr()).toBe('');
  });

  it('stops waiting for a server that never closes after it leaves', async () => {
    const server = await startFakeServer(
      (socket) => socket.write(`${GREETING}\n`),
      { allowHalfOpen: true }
    );
    const client = runClient(['127.0.0.1', String(server.port)]);
    client.endInput('bye\n');

    expect(await client.exited()).toBe(0);
    expect(server.received()).toBe('bye\n');
    expect(client.stdout()).toBe(`${GREETING}\nexit\n`);
  });

  it('sends one blank line when the server has not spoken 3 s after connecting, and none once it has', async () => {
    // A server whose handshake we finished but which does not know us (a
    // SYN cookie it then dropped) speaks only once it hears from us.
    const silent = await startFakeServer((socket) => {
      socket.once('data', () => socket.write(`${GREETING}\n`));
    });
    const waiting = runClient(['127.0.0.1', String(silent.port)]);
    await waiting.printed(GREETING);
    expect(silent.received()).toBe('\n');

    const greeting = await startFakeServer(
      (socket) => socket.write(`${GREETING}\n`),
      { allowHalfOpen: true }
    );
    const greeted = runClient(['127.0.0.1', String(greeting.port)]);
    await greeted.printed(GREETING);
    await delay(3500);
    greeted.endInput('bye\n');
    expect(await greeted.exited()).toBe(0);
    expect(greeting.received()).toBe('bye\n');
  }, 20_000);

  it('reports a connection the server closes and exits 1', async () => {
    const server = await startFakeServer((socket) => {
      socket.end(`${GREETING}\nServer shutting down\n`);
    });
    const client = runClient(['127.0.0.1', String(server.port)]);

    expect(await client.exited()).toBe(1);
    expect(client.stdout()).toBe(`${GREETING}\nServer shutting down\n`);
    expect(client.stderr()).toBe(
      'chat-client: connection closed by the server\n'
    );
  });

  it('reports a connection the server resets and exits 1', async () => {
    const server = await startFakeServer((socket) => {
      socket.write(`${GREETING}\n`);
    });
    const client = runClient(['127.0.0.1', String(server.port)]);
    const socket = await within(server.connection, 'for the client to connect');
    await client.printed(`${GREETING}\n`);
    socket.resetAndDestroy();

    expect(await client.exited()).toBe(1);
    expect(client.stderr()).toBe(
      'chat-client: connection reset by the server\n'
    );
  });

  it('reports a refused connection in one line and exits 1', async () => {
    const port = await closedPort();
    const client = runClient(['127.0.0.1', String(port)]);

    expect(await client.exited()).toBe(1);
    expect(client.stderr()).toBe(
      `chat-client: cannot connect to 127.0.0.1:${port}: connection refused\n`
    );
    expect(client.stdout()).toBe('');
  });

  it.each([
    [
      ['127.0.0.1', 'abc'],
      'chat-client: invalid port "abc" (expected 1-65535) (usage: chat-client HOST PORT)'
    ],
    [['127.0.0.1'], 'chat-client: missing PORT (usage: chat-client HOST PORT)']
  ])('rejects the arguments %j with exit code 2', async (args, message) => {
    const client = runClient(args);

    expect(await client.exited()).toBe(2);
    expect(client.stderr()).toBe(`${message}\n`);
    expect(client.stderr()).not.toContain('    at ');
    expect(client.stdout()).toBe('');
  });

  it('prints the package version for --version and exits 0', async () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    ) as { version: string };
    const client = runClient(['--version']);

    expect(await client.exited()).toBe(0);
    expect(client.stdout()).toBe(`${pkg.version}\n`);
    expect(client.stderr()).toBe('');
  });

  it('prints usage for --help and exits 0', async () => {
    const client = runClient(['--help']);

    expect(await client.exited()).toBe(0);
    expect(client.stdout()).toMatch(/^usage: chat-client HOST PORT\n/);
    expect(client.stdout()).toContain('Exit status:');
    expect(client.stderr()).toBe('');
  });
});

// Issue 15, items 1 and 4: a session the server ends is a failure, piped or
// not, and a line the server refuses is shown again.
describe('chat-client exit status and refused lines', () => {
  it('exits 1 when a full daemon refuses a piped client, and shows the line that was not sent', async () => {
    const { daemon, port } = await startTestDaemon({ maxConnections: 1 });
    cleanups.push(() => daemon.close());
    const holder = net.connect(port, '127.0.0.1');
    cleanups.push(() => {
      holder.destroy();
    });
    holder.setEncoding('utf8');
    await within(
      new Promise<void>((resolve) => holder.once('data', () => resolve())),
      'for the first connection to be greeted'
    );

    const client = runClient(['127.0.0.1', String(port)]);
    client.endInput('x\n');

    expect(await client.exited()).toBe(1);
    expect(client.stdout()).toBe(
      'Error: server full (1 connection); try again later\n(not sent) x\n'
    );
    expect(client.stderr()).toBe(
      'chat-client: connection closed by the server before joining the chat\n'
    );
  });

  it('exits 1 when the server refuses a piped client that sent nothing', async () => {
    const server = await startFakeServer((socket) => {
      socket.end(`${UNAVAILABLE_NOTICE}\n`);
    });
    const client = runClient(['127.0.0.1', String(server.port)]);
    client.endInput();

    expect(await client.exited()).toBe(1);
    expect(client.stdout()).toBe(`${UNAVAILABLE_NOTICE}\n`);
    expect(client.stderr()).toBe(
      'chat-client: connection closed by the server before joining the chat\n'
    );
  });

  it('shows a line the server answers with an error, and exits 3 after leaving', async () => {
    const server = await startFakeServer((socket) => {
      socket.write(`${GREETING}\n`);
      let pending = '';
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          socket.write(
            line === 'lost' ? `${NOT_SENT_NOTICE}\n` : `[You] ${line}\n`
          );
        }
      });
      socket.on('end', () => socket.end());
    });
    const client = runClient(['127.0.0.1', String(server.port)]);
    client.endInput('kept\nlost\nalso kept\n');

    expect(await client.exited()).toBe(3);
    expect(client.stdout()).toBe(
      `${GREETING}\n[You] kept\n${NOT_SENT_NOTICE}\n(not sent) lost\n[You] also kept\nexit\n`
    );
    expect(client.stderr()).toBe('chat-client: 1 line was not sent\n');
  });

  it('shows a line the daemon refuses as too long, and exits 3 after leaving', async () => {
    const { daemon, port } = await startTestDaemon({ maxLineBytes: 16 });
    cleanups.push(() => daemon.close());
    const long = 'y'.repeat(40);
    const client = runClient(['127.0.0.1', String(port)]);
    client.endInput(`short\n${long}\nafter\n`);

    expect(await client.exited()).toBe(3);
    const lines = client.stdout().split('\n');
    expect(lines).toContain('[You] short');
    expect(lines).toContain('[You] after');
    const error = lines.indexOf(
      'Error: line too long (limit 16 bytes); it was not relayed'
    );
    expect(error).toBeGreaterThan(0);
    expect(lines[error + 1]).toBe(`(not sent) ${long}`);
    expect(lines.at(-2)).toBe('exit');
    expect(client.stderr()).toBe('chat-client: 1 line was not sent\n');
  });

  it('sends commands without waiting for an echo, and exits 0 after /quit', async () => {
    const { daemon, port } = await startTestDaemon();
    cleanups.push(() => daemon.close());
    const client = runClient(['127.0.0.1', String(port)]);
    client.endInput('/nick ana\n//slash\nhello\n/quit bye\n');

    expect(await client.exited()).toBe(0);
    const lines = client.stdout().split('\n');
    expect(lines).toContain('[You] /slash');
    expect(lines).toContain('[You] hello');
    expect(client.stdout()).not.toContain('(not sent)');
    expect(lines.at(-2)).toBe('exit');
    expect(client.stderr()).toBe('');
  });

  it('prints the lines of /help as the server sends them, and no colour or prompt when piped', async () => {
    const { daemon, port } = await startTestDaemon();
    cleanups.push(() => daemon.close());
    const client = runClient(['127.0.0.1', String(port)]);
    await client.printed(`${GREETING}\n`);
    client.endInput('/help\n/nick ana\n/msg ana self\n');

    expect(await client.exited()).toBe(0);
    const lines = client.stdout().split('\n');
    expect(lines.slice(1, 1 + HELP_LINES.length)).toEqual(HELP_LINES);
    // The private lines come byte for byte as the server sent them.
    expect(lines).toContain('[ana -> you] self');
    expect(lines).toContain('[you -> ana] self');
    expect(client.stdout()).not.toContain('\x1b');
    expect(client.stdout()).not.toMatch(/#lobby>|\(not sent\)/);
    expect(client.stderr()).toBe('');
  });

  it('exits 1 when the server closes while a piped line is unanswered', async () => {
    // Takes the line and closes without an answer, as a daemon that
    // shuts down might.
    const server = await startFakeServer((socket) => {
      socket.write(`${GREETING}\n`);
      socket.once('data', () => socket.end('Server shutting down\n'));
    });
    const client = runClient(['127.0.0.1', String(server.port)]);
    client.endInput('hello\n');

    expect(await client.exited()).toBe(1);
    expect(client.stdout()).toBe(
      `${GREETING}\nServer shutting down\n(not sent) hello\n`
    );
    expect(client.stderr()).toBe(
      'chat-client: connection closed by the server; 1 line was not sent\n'
    );
  });
});
