import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import {
  LOG_LEVELS,
  TurnConsole,
  createLogger,
  flushConsole,
  isLogLevel,
  logFileNames,
  renderConsoleLine,
  type Logger,
  type LoggerOptions
} from '../../../src/app/logger.js';
import { createCleanups } from '../../support/cleanup.js';
import { until } from '../../support/wait.js';

const cleanups = createCleanups();
afterEach(async () => {
  await cleanups.run();
  vi.restoreAllMocks();
});

/** A logger whose console is a stream we read back, line by line. */
function consoleLogger(options: Omit<LoggerOptions, 'console'> = {}) {
  const stream = new PassThrough();
  const lines: string[] = [];
  let buffered = '';
  stream.setEncoding('utf8').on('data', (data: string) => {
    const parts = (buffered + data).split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  const logger = createLogger({ ...options, console: stream });
  cleanups.add(() => logger.close());
  return { logger, lines };
}

/**
 * Ends the logger and resolves once every transport has finished writing,
 * as chat-server's shutdown waits: the logger's own 'finish' comes before
 * its transports' (winston#1504).
 */
async function finished(logger: Logger): Promise<void> {
  const done = Promise.all(
    logger.transports.map(
      (transport) => new Promise((resolve) => transport.once('finish', resolve))
    )
  );
  logger.end();
  await done;
}

describe('createLogger console', () => {
  it('renders a join record as the original console line [CHAT-JOIN-2]', () => {
    const { logger, lines } = consoleLogger();
    logger.info('member joined', {
      event: 'join',
      remote: '1.2.3.4:5',
      count: 2
    });
    expect(lines).toEqual(['New user 1.2.3.4:5 entered (2 users online)']);
  });

  it('renders a message record as the relayed line [CHAT-MSG-2]', () => {
    const { logger, lines } = consoleLogger();
    logger.log('chat', 'member said', {
      event: 'message',
      connId: 'c1',
      remote: '1.2.3.4:5',
      text: 'hello'
    });
    expect(lines).toEqual(['[1.2.3.4:5] hello']);
  });

  it('renders a leave record as the leave notice [CHAT-LEAVE-1]', () => {
    const { logger, lines } = consoleLogger();
    logger.info('member left', {
      event: 'leave',
      connId: 'c1',
      remote: '[::1]:7',
      count: 1,
      reason: 'client quit'
    });
    expect(lines).toEqual(['The user [::1]:7 left (1 user online)']);
  });

  it('renders listen, closing and exit records as their console lines', () => {
    const { logger, lines } = consoleLogger();
    logger.info('listening', {
      event: 'listen',
      host: '127.0.0.1',
      port: 3333
    });
    logger.info('room closing', { event: 'closing', count: 0 });
    logger.info('exit', { event: 'exit' });
    expect(lines).toEqual([
      'Chat Server started on port 3333.',
      'Server shutting down',
      'exit'
    ]);
  });

  it('renders other records as level: message k=v', () => {
    const { logger, lines } = consoleLogger();
    logger.warn('shutdown timeout; resetting connections', { count: 3 });
    logger
      .child({ component: 'connection', connId: 'c7' })
      .error('connection failed', { reason: 'internal error', done: true });
    expect(lines).toEqual([
      'warn: shutdown timeout; resetting connections count=3',
      'error: connection failed connId="c7" reason="internal error" done=true'
    ]);
  });

  it('leaves out fields that are undefined', () => {
    const { logger, lines } = consoleLogger({ level: 'debug' });
    logger.debug('connection closed', {
      reason: 'client quit',
      code: undefined
    });
    expect(lines).toEqual(['debug: connection closed reason="client quit"']);
  });

  it('writes chat records at the default level', () => {
    const { logger, lines } = consoleLogger();
    expect(logger.isLevelEnabled('chat')).toBe(true);
    expect(logger.isLevelEnabled('debug')).toBe(false);
    logger.log('chat', 'member said', {
      event: 'message',
      remote: 'a:1',
      text: 'x'
    });
    expect(lines).toEqual(['[a:1] x']);
  });

  it('filters out chat records at level info', () => {
    const { logger, lines } = consoleLogger({ level: 'info' });
    expect(logger.isLevelEnabled('chat')).toBe(false);
    expect(logger.isLevelEnabled('info')).toBe(true);
    logger.log('chat', 'member said', {
      event: 'message',
      remote: 'a:1',
      text: 'x'
    });
    logger.info('member joined', { event: 'join', remote: 'a:1', count: 1 });
    expect(lines).toEqual(['New user a:1 entered (1 user online)']);
  });

  it('serialises nothing for the console: each transport formats for itself', () => {
    const { logger, lines } = consoleLogger();
    let serialised = 0;
    const probe = {
      toJSON: () => {
        serialised += 1;
        return 'probe';
      }
    };
    logger.log('chat', 'member said', {
      event: 'message',
      remote: 'a:1',
      text: 'x',
      probe
    });
    logger.debug('filtered out', { probe });
    expect(lines).toEqual(['[a:1] x']);
    // winston's default logger format, json(), would have serialised both.
    expect(serialised).toBe(0);
  });

  it('writes nothing and does not warn with console: false', () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    const consoleWarn = vi.spyOn(console, 'warn');
    const logger = createLogger({ console: false });
    cleanups.add(() => logger.close());
    logger.info('member joined', { event: 'join', remote: 'a:1', count: 1 });
    logger.error('something failed', { code: 'EPIPE' });
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
    expect(consoleWarn).not.toHaveBeenCalled();
  });
});

describe('createLogger file', () => {
  function tempFile(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-chat-log-'));
    cleanups.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    return path.join(dir, 'chat.log');
  }

  function readRecords(file: string): Record<string, unknown>[] {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('writes JSON lines with the structured fields', async () => {
    const file = tempFile();
    const logger = createLogger({ console: false, file });
    logger.info('member joined', {
      event: 'join',
      connId: 'c1',
      remote: '1.2.3.4:5',
      count: 2
    });
    logger.log('chat', 'member said', {
      event: 'message',
      connId: 'c1',
      remote: '1.2.3.4:5',
      text: 'hello'
    });
    await finished(logger);

    const records = readRecords(file);
    expect(records).toEqual([
      {
        level: 'info',
        message: 'member joined',
        service: 'actor-chat',
        event: 'join',
        connId: 'c1',
        remote: '1.2.3.4:5',
        count: 2,
        timestamp: expect.any(String) as string
      },
      {
        level: 'chat',
        message: 'member said',
        service: 'actor-chat',
        event: 'message',
        connId: 'c1',
        remote: '1.2.3.4:5',
        text: 'hello',
        timestamp: expect.any(String) as string
      }
    ]);
    expect(Number.isNaN(Date.parse(String(records[0]?.['timestamp'])))).toBe(
      false
    );
  });

  it('applies the level to the file too', async () => {
    const file = tempFile();
    const logger = createLogger({ console: false, file, level: 'info' });
    logger.log('chat', 'member said', {
      event: 'message',
      remote: 'a:1',
      text: 'x'
    });
    logger.info('exit', { event: 'exit' });
    await finished(logger);
    expect(readRecords(file).map((r) => r['message'])).toEqual(['exit']);
  });

  it("writes the day's file and links the path to it", async () => {
    const file = tempFile();
    const logger = createLogger({ console: false, file });
    logger.info('exit', { event: 'exit' });
    await finished(logger);
    const day = new Date().toISOString().slice(0, 10);
    // Just before midnight UTC the day may have turned since: either file.
    const current = fs.readlinkSync(file);
    expect([`chat-${day}.log`, `chat-${tomorrow(day)}.log`]).toContain(current);
    expect(readRecords(path.join(path.dirname(file), current))).toHaveLength(1);
  });

  it('finishes only once the last record is in the file', async () => {
    const file = tempFile();
    const logger = createLogger({ console: false, file });
    for (let i = 0; i < 500; i++)
      logger.info('member joined', { event: 'join', remote: 'a:1', count: i });
    logger.info('exit', { event: 'exit' });
    const [transport] = logger.transports;
    // Read at the very 'finish' the shutdown waits for, not a turn later.
    const atFinish = new Promise<Record<string, unknown>[]>((resolve) =>
      transport?.once('finish', () => resolve(readRecords(file)))
    );
    logger.end();
    const records = await atFinish;
    expect(records).toHaveLength(501);
    expect(records.at(-1)).toMatchObject({ message: 'exit' });
  });

  it('reports a file it cannot write once, on the console, and carries on without it', async () => {
    const file = tempFile();
    const day = new Date().toISOString().slice(0, 10);
    for (const d of [day, tomorrow(day)])
      fs.mkdirSync(path.join(path.dirname(file), `chat-${d}.log`));
    const { logger, lines } = consoleLogger({ file });
    logger.info('member joined', { event: 'join', remote: 'a:1', count: 1 });
    // The file fails when the stream opens it, a few turns later.
    await until(() => lines.length === 2, 'the failure is reported', 2000);
    logger.info('member joined', { event: 'join', remote: 'b:2', count: 2 });
    await finished(logger);
    expect(lines).toEqual([
      'New user a:1 entered (1 user online)',
      `error: log file failed; writing it no more file=${JSON.stringify(file)} err="is a directory"`,
      'New user b:2 entered (2 users online)'
    ]);
  });

  // Issue 15, item 11: the hidden file beside the log was undocumented.
  it('keeps the list of files rotation may delete in the audit file docs/events.md names', async () => {
    const file = tempFile();
    const logger = createLogger({ console: false, file });
    logger.info('exit', { event: 'exit' });
    await finished(logger);
    const { audit } = logFileNames(file);
    expect(path.basename(audit)).toBe('.chat.log-audit.json');
    const kept = JSON.parse(fs.readFileSync(audit, 'utf8')) as {
      files: Array<{ name: string }>;
    };
    expect(kept.files.map((f) => f.name)).toEqual([
      path.join(path.dirname(file), fs.readlinkSync(file))
    ]);
    const docs = fs.readFileSync(
      new URL('../../../docs/events.md', import.meta.url),
      'utf8'
    );
    expect(docs).toContain('`.chat.log-audit.json`');
  });

  it('writes no audit file when it keeps every file', async () => {
    const file = tempFile();
    const logger = createLogger({
      console: false,
      file,
      rotation: { maxBytes: 1024 * 1024, keep: { files: 0 } }
    });
    logger.info('exit', { event: 'exit' });
    await finished(logger);
    expect(readRecords(file)).toHaveLength(1);
    expect(fs.existsSync(logFileNames(file).audit)).toBe(false);
  });

  it('writes the file and the console together', async () => {
    const file = tempFile();
    const { logger, lines } = consoleLogger({ file });
    logger.info('member joined', { event: 'join', remote: 'a:1', count: 1 });
    await finished(logger);
    expect(lines).toEqual(['New user a:1 entered (1 user online)']);
    expect(readRecords(file)).toHaveLength(1);
  });
});

function tomorrow(day: string): string {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

describe('logFileNames', () => {
  it('puts the date before the extension and links the path itself', () => {
    expect(logFileNames('/var/log/chat.log')).toEqual({
      pattern: '/var/log/chat-%DATE%',
      extension: '.log',
      link: '/var/log/chat.log',
      audit: '/var/log/.chat.log-audit.json'
    });
  });

  it('takes a path without an extension, or a relative one', () => {
    expect(logFileNames('/var/log/chat')).toMatchObject({
      pattern: '/var/log/chat-%DATE%',
      extension: ''
    });
    expect(logFileNames('logs/chat.jsonl')).toEqual({
      pattern: path.resolve('logs/chat-%DATE%'),
      extension: '.jsonl',
      link: path.resolve('logs/chat.jsonl'),
      audit: path.resolve('logs/.chat.jsonl-audit.json')
    });
  });
});

describe('isLogLevel', () => {
  it.each(['error', 'warn', 'info', 'chat', 'debug'])('accepts %s', (level) => {
    expect(isLogLevel(level)).toBe(true);
  });

  it.each(['verbose', 'INFO', '', 'toString', '__proto__'])(
    'rejects %j',
    (level) => {
      expect(isLogLevel(level)).toBe(false);
    }
  );
});

describe('renderConsoleLine with names and rooms', () => {
  // The console names a member as its room does, and a room other than the
  // lobby prefixes its lines, so the lobby's stay the original program's.
  const base = { level: 'info', message: 'member joined' };

  it('keeps the lobby and the anonymous exactly as the original program', () => {
    expect(
      renderConsoleLine({
        ...base,
        event: 'join',
        room: 'lobby',
        remote: '127.0.0.1:5001',
        count: 2
      })
    ).toBe('New user 127.0.0.1:5001 entered (2 users online)');
  });

  it('names a member with a nickname, and prefixes another room', () => {
    expect(
      renderConsoleLine({
        ...base,
        event: 'leave',
        room: 'dev',
        remote: '127.0.0.1:5001',
        nick: 'ana',
        count: 1
      })
    ).toBe('#dev: The user ana (127.0.0.1:5001) left (1 user online)');
    expect(
      renderConsoleLine({
        ...base,
        event: 'message',
        room: 'lobby',
        remote: '127.0.0.1:5001',
        nick: 'ana',
        text: 'hi'
      })
    ).toBe('[ana] hi');
  });
});

describe('TurnConsole', () => {
  /** A stream that records each write it is given, as one string. */
  function recorder(): { stream: NodeJS.WritableStream; writes: string[] } {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk.toString());
        callback();
      }
    });
    return { stream, writes };
  }

  function turnLogger() {
    const out = recorder();
    const err = recorder();
    const logger = winston.createLogger({
      levels: LOG_LEVELS,
      level: 'chat',
      transports: [
        new TurnConsole(
          { format: winston.format.printf(renderConsoleLine) },
          { stdout: out.stream, stderr: err.stream }
        )
      ]
    });
    return { logger, out: out.writes, err: err.writes };
  }

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it("writes one turn's lines in one write at the end of the turn, in order", async () => {
    const t = turnLogger();
    t.logger.info('listening', { event: 'listen', port: 4000 });
    t.logger.log('chat', 'message', {
      event: 'message',
      remote: '127.0.0.1:5001',
      text: 'hi'
    });
    expect(t.out).toEqual([]);
    await nextTurn();
    expect(t.out).toEqual([
      'Chat Server started on port 4000.\n[127.0.0.1:5001] hi\n'
    ]);
    t.logger.info('exit', { event: 'exit' });
    await nextTurn();
    expect(t.out).toEqual([
      'Chat Server started on port 4000.\n[127.0.0.1:5001] hi\n',
      'exit\n'
    ]);
  });

  it('writes a warning or an error at once, after the lines logged before it', () => {
    const t = turnLogger();
    t.logger.info('listening', { event: 'listen', port: 4000 });
    t.logger.error('daemon fault', { err: 'boom' });
    expect(t.out).toEqual(['Chat Server started on port 4000.\n']);
    expect(t.err).toEqual(['error: daemon fault err="boom"\n']);
    t.logger.warn('slow');
    expect(t.err).toHaveLength(2);
  });

  it('writes the lines of this turn so far when flushed, for an exit that cannot wait', () => {
    const t = turnLogger();
    t.logger.info('closing', { event: 'closing' });
    flushConsole(t.logger);
    expect(t.out).toEqual(['Server shutting down\n']);
  });

  it('writes what is left when the logger ends, before it finishes', async () => {
    const t = turnLogger();
    t.logger.info('closing', { event: 'closing' });
    await finished(t.logger);
    expect(t.out).toEqual(['Server shutting down\n']);
  });
});
