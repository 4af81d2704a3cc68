/**
 * The log (issue 5, item 6): every accepted connection that ends is logged
 * exactly once, at info or above, with its reason; relayed messages only
 * below info; `--log-file` rotates by size and keeps what it is told to.
 * Each daemon here writes a real JSON log file, read back once its logger
 * has finished.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import {
  LOG_LEVELS,
  createLogger,
  type LogLevel,
  type LogRotation
} from '../../src/app/logger.js';
import type { LeaveReason } from '../../src/machines/types.js';
import {
  SHUTDOWN_NOTICE,
  SLOW_CONSUMER_NOTICE,
  formatIdleTimeout,
  formatLeaveNotice
} from '../../src/protocol/format.js';
import { createCleanups } from '../support/cleanup.js';
import { runServerCli, type ServerRun } from '../support/server-cli.js';
import { connectClient, type TestClient } from '../support/client.js';
import { until, within } from '../support/wait.js';

type LogRecord = Record<string, unknown>;

const cleanups = createCleanups();
afterEach(() => cleanups.run());

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-chat-logging-'));
  cleanups.add(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readRecords(file: string): LogRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}

/** A daemon logging only to a JSON file, as `chat-server --log-file` does. */
interface LoggedDaemon {
  readonly daemon: Daemon;
  readonly port: number;
  readonly file: string;
  client(): Promise<TestClient>;
  /** Closes the daemon, ends the logger, and reads what the file holds. */
  finish(): Promise<LogRecord[]>;
}

async function loggedDaemon(
  options: {
    level?: LogLevel;
    rotation?: LogRotation;
    /** Called as each connection is accepted, before its actor starts. */
    onAccept?: (connId: string, daemon: Daemon) => void;
  } & Partial<Parameters<typeof startDaemon>[0]> = {}
): Promise<LoggedDaemon> {
  const { level = 'chat', rotation, onAccept, ...rest } = options;
  const file = path.join(tempDir(), 'chat.log');
  const logger = createLogger({ console: false, file, level, rotation });
  let ended = false;
  const end = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    // Each transport finishes once its last record is written (as
    // chat-server's shutdown waits for them).
    const finished = Promise.all(
      logger.transports.map(
        (transport) =>
          new Promise((resolve) => transport.once('finish', resolve))
      )
    );
    logger.end();
    await within(finished, 5000, 'the log transports finished');
  };
  // Set once started: connections can only arrive after that.
  const started: { daemon?: Daemon } = {};
  const daemon = await startDaemon({
    floodRate: 0,
    ...rest,
    host: '127.0.0.1',
    port: 0,
    logger,
    wrapPort: (port, connId) => {
      if (started.daemon) onAccept?.(connId, started.daemon);
      return port;
    }
  });
  started.daemon = daemon;
  cleanups.add(async () => {
    await daemon.close();
    await end();
  });
  return {
    daemon,
    port: daemon.port,
    file,
    client: async () => {
      const c = await connectClient(daemon.port);
      cleanups.add(() => c.destroy());
      return c;
    },
    finish: async () => {
      await within(daemon.close(), 10_000, 'daemon.close()');
      await end();
      return readRecords(file);
    }
  };
}

/** At info or above: what `--log-level info` keeps. */
function shownAtInfo(record: LogRecord): boolean {
  const level = record['level'];
  return (
    typeof level === 'string' &&
    level in LOG_LEVELS &&
    LOG_LEVELS[level as LogLevel] <= LOG_LEVELS.info
  );
}

/**
 * The records that say a connection ended: every record of `connId` with a
 * reason, but the fault diagnostic (`connection failed`), which may come in
 * addition.
 */
function endingsOf(records: LogRecord[], connId: string): LogRecord[] {
  return records.filter(
    (r) =>
      r['connId'] === connId &&
      r['reason'] !== undefined &&
      r['message'] !== 'connection failed'
  );
}

