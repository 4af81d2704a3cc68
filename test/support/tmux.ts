/**
 * A real terminal for tests: a program run in a detached tmux session on a
 * private socket, typed into with `send-keys` and read with `capture-pane`.
 * Without tmux the suites are skipped with a warning; with REQUIRE_TMUX=1
 * (CI) they fail instead.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';

const run = promisify(execFile);
const NOT_FOUND = 'tmux not found (apt-get install tmux)';
const POLL_MS = 50;
const TMUX_MS = 5_000;

/** tmux on PATH, or null. */
function findTmux(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, 'tmux');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * `describe` for suites that need tmux. Without it: a `SKIPPED: tmux tests:`
 * warning and a `describe.skip`, or with REQUIRE_TMUX=1 one failing test.
 */
export function describeTmux(name: string, body: () => void): void {
  if (findTmux() !== null) {
    describe(name, body);
  } else if (process.env.REQUIRE_TMUX === '1') {
    describe(name, () => {
      it('has tmux (REQUIRE_TMUX=1)', () => {
        throw new Error(`tmux tests cannot run: ${NOT_FOUND}`);
      });
    });
  } else {
    console.warn(`SKIPPED: tmux tests: ${NOT_FOUND}`);
    describe.skip(name, body);
  }
}

/** One pane of a private tmux server. */
export interface TmuxPane {
  /** Types `text` literally, as one burst of input (like a paste). */
  type(text: string): Promise<void>;
  /** Sends tmux key names (`Enter`, `C-d`, …). */
  keys(...names: string[]): Promise<void>;
  /** The pane's rows as shown, trailing blank rows removed. */
  screen(): Promise<string[]>;
  /** The same rows with the SGR sequences tmux draws their colours with. */
  styledScreen(): Promise<string[]>;
  /** The cursor's column and row in the pane, from 0. */
  cursor(): Promise<{ x: number; y: number }>;
  /**
   * Polls the screen until `check` accepts it; rejects after `ms` with the
   * last screen and `what`.
   */
  waitFor(
    check: (rows: string[]) => boolean,
    what: string,
    ms?: number
  ): Promise<string[]>;
  /** Kills the tmux server and everything in it; safe to call twice. */
  kill(): Promise<void>;
}

/**
 * Runs `argv` in a new detached tmux session `width` x `height`, UTF-8, with
 * no user configuration, on a socket of its own.
 */
export async function startTmux(
  argv: readonly string[],
  options: { width: number; height: number; cwd: string }
): Promise<TmuxPane> {
  const socket = `actor-chat-test-${randomUUID().slice(0, 8)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8'
  };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const tmux = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('tmux', ['-u', '-L', socket, ...args], {
      env,
      timeout: TMUX_MS
    });
    return stdout;
  };
  await tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-x',
    String(options.width),
    '-y',
    String(options.height),
    '-c',
    options.cwd,
    ...argv
  );
  await tmux('set-option', '-g', 'status', 'off');

  const capture = async (...flags: string[]): Promise<string[]> => {
    const rows = (await tmux('capture-pane', '-p', ...flags)).split('\n');
    while (rows.length > 0 && rows.at(-1)?.trim() === '') rows.pop();
    return rows;
  };
  const screen = (): Promise<string[]> => capture();
  let killed = false;
  return {
    async type(text) {
      await tmux('send-keys', '-l', '--', text);
    },
    async keys(...names) {
      await tmux('send-keys', ...names);
    },
    screen,
    styledScreen: () => capture('-e'),
    async cursor() {
      const [x, y] = (
        await tmux('display-message', '-p', '#{cursor_x} #{cursor_y}')
      )
        .trim()
        .split(' ')
        .map(Number);
      return { x: x ?? -1, y: y ?? -1 };
    },
    async waitFor(check, what, ms = 10_000) {
      const deadline = performance.now() + ms;
      let rows = await screen();
      while (!check(rows)) {
        if (performance.now() > deadline) {
          throw new Error(
            `timed out after ${ms} ms waiting for ${what}; screen:\n${rows.join('\n')}`
          );
        }
        await sleep(POLL_MS);
        rows = await screen();
      }
      return rows;
    },
    async kill() {
      if (killed) return;
      killed = true;
      await tmux('kill-server').catch(() => undefined);
    }
  };
}
