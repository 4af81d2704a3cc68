/**
 * SIGTERM mid-chat (fault suite): the real `chat-server` process, signalled
 * while its members talk (20 of them, a line a millisecond each), tells
 * every member `Server shutting down` as its last line after everything
 * relayed before it, logs the same order, and exits 0 within its shutdown
 * timeout, even when a member never reads [CHAT-SHUT-1] [CHAT-SHUT-2].
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Peer } from '../../src/tools/peers/peer.js';
import {
  checkTranscripts,
  parseRoomLine,
  type Transcript
} from '../../src/tools/peers/transcript.js';
import { connectClient } from '../support/client.js';
import { certDir, makeCert } from '../support/certs.js';
import { createCleanups } from '../support/cleanup.js';
import { parseConsoleLine, pollUntil } from '../support/daemon.js';
import { transcriptOf } from '../support/fault-run.js';
import {
  FAULT_TRANSPORTS,
  type Endpoint,
  type FaultTransport
} from '../support/transports.js';
import { within } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHUTDOWN = 'Server shutting down';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

/** A `chat-server` child process and what it printed. */
interface Server {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves once its stdout and stderr have been read to the end. */
  drained: Promise<void>;
}

/** Spawns `chat-server ARGS` from the sources; killed on cleanup if still running. */
function spawnServer(args: string[]): Server {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/server.ts', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  );
  // 'exit' may come before the last of its output has been read.
  const drained = new Promise<void>((resolve) =>
    child.once('close', () => resolve())
  );
  cleanups.add(() => {
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
  });
  return { child, stdout: () => out, stderr: () => err, exited, drained };
}

/** Waits for `Chat Server started on port P.` and returns P. */
async function startedOn(server: Server): Promise<number> {
  const re = /^Chat Server started on port (\d+)\.$/m;
  await pollUntil(
    () => re.test(server.stdout()),
    'the server prints its start line',
    15_000,
    () => `stdout: ${server.stdout()}; stderr: ${server.stderr()}`
  );
  return Number(re.exec(server.stdout())?.[1]);
}

/**
 * `chat-server` arguments that add a listener for `kind` on a free port (a
 * throwaway certificate for TLS), and how to find where it listens once the
 * server has started.
 */
function listenerFor(kind: FaultTransport): {
  args: string[];
  endpoint(server: Server, plainPort: number): Promise<Endpoint>;
} {
  if (kind === 'tcp')
    return {
      args: [],
      endpoint: (_server, port) =>
        Promise.resolve({ port, transport: { kind } })
    };
  const cert = kind === 'tls' ? makeCert(certDir(cleanups), 'sigterm') : null;
  const args = cert
    ? ['--tls', '127.0.0.1:0', '--tls-cert', cert.cert, '--tls-key', cert.key]
    : ['--ws', '127.0.0.1:0'];
  const name = kind === 'ws' ? 'websocket' : kind;
  const re = new RegExp(`^info: listening for ${name} .*port=(\\d+)`, 'm');
  return {
    args,
    endpoint: async (server) => {
      await pollUntil(
        () => re.test(server.stdout()),
        `the ${name} listener is logged`,
        15_000,
        () => `stdout: ${server.stdout()}; stderr: ${server.stderr()}`
      );
      const port = Number(re.exec(server.stdout())?.[1]);
      return {
        port,
        transport: { kind, ...(cert && { ca: readFileSync(cert.cert) }) }
      };
    }
  };
}

/** Connects `count` members one after another, each past its greeting. */
async function joinMembers(
  port: number | Endpoint,
  count: number
): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const peer = await connectClient(port);
    cleanups.add(() => peer.destroy());
    await peer.waitForLine(
      `Connected to the chat server (${i + 1} ${i === 0 ? 'user' : 'users'} online)`
    );
    peers.push(peer);
  }
  return peers;
}