/** Asserts one ending record, at info or above, per connection expected. */
function expectOneEndingEach(
  records: LogRecord[],
  expected: Record<string, { reason: LeaveReason; remote: string }>,
  accepted: number
): void {
  expect(Object.keys(expected).sort()).toEqual(
    Array.from({ length: accepted }, (_, i) => `c${i + 1}`).sort()
  );
  for (const [connId, { reason, remote }] of Object.entries(expected)) {
    const endings = endingsOf(records, connId);
    expect(endings, connId).toHaveLength(1);
    const [ending] = endings;
    expect(ending, connId).toMatchObject({ reason, remote });
    expect(shownAtInfo(ending ?? {}), connId).toBe(true);
  }
}

/** The record kinds a day of chat may log at info or above: lifecycle only. */
const LIFECYCLE = new Set([
  'listening',
  'member joined',
  'member left',
  'connection closed',
  'room closing',
  'exit'
]);

describe('every disconnect is logged once with its reason', () => {
  it('logs a quit, a reset, a member ended by the shutdown, and a newcomer the shutdown rejects', async () => {
    const t = await loggedDaemon({
      // c4 arrives as the shutdown begins: the room rejects its join.
      onAccept: (connId, daemon) => {
        if (connId === 'c4') void daemon.close();
      }
    });
    const stayer = await t.client();
    await stayer.nextLine();
    const quitter = await t.client();
    await quitter.nextLine();
    const resetter = await t.client();
    await resetter.nextLine();
    await quitter.send('bye');
    await stayer.waitForLine(`[${quitter.localAddr}] bye`);

    quitter.end();
    await stayer.waitForLine(formatLeaveNotice(quitter.localAddr, 2));
    resetter.reset();
    await stayer.waitForLine(formatLeaveNotice(resetter.localAddr, 1));
    const late = await t.client();
    await within(late.closed, 5000, 'the rejected newcomer closed');
    expect(late.lines).toEqual([SHUTDOWN_NOTICE]);
    await within(stayer.closed, 5000, 'the member closed');

    const records = await t.finish();
    expectOneEndingEach(
      records,
      {
        c1: { reason: 'server shutdown', remote: stayer.localAddr },
        c2: { reason: 'client quit', remote: quitter.localAddr },
        c3: { reason: 'socket error', remote: resetter.localAddr },
        c4: { reason: 'server shutdown', remote: late.localAddr }
      },
      t.daemon.stats().accepted
    );
    // A member's ending is the room's leave record; a connection that never
    // joined has the connection actor's.
    expect(endingsOf(records, 'c3')[0]).toMatchObject({
      level: 'info',
      message: 'member left',
      component: 'room',
      event: 'leave',
      code: 'ECONNRESET'
    });
    expect(endingsOf(records, 'c4')[0]).toMatchObject({
      level: 'info',
      message: 'connection closed',
      component: 'connection'
    });
    expect(records.at(-1)).toMatchObject({ message: 'exit' });
  });

  it('logs slow consumers once each, with how they fell behind', async () => {
    const t = await loggedDaemon({ sendQueueBytes: 512 });
    const a = await t.client();
    await a.nextLine();
    const b = await t.client();
    await b.nextLine();
    await a.send('y'.repeat(600));
    for (const peer of [a, b]) {
      await peer.waitForLine(SLOW_CONSUMER_NOTICE);
      await within(peer.closed, 5000, 'the slow consumer closed');
    }
    await until(
      () => t.daemon.stats().disconnects['slow consumer'] === 2,
      'both slow consumers are gone'
    );

    const records = await t.finish();
    expectOneEndingEach(
      records,
      {
        c1: { reason: 'slow consumer', remote: a.localAddr },
        c2: { reason: 'slow consumer', remote: b.localAddr }
      },
      t.daemon.stats().accepted
    );
    for (const connId of ['c1', 'c2']) {
      expect(endingsOf(records, connId)[0]).toMatchObject({
        message: 'member left',
        why: 'overflow',
        queuedBytes: expect.any(Number) as number
      });
    }
  });

  it('logs an idle member once, with the timeout', async () => {
    const t = await loggedDaemon({ idleTimeoutMs: 150 });
    const idle = await t.client();
    await idle.waitForLine(formatIdleTimeout(150));
    await within(idle.closed, 5000, 'the idle member closed');
    await until(
      () => t.daemon.stats().disconnects['idle timeout'] === 1,
      'the idle member is gone'
    );

    const records = await t.finish();
    expectOneEndingEach(
      records,
      { c1: { reason: 'idle timeout', remote: idle.localAddr } },
      t.daemon.stats().accepted
    );
    expect(endingsOf(records, 'c1')[0]).toMatchObject({
      level: 'info',
      message: 'member left',
      idleMs: 150
    });
  });
});

