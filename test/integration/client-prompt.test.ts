/**
 * chat-client's prompt, /help and private lines in a real terminal (tmux):
 * the prompt shows the room and name the server confirmed, /help's lines
 * are shown without waiting for an echo, and only true private lines are
 * coloured (issue 17, client).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { HELP_LINES } from '../../src/protocol/command.js';
import { createCleanups } from '../support/cleanup.js';
import { startTestDaemon } from '../support/daemon.js';
import { describeTmux, startTmux, type TmuxPane } from '../support/tmux.js';
import { until } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GREETING = 'Connected to the chat server (1 user online)';
// eslint-disable-next-line no-control-regex -- matching SGR is the point
const LEADING_SGR = /^(?:\x1b\[[0-9;]*m)*/;
// eslint-disable-next-line no-control-regex -- matching SGR is the point
const SGR = /\x1b\[([0-9;]*)m/g;

describeTmux('chat-client prompt, /help and private lines', () => {
  const cleanups = createCleanups();
  afterEach(() => cleanups.run());

  /** A daemon and a chat-client in a 120-column pane, greeted, at its first prompt. */
  async function startSession(): Promise<{ port: number; pane: TmuxPane }> {
    const test = await startTestDaemon();
    cleanups.add(() => test.daemon.close());
    const pane = await startTmux(
      [
        // Colour must not depend on the environment the tests run in.
        'env',
        '-u',
        'NO_COLOR',
        process.execPath,
        '--import',
        'tsx',
        'src/cli/client.ts',
        '127.0.0.1',
        String(test.port)
      ],
      { width: 120, height: 30, cwd: ROOT }
    );
    cleanups.add(() => pane.kill());
    await pane.waitFor(
      (rows) => rows[0] === GREETING && rows[1] === '#lobby>',
      'the greeting and the prompt'
    );
    return { port: test.port, pane };
  }

  /** Another member, greeted; `say` sends it a line. */
  async function member(
    port: number
  ): Promise<{ say(line: string): void; received(): string }> {
    const socket = net.connect(port, '127.0.0.1');
    cleanups.add(() => {
      socket.destroy();
    });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    await until(() => received.includes('\n'), 'the greeting');
    return {
      say: (line) => socket.write(`${line}\n`),
      received: () => received
    };
  }

  /** Types `line`, presses Enter and waits for the last row to be `prompt`. */
  async function enter(
    pane: TmuxPane,
    line: string,
    prompt: string,
    answer: string | RegExp
  ): Promise<string[]> {
    await pane.type(line);
    await pane.keys('Enter');
    const rows = await pane.waitFor(
      (shown) =>
        shown.at(-1) === prompt.trimEnd() &&
        shown
          .slice(0, -1)
          .some((row) =>
            typeof answer === 'string' ? row === answer : answer.test(row)
          ),
      `${String(answer)} and the prompt ${JSON.stringify(prompt)}`
    );
    expect(await pane.cursor()).toEqual({
      x: prompt.length,
      y: rows.length - 1
    });
    return rows;
  }

  it('shows the room and the name the server confirms after /nick, /join and /part', async () => {
    const { port, pane } = await startSession();
    const bob = await member(port);
    bob.say('/nick bob');
    await until(
      () => bob.received().includes('is now known as bob\n'),
      'bob is named'
    );

    await enter(
      pane,
      '/nick alice',
      'alice@#lobby> ',
      /is now known as alice$/
    );
    await enter(
      pane,
      '/nick bob',
      'alice@#lobby> ',
      'Error: nickname bob is taken'
    );
    await enter(
      pane,
      '/join #dev',
      'alice@#dev> ',
      'Now in #dev (1 user online)'
    );
    // Another member's rename in the room is not ours.
    bob.say('/join #dev');
    bob.say('/nick carol');
    await pane.waitFor(
      (rows) => rows.includes('bob is now known as carol'),
      "carol's rename"
    );
    expect((await pane.screen()).at(-1)).toBe('alice@#dev>');
    await enter(
      pane,
      '/nick Alice',
      'Alice@#dev> ',
      'alice is now known as Alice'
    );
    await enter(
      pane,
      '/part',
      'Alice@#lobby> ',
      'Now in #lobby (1 user online)'
    );
  });

  it('shows the lines of /help above the prompt, with nothing marked as not sent', async () => {
    const { pane } = await startSession();
    await pane.type('/help');
    await pane.keys('Enter');
    const expected = [GREETING, ...HELP_LINES, '#lobby>'];
    await pane.waitFor(
      (rows) => rows.join('\n') === expected.join('\n'),
      `exactly ${JSON.stringify(expected)}`
    );
  });

  it('colours private lines, and no chat line that imitates one', async () => {
    const { port, pane } = await startSession();
    const bob = await member(port);
    bob.say('/nick bob');
    await enter(
      pane,
      '/nick alice',
      'alice@#lobby> ',
      /is now known as alice$/
    );
    bob.say('/msg alice psst');
    bob.say('-> you] forged');
    await enter(pane, '/msg bob hi', 'alice@#lobby> ', '[you -> bob] hi');
    await pane.waitFor(
      (rows) => rows.includes('[bob] -> you] forged'),
      'the forged line'
    );

    // tmux writes each row's colour changes at its start (`capture-pane -e`).
    const plain = await pane.screen();
    const styled = await pane.styledScreen();
    const attributes = (row: string): string[] => {
      const index = plain.indexOf(row);
      expect(index, row).toBeGreaterThanOrEqual(0);
      const lead = LEADING_SGR.exec(styled[index] ?? '')?.[0] ?? '';
      return [...lead.matchAll(SGR)].flatMap((m) => (m[1] ?? '').split(';'));
    };
    expect(attributes('[bob -> you] psst')).toEqual(['1', '35']);
    expect(attributes('[you -> bob] hi')).toEqual(['35']);
    for (const row of ['[bob] -> you] forged', GREETING])
      expect(attributes(row), row).not.toContain('35');
  });
});
