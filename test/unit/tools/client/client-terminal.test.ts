import { describe, expect, it } from 'vitest';
import { createInputView } from '../../../../src/tools/client/terminal-input.js';
import { layoutText } from '../../../../src/tools/client/terminal-width.js';

describe('layoutText', () => {
  it('counts display columns, not code points', () => {
    expect(layoutText('ab', 10).end).toEqual({ row: 0, col: 2 });
    expect(layoutText('你好', 10).end).toEqual({ row: 0, col: 4 });
    expect(layoutText('😀', 10).end).toEqual({ row: 0, col: 2 });
    // One grapheme of several code points: a family emoji, an accent.
    expect(layoutText('👨‍👩‍👧', 10).end).toEqual({ row: 0, col: 2 });
    expect(layoutText('e\u0301', 10).end).toEqual({ row: 0, col: 1 });
  });

  it('keeps the cursor on the last column of a full row (deferred wrap)', () => {
    const full = layoutText('x'.repeat(10), 10);
    expect(full.end).toEqual({ row: 0, col: 10 });
    // ...but a cursor there shows at the start of the next row.
    expect(full.at(10)).toEqual({ row: 1, col: 0 });
    expect(layoutText('x'.repeat(11), 10).end).toEqual({ row: 1, col: 1 });
    expect(layoutText('x'.repeat(20), 10).end).toEqual({ row: 1, col: 10 });
  });

  it('starts the next row with a wide character that does not fit the last column', () => {
    const layout = layoutText(`${'x'.repeat(9)}你`, 10);
    expect(layout.end).toEqual({ row: 1, col: 2 });
    expect(layout.at(9)).toEqual({ row: 1, col: 0 });
  });

  it('places a cursor before a character, never inside a grapheme', () => {
    const layout = layoutText('a😀b', 10);
    expect(layout.at(0)).toEqual({ row: 0, col: 0 });
    expect(layout.at(1)).toEqual({ row: 0, col: 1 });
    expect(layout.at(3)).toEqual({ row: 0, col: 3 });
    expect(layout.at(4)).toEqual({ row: 0, col: 4 });
  });

  it('draws no control characters and a TAB as one space', () => {
    const layout = layoutText('a\tb\x1b[31mc\x07', 10);
    expect(layout.display).toBe('a b[31mc');
    expect(layout.end).toEqual({ row: 0, col: 8 });
  });

  it('never wraps when the width is unknown', () => {
    expect(layoutText('x'.repeat(500), 0).end).toEqual({ row: 0, col: 500 });
  });
});

/** A terminal stand-in that records what is written to it. */
function fakeTerminal(columns: number): {
  out: { columns: number; write(chunk: string): boolean };
  take(): string;
} {
  let written = '';
  return {
    out: {
      columns,
      write(chunk) {
        written += chunk;
        return true;
      }
    },
    take() {
      const all = written;
      written = '';
      return all;
    }
  };
}

// Terminal output is checked as escape sequences here; test/integration/
// client-redraw.test.ts checks what a real terminal (tmux) shows.
describe('createInputView', () => {
  const UP = (n: number): string => `\x1b[${n}A`;
  const COLUMN = (n: number): string => `\x1b[${n}G`;
  const CLEAR_DOWN = '\x1b[0J';

  it('draws the prompt and the input with the cursor where readline has it', () => {
    const terminal = fakeTerminal(80);
    const input = { line: 'hello', cursor: 2 };
    createInputView(terminal.out, '> ', input).draw();
    expect(terminal.take()).toBe(
      `${COLUMN(1)}${CLEAR_DOWN}> hello${COLUMN(5)}`
    );
  });

  it('erases every row it drew, from the row the cursor is on', () => {
    const terminal = fakeTerminal(10);
    const input = { line: 'x'.repeat(20), cursor: 20 };
    const view = createInputView(terminal.out, '> ', input);
    view.draw();
    terminal.take();
    view.erase();
    expect(terminal.take()).toBe(`${UP(2)}${COLUMN(1)}${CLEAR_DOWN}`);
    view.erase();
    expect(terminal.take()).toBe('');
  });

  it('breaks the line after input that fills the last row, so the cursor can sit below it', () => {
    const terminal = fakeTerminal(10);
    const input = { line: 'x'.repeat(18), cursor: 18 };
    const view = createInputView(terminal.out, '> ', input);
    view.draw();
    expect(terminal.take()).toBe(
      `${COLUMN(1)}${CLEAR_DOWN}> ${'x'.repeat(18)}\r\n${COLUMN(1)}`
    );
    view.erase();
    expect(terminal.take()).toBe(`${UP(2)}${COLUMN(1)}${CLEAR_DOWN}`);
  });

  it('moves the cursor back up to where it is in wrapped input', () => {
    const terminal = fakeTerminal(10);
    const input = { line: '你'.repeat(10), cursor: 1 };
    createInputView(terminal.out, '> ', input).draw();
    expect(terminal.take()).toBe(
      `${COLUMN(1)}${CLEAR_DOWN}> ${'你'.repeat(10)}${UP(2)}${COLUMN(5)}`
    );
  });

  it('prints a server line where the input was and draws the input below it', () => {
    const terminal = fakeTerminal(80);
    const input = { line: 'hi', cursor: 2 };
    const view = createInputView(terminal.out, '> ', input);
    view.draw();
    terminal.take();
    view.printAbove('[You] there');
    expect(terminal.take()).toBe(
      `${COLUMN(1)}${CLEAR_DOWN}[You] there\r\n${COLUMN(1)}${CLEAR_DOWN}> hi${COLUMN(5)}`
    );
  });

  it('draws a new prompt from the next drawing on, its width counted in the wrap', () => {
    const terminal = fakeTerminal(10);
    const input = { line: 'abcd', cursor: 4 };
    const view = createInputView(terminal.out, '> ', input);
    view.draw();
    terminal.take();
    view.setPrompt('al@#dev> ');
    expect(terminal.take()).toBe('');
    view.printAbove('Now in #dev (1 user online)');
    // 9 + 4 columns: the input wraps after its first character.
    expect(terminal.take()).toBe(
      `${COLUMN(1)}${CLEAR_DOWN}Now in #dev (1 user online)\r\n` +
        `${COLUMN(1)}${CLEAR_DOWN}al@#dev> abcd${COLUMN(4)}`
    );
    view.erase();
    expect(terminal.take()).toBe(`${UP(1)}${COLUMN(1)}${CLEAR_DOWN}`);
  });
});