describe('per-message traffic', () => {
  it('logs relayed messages below info, and nothing per line at info or above', async () => {
    const t = await loggedDaemon({ level: 'debug' });
    const a = await t.client();
    await a.nextLine();
    const b = await t.client();
    await b.nextLine();
    const lines = 20;
    for (let i = 0; i < lines; i++) await a.send(`line ${i}`);
    await b.waitForLine(`[${a.localAddr}] line ${lines - 1}`);
    a.end();
    await b.waitForLine(formatLeaveNotice(a.localAddr, 1));

    const records = await t.finish();
    const said = records.filter((r) => r['message'] === 'member said');
    expect(said).toHaveLength(lines);
    for (const record of said) expect(record['level']).toBe('chat');
    const shown = records.filter(shownAtInfo);
    expect(shown.filter((r) => !LIFECYCLE.has(String(r['message'])))).toEqual(
      []
    );
    // listening, two joins, a leave, closing, b's leave, exit.
    expect(shown).toHaveLength(7);
    expect(JSON.stringify(shown)).not.toContain('line 0');
  });
});

describe('debug transitions', () => {
  // Issue 15, item 10: a state change is logged before what it causes.
  it("logs a connection's transitions before the join and the leave they cause", async () => {
    const t = await loggedDaemon({ level: 'debug' });
    const stayer = await t.client();
    await stayer.nextLine();
    const a = await t.client();
    await a.nextLine();
    a.end();
    await stayer.waitForLine(formatLeaveNotice(a.localAddr, 1));

    const records = await t.finish();
    const story = records
      .filter((r) => r['connId'] === 'c2')
      .map((r) =>
        r['message'] === 'transition'
          ? `${String(r['event'])} ${JSON.stringify(r['from'])}→${JSON.stringify(r['to'])}`
          : String(r['message'])
      );
    const at = (entry: string): number => {
      const i = story.indexOf(entry);
      expect(i, `${entry} in ${JSON.stringify(story)}`).toBeGreaterThanOrEqual(
        0
      );
      return i;
    };
    const init = at('xstate.init null→"connecting"');
    const joined = at('member joined');
    const end = at('tcp.end "online"→"leaving"');
    const left = at('member left');
    expect(init, JSON.stringify(story)).toBeLessThan(joined);
    expect(end, JSON.stringify(story)).toBeLessThan(left);
  });
});

/** The log files next to `file`: `chat-DATE.log`, `chat-DATE.N.log`, by N. */
function rotatedFiles(file: string): string[] {
  const dir = path.dirname(file);
  const index = (name: string): number =>
    Number(/\.(\d+)\.log$/.exec(name)?.[1] ?? 0);
  return fs
    .readdirSync(dir)
    .filter((name) => /^chat-\d{4}-\d{2}-\d{2}(\.\d+)?\.log$/.test(name))
    .sort((x, y) => index(x) - index(y))
    .map((name) => path.join(dir, name));
}