/**
 * Sends numbered lines, one a millisecond or so, until the server says it is
 * shutting down, the socket closes, or `max` lines. Not as fast as the
 * socket takes them: a write's callback comes before the next turn of the
 * event loop, so the whole chat would be written before this process read
 * anything, and the daemon, which reads and relays it all at once, would be
 * done before the signal. Paced, the chat lasts long enough for the signal
 * to land in the middle of it.
 */
async function chatPaced(
  peer: Peer,
  sent: string[],
  tag: string,
  max: number
): Promise<void> {
  for (let n = 0; n < max; n++) {
    if (peer.lines.includes(SHUTDOWN) || !peer.socket.writable) return;
    const text = `${tag}-${n}`;
    sent.push(text);
    await peer.send(text);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The room events a member received, as its own console would show them. */
function roomEvents(peer: Peer): string[] {
  return peer.lines.flatMap((line) => {
    const parsed = parseRoomLine(line, peer.localAddr);
    switch (parsed.kind) {
      case 'join':
        return [`join ${parsed.addr}`];
      case 'leave':
        return [`leave ${parsed.addr}`];
      case 'message':
        return [`message ${parsed.addr} ${parsed.text}`];
      case 'closing':
        return ['closing'];
      default:
        return [];
    }
  });
}

/** The console's lines as the same events, plus `exit`. */
function consoleEvents(stdout: string): string[] {
  return (
    stdout
      .split('\n')
      // The extra listeners' start lines say where, not what happened.
      .filter((line) => line !== '' && !line.startsWith('info: listening for '))
      .map((line) => {
        if (line === SHUTDOWN) return 'closing';
        const e = parseConsoleLine(line);
        switch (e?.kind) {
          case 'started':
            return 'started';
          case 'join':
            return `join ${e.addr}`;
          case 'leave':
            return `leave ${e.addr}`;
          case 'message':
            return `message ${e.addr} ${e.text}`;
          case 'exit':
            return 'exit';
          default:
            return `unexpected ${line}`;
        }
      })
  );
}

/** The counts of the console's leave lines, in order. */
function consoleLeaveCounts(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((line) => parseConsoleLine(line))
    .flatMap((e) => (e?.kind === 'leave' ? [e.count] : []));
}

// The notice, the order before it and the clean ending are the same over
// every transport (over TLS a close_notify, over WebSocket a 1001 close
// after the notice), so the mid-chat case runs over all three (issue 18).
describe.each<FaultTransport>([...FAULT_TRANSPORTS])(
  'SIGTERM mid-chat over %s',
  (kind) => {
    it('tells every member Server shutting down last, after every line relayed, and exits 0', async () => {
      const MEMBERS = 20;
      const MAX_LINES = 2000;
      const listener = listenerFor(kind);
      const server = spawnServer([
        '127.0.0.1',
        '0',
        '--flood-rate',
        '0',
        ...listener.args
      ]);
      const port = await startedOn(server);
      const at = await listener.endpoint(server, port);
      const members = await joinMembers(at, MEMBERS);
      const [first] = members;
      if (first === undefined) throw new Error('no members');
      // The last join has reached everyone before the chat starts.
      const lastJoin = `New user ${members.at(-1)?.localAddr} entered (${MEMBERS} users online)`;
      await Promise.all(
        members.slice(0, -1).map((p) => p.waitForLine(lastJoin))
      );

      const sent = new Map<string, string[]>(
        members.map((p) => [p.localAddr, []])
      );
      const chat = Promise.all(
        members.map((peer, i) =>
          chatPaced(peer, sent.get(peer.localAddr) ?? [], `m${i}`, MAX_LINES)
        )
      );
      // Mid-chat: well after it started, long before anyone is done (a tenth
      // of the lines sent, and the first member reading them).
      const sentSoFar = () =>
        [...sent.values()].reduce((n, texts) => n + texts.length, 0);
      await pollUntil(
        () =>
          sentSoFar() > (MEMBERS * MAX_LINES) / 10 && first.lines.length > 200,
        'the chat is under way',
        15_000,
        () => `${sentSoFar()} lines sent, ${first.lines.length} read so far`
      );
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');

      // Exits 0 well within the shutdown timeout (5 s) plus the log flush (1 s).
      const code = await within(server.exited, 9000, 'the server exiting');
      const tookMs = Date.now() - signalledAt;
      expect(code).toBe(0);
      await within(
        Promise.all(members.map((p) => p.closed)),
        5000,
        'every member’s socket closing'
      );
      await chat;
      await within(server.drained, 5000, 'the server’s output ending');
      const totalSent = [...sent.values()].reduce((n, t) => n + t.length, 0);
      const context = `SIGTERM → exit ${tookMs} ms; ${totalSent} lines sent; stderr ${JSON.stringify(server.stderr())}`;
      expect(tookMs, context).toBeLessThan(9000);

      // Each member's last line is the notice, then EOF (not a reset).
      for (const peer of members) {
        expect(
          peer.lines.at(-1),
          `${peer.localAddr} (notice at ${peer.lines.indexOf(SHUTDOWN)} of ${peer.lines.length}); ${context}`
        ).toBe(SHUTDOWN);
        expect(peer.lines.filter((l) => l === SHUTDOWN)).toHaveLength(1);
        // Over WebSocket the ending is the 1001 close handshake, after which
        // the client library destroys the socket: no error is the check there.
        if (kind === 'ws') expect(peer.error, peer.localAddr).toBe(null);
        else
          expect(peer.socket.readableEnded, `${peer.localAddr} saw EOF`).toBe(
            true
          );
      }

      // I1 for what each received: every line relayed to anyone before the
      // notice reached everyone, once, in one order (all stayed to the end).
      const transcripts: Transcript[] = members.map((p) =>
        transcriptOf(p, true)
      );
      const violations = checkTranscripts(transcripts);
      expect(
        violations,
        JSON.stringify(violations.slice(0, 5), null, 1)
      ).toEqual([]);
      // What the room accepted from each sender is what it sent, in order, up
      // to the shutdown: a prefix, no gaps. It was mid-chat: lines sent were
      // still on their way when the signal came, and were never relayed.
      const reference = roomEvents(first);
      let relayedTotal = 0;
      for (const [addr, texts] of sent) {
        const relayed = reference
          .filter((e) => e.startsWith(`message ${addr} `))
          .map((e) => e.slice(`message ${addr} `.length));
        relayedTotal += relayed.length;
        expect(relayed, `${addr}; ${context}`).toEqual(
          texts.slice(0, relayed.length)
        );
      }
      expect(relayedTotal, context).toBeGreaterThan(0);
      expect(relayedTotal, context).toBeLessThan(totalSent);

      expect(server.stderr(), context).toBe('');
      // The console shows the same order: the start line, the joins, every
      // relayed line, then the notice, each member's leave with the count
      // going down to 0, and `exit` last (as the CLI's integration test
      // expects with one member).
      const logged = consoleEvents(server.stdout());
      const closingAt = logged.indexOf('closing');
      expect(logged[0], context).toBe('started');
      expect(logged[1], context).toBe(`join ${first.localAddr}`);
      expect(logged.slice(2, closingAt + 1), context).toEqual(reference);
      // Checked first, as it says what is wrong when the tail is cut short:
      // the console's last lines must be written before the process exits.
      const tail = logged.slice(closingAt + 1);
      expect(
        tail.at(-1),
        `the console's last line should be exit; the last lines after the notice (${tail.length} of ${MEMBERS + 1} expected): ${JSON.stringify(tail.slice(-3))}; ${context}`
      ).toBe('exit');
      expect(
        tail
          .slice(0, -1)
          .map((e) => e.replace(/^leave /, ''))
          .sort(),
        context
      ).toEqual(members.map((p) => p.localAddr).sort());
      expect(consoleLeaveCounts(server.stdout()), context).toEqual(
        Array.from({ length: MEMBERS }, (_, i) => MEMBERS - 1 - i)
      );
    }, 60_000);
  }
);

// A member that never reads is about kernel buffers on the plain socket; the
// slow readers over TLS and WebSocket are test/fault/slow-readers.test.ts.
describe('SIGTERM with a member that never reads', () => {
  it('exits 0 within the shutdown timeout when a member never reads', async () => {
    const TIMEOUT_MS = 1000;
    const server = spawnServer([
      '127.0.0.1',
      '0',
      '--flood-rate',
      '0',
      '--shutdown-timeout',
      '1s',
      // Room for what the stalled member is owed beyond the kernel's
      // buffers, so it is not dropped as a slow consumer first.
      '--send-queue-bytes',
      String(32 * 1024 * 1024)
    ]);
    const port = await startedOn(server);
    const [talker, reader, stalled] = await joinMembers(port, 3);
    if (talker === undefined || reader === undefined || stalled === undefined)
      throw new Error('members missing');
    stalled.stopReading();

    // 12 MB for the stalled member, well past what the kernel buffers hold
    // on loopback (the send buffer autotunes up to tcp_wmem's 4 MB, and the
    // receive window grows too): with only 4 MB the kernel sometimes took
    // it all, the socket finished, and there was nothing left to wait for.
    const text = 'q'.repeat(4000);
    const LINES = 3000;
    for (let i = 0; i < LINES; i++) void talker.send(`${i} ${text}`);
    const last = `${LINES - 1} ${text}`;
    await talker.waitForLine(`[You] ${last}`, 20_000);
    await reader.waitForLine(`[${talker.localAddr}] ${last}`, 20_000);
    // The stalled member took next to none of the megabytes it is owed.
    expect(stalled.bytes().length).toBeLessThan((LINES * text.length) / 4);

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const code = await within(server.exited, TIMEOUT_MS + 4000, 'the exit');
    const tookMs = Date.now() - signalledAt;
    await within(server.drained, 5000, 'the server’s output ending');
    const context = `SIGTERM → exit ${tookMs} ms; stderr ${JSON.stringify(server.stderr())}`;
    expect(code, context).toBe(0);
    // It waited for the stalled member, up to the timeout, then reset it,
    // saying what it dropped: the stalled member only. (issue 15)
    expect(tookMs, context).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
    expect(tookMs, context).toBeLessThan(TIMEOUT_MS + 3000);
    const dropped =
      /^warn: shutdown timeout; dropped unsent output peers=1 bytes=(\d+)$/m.exec(
        server.stderr()
      );
    expect(dropped, context).not.toBeNull();
    expect(Number(dropped?.[1]), context).toBeGreaterThan(0);

    await within(
      Promise.all([talker.closed, reader.closed]),
      5000,
      'the reading members’ sockets closing'
    );
    for (const peer of [talker, reader])
      expect(peer.lines.at(-1), `${peer.localAddr}; ${context}`).toBe(SHUTDOWN);
    stalled.resumeReading();
    await within(stalled.closed, 5000, 'the stalled member’s socket closing');
    const violations = checkTranscripts([
      transcriptOf(talker, true),
      transcriptOf(reader, true),
      transcriptOf(stalled, false)
    ]);
    expect(violations, JSON.stringify(violations.slice(0, 5), null, 1)).toEqual(
      []
    );

    const logged = consoleEvents(server.stdout());
    expect(logged.filter((e) => e.startsWith('leave ')).sort()).toEqual(
      [talker, reader, stalled].map((p) => `leave ${p.localAddr}`).sort()
    );
    expect(consoleLeaveCounts(server.stdout())).toEqual([2, 1, 0]);
    expect(logged.at(-1)).toBe('exit');
  }, 60_000);
});
