/**
 * chat-client in a real terminal (tmux, 60 columns): the prompt and what is
 * being typed are redrawn below each server line with no stale rows, at the
 * wrap boundaries and with wide characters, and a submitted line is replaced
 * by its echo (issue 15, item 3).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createCleanups } from '../support/cleanup.js';
import { NOT_SENT_NOTICE } from '../../src/protocol/format.js';
import { startTestDaemon } from '../support/daemon.js';
import { describeTmux, startTmux, type TmuxPane } from '../support/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COLUMNS = 60;
/** The prompt while anonymous in the lobby. */
const PROMPT = '#lobby> ';
const GREETING = 'Connected to the chat server (1 user online)';

/**
 * The rows a terminal `columns` wide shows `text` on, and where the cursor
 * ends. Only for this file's characters: those from U+1100 up (CJK, emoji)
 * take two columns; one that does not fit on a row starts the next.
 */
function terminalRows(
  text: string,
  columns: number
): { rows: string[]; cursor: { x: number; y: number } } {
  const rows: string[] = [];
  let row = '';
  let col = 0;
  for (const ch of text) {
    const width = (ch.codePointAt(0) ?? 0) >= 0x1100 ? 2 : 1;
    if (col + width > columns) {
      rows.push(row);
      row = '';
      col = 0;
    }
    row += ch;
    col += width;
  }
  rows.push(row);
  const y = rows.length - 1;
  // A row filled to the last column puts the cursor at the next row's start.
  const cursor = col === columns ? { x: 0, y: y + 1 } : { x: col, y };
  return { rows: rows.map((r) => r.trimEnd()), cursor };
}

describeTmux('chat-client redraw in a terminal', () => {
  const cleanups = createCleanups();
  afterEach(() => cleanups.run());

  /** A chat-client in a 60-column tmux pane, greeted by the daemon on `port` (by default a new one). */
  async function startSession(
    serverPort?: number
  ): Promise<{ port: number; pane: TmuxPane }> {
    let port = serverPort;
    if (port === undefined) {
      const test = await startTestDaemon();
      cleanups.add(() => test.daemon.close());
      port = test.port;
    }
    const pane = await startTmux(
      [
        process.execPath,
        '--import',
        'tsx',
        'src/cli/client.ts',
        '127.0.0.1',
        String(port)
      ],
      { width: COLUMNS, height: 20, cwd: ROOT }
    );
    cleanups.add(() => pane.kill());
    await pane.waitFor(
      (rows) => rows[0] === GREETING && rows[1] === PROMPT.trimEnd(),
      'the greeting and the prompt'
    );
    return { port, pane };
  }

  /** Another member joins and says `text`; resolves with its address. */
  async function otherSays(port: number, text: string): Promise<string> {
    const socket = net.connect(port, '127.0.0.1');
    cleanups.add(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(`${text}\n`);
    return `127.0.0.1:${socket.localPort}`;
  }

  /** Types `typed`, has another member say a line, and checks the screen. */
  async function checkLineArrives(
    pane: TmuxPane,
    port: number,
    typed: string,
    keyByKey = false
  ): Promise<string[]> {
    const input = terminalRows(`${PROMPT}${typed}`, COLUMNS);
    if (keyByKey) {
      for (const ch of typed) await pane.type(ch);
    } else {
      await pane.type(typed);
    }
    await pane.waitFor(
      (rows) => rows.at(-1) === input.rows.at(-1),
      'the typed text'
    );
    const addr = await otherSays(port, 'ping');
    const expected = [
      GREETING,
      `New user ${addr} entered (2 users online)`,
      `[${addr}] ping`,
      ...input.rows
    ];
    await pane.waitFor(
      (rows) =>
        rows.includes(`[${addr}] ping`) && rows.at(-1) === expected.at(-1),
      'the line to arrive'
    );
    expect(await pane.screen()).toEqual(expected);
    expect(await pane.cursor()).toEqual({
      x: input.cursor.x,
      y: input.cursor.y + 3
    });
    return expected;
  }

  /** Presses Enter and checks that only the echo and a fresh prompt remain. */
  async function checkEnter(
    pane: TmuxPane,
    above: string[],
    typed: string
  ): Promise<void> {
    await pane.keys('Enter');
    const echo = terminalRows(`[You] ${typed}`, COLUMNS).rows;
    const expected = [...above, ...echo, PROMPT.trimEnd()];
    await pane.waitFor(
      (rows) => rows.at(-1) === PROMPT.trimEnd() && rows.length > above.length,
      'the echo'
    );
    await pane.waitFor(
      (rows) => rows.join('\n') === expected.join('\n'),
      `exactly ${JSON.stringify(expected)}`
    );
    expect(await pane.cursor()).toEqual({
      x: PROMPT.length,
      y: expected.length - 1
    });
  }

  // Input widths 59, 60, 61, 118, 119 and 120 columns, the prompt included.
  it.each([59, 60, 61, 118, 119, 120].map((width) => width - PROMPT.length))(
    'leaves no stale row when a line arrives while %i characters are typed',
    async (count) => {
      const { port, pane } = await startSession();
      const typed = 'a'.repeat(count - 1) + 'z';
      const shown = await checkLineArrives(pane, port, typed);
      await checkEnter(pane, shown.slice(0, 3), typed);
    }
  );

  it('leaves no stale row for two full rows typed key by key', async () => {
    const { port, pane } = await startSession();
    const typed = 'b'.repeat(2 * COLUMNS - PROMPT.length - 1) + 'z';
    const shown = await checkLineArrives(pane, port, typed, true);
    await checkEnter(pane, shown.slice(0, 3), typed);
  });

  it.each([
    ['CJK filling a row exactly', '你'.repeat((COLUMNS - PROMPT.length) / 2)],
    ['CJK wrapping', '你好'.repeat(30)],
    [
      'a wide character that does not fit the last column',
      `a${'好'.repeat((COLUMNS - PROMPT.length) / 2)}`
    ],
    ['emoji', `${'😀'.repeat(30)}x`]
  ])(
    'leaves no stale row with wide text (%s), when a line arrives and on Enter',
    async (_name, typed) => {
      const { port, pane } = await startSession();
      const shown = await checkLineArrives(pane, port, typed);
      await checkEnter(pane, shown.slice(0, 3), typed);
    }
  );

  // Issue 15, item 4: a line the server refuses stays visible.
  it('shows a refused line again under the error, above the prompt', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.write(`${GREETING}\n`);
      socket.on('data', () => socket.write(`${NOT_SENT_NOTICE}\n`));
    });
    cleanups.add(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        })
    );
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve)
    );
    const { port } = server.address() as net.AddressInfo;
    const { pane } = await startSession(port);

    await pane.type('hello 你好');
    await pane.keys('Enter');
    const expected = [
      GREETING,
      ...terminalRows(NOT_SENT_NOTICE, COLUMNS).rows,
      '(not sent) hello 你好',
      PROMPT.trimEnd()
    ];
    await pane.waitFor(
      (rows) => rows.join('\n') === expected.join('\n'),
      `exactly ${JSON.stringify(expected)}`
    );
  });
});