describe('log rotation', () => {
  it('starts a new file past the size and keeps the last files only', async () => {
    const t = await loggedDaemon({
      rotation: { maxBytes: 1024, keep: { files: 3 } }
    });
    const a = await t.client();
    await a.nextLine();
    // Each relayed line is one record of about 230 bytes: some 40 files'
    // worth. Waiting for each echo spreads them over many turns, as a real
    // log's are (the library deletes a file only once it has opened it).
    const lines = 40;
    for (let i = 0; i < lines; i++) {
      await a.send(`line ${i} ${'x'.repeat(100)}`);
      await a.waitForLine(`[You] line ${i} ${'x'.repeat(100)}`);
    }

    const last = await t.finish();
    const files = rotatedFiles(t.file);
    expect(files.map((f) => path.basename(f))).toHaveLength(3);
    // Rotated many times over: the oldest files were deleted.
    expect(Number(/\.(\d+)\.log$/.exec(files[0] ?? '')?.[1])).toBeGreaterThan(
      3
    );
    expect(fs.readlinkSync(t.file)).toBe(path.basename(files[2] ?? ''));
    for (const f of files) expect(fs.statSync(f).size).toBeLessThan(2 * 1024);
    // What is kept is the end of the log, in order, with nothing missing.
    const kept = files.flatMap(readRecords);
    expect(kept.at(-1)).toMatchObject({ message: 'exit' });
    expect(last).toEqual(readRecords(files[2] ?? ''));
    const texts = kept
      .filter((r) => r['message'] === 'member said')
      .map((r) => Number(/^line (\d+)/.exec(String(r['text']))?.[1]));
    expect(texts.length).toBeGreaterThan(0);
    expect(texts).toEqual(
      Array.from({ length: texts.length }, (_, i) => lines - texts.length + i)
    );
    expect(
      fs.existsSync(path.join(path.dirname(t.file), '.chat.log-audit.json'))
    ).toBe(true);
  });
});

const server = (args: string[]): ServerRun => runServerCli(args, cleanups);

describe('chat-server --log-file', () => {
  it('rotates with --log-max-size and --log-max-files, ends each file with its last record, and starts again over its own link', async () => {
    const file = path.join(tempDir(), 'chat.log');
    const args = [
      '127.0.0.1',
      '0',
      '--log-file',
      file,
      '--log-max-size',
      '1k',
      '--log-max-files',
      '2'
    ];
    for (const run of [1, 2]) {
      const s = server(args);
      const port = await s.started();
      const c = await connectClient(port);
      cleanups.add(() => c.destroy());
      await c.nextLine();
      for (let i = 0; i < 12; i++) {
        await c.send(`run ${run} line ${i} ${'z'.repeat(100)}`);
        await c.waitForLine(`[You] run ${run} line ${i} ${'z'.repeat(100)}`);
      }
      s.child.kill('SIGTERM');
      expect(await within(s.exited, 10_000, 'chat-server exited')).toBe(0);
      expect(s.stderr()).toBe('');
      expect(rotatedFiles(file)).toHaveLength(2);
      // The link names the current file, and its last record is the last
      // thing the server did before exiting.
      expect(readRecords(file).at(-1)).toMatchObject({ message: 'exit' });
    }
  });

  it('will not start over a file where the link goes, in one line', async () => {
    const file = path.join(tempDir(), 'chat.log');
    fs.writeFileSync(file, '{"message":"an older log"}\n');
    const s = server(['127.0.0.1', '0', '--log-file', file]);
    expect(await within(s.exited, 10_000, 'chat-server exited')).toBe(1);
    expect(s.stderr()).toBe(
      `chat-server: cannot open log file ${file}: a file is where the link to the current log file goes; move it away\n`
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('{"message":"an older log"}\n');
  });

  it('will not start when the directory is not one, in one line', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'plain'), '');
    const file = path.join(dir, 'plain', 'chat.log');
    const s = server(['127.0.0.1', '0', '--log-file', file]);
    expect(await within(s.exited, 10_000, 'chat-server exited')).toBe(1);
    expect(s.stderr()).toBe(
      `chat-server: cannot open log file ${file}: not a directory\n`
    );
  });
});
