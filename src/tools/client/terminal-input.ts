import { layoutText } from './terminal-width.js';

/** What is being typed: a readline interface's `line` and `cursor`. */
export interface InputLine {
  readonly line: string;
  /** UTF-16 index of the cursor in `line`. */
  readonly cursor: number;
}

/** Where the view draws; `columns` 0 or missing means unknown (no wrapping). */
export interface TerminalOut {
  write(chunk: string): unknown;
  readonly columns?: number;
}

/**
 * The prompt and the partly typed line at the bottom of a terminal, drawn by
 * us rather than by readline: readline tracks the rows it drew in code points
 * and skips its own bookkeeping for input that arrives in one chunk (a paste,
 * `tmux send-keys`), so redrawing around server lines left stale rows.
 * This view remembers which row of its drawing the cursor is on, so it can
 * always erase exactly what it drew.
 */
export interface InputView {
  /** Erases the prompt and the input, then draws them as they are now. */
  draw(): void;
  /** Erases the prompt and the input; the cursor ends at the start of their first row. */
  erase(): void;
  /** Prints `line` where the prompt was, then draws the prompt below it. */
  printAbove(line: string): void;
  /** Forgets what was drawn (the screen was cleared); nothing is erased. */
  forget(): void;
  /**
   * Sets the prompt the next drawing shows (the room or name changed);
   * its width counts in the layout as the input's does.
   */
  setPrompt(prompt: string): void;
}

const CSI = '\x1b[';
const up = (rows: number): string => (rows > 0 ? `${CSI}${rows}A` : '');
const toColumn = (col: number): string => `${CSI}${col + 1}G`;
const CLEAR_DOWN = `${CSI}0J`;

/**
 * Creates the view that draws `prompt` (until setPrompt) and `input` on `out`.
 *
 * ```
 * > the first row of a long line that fills the whole ro   <- row 0
 * w and goes on here|                                      <- cursor row 1
 * ```
 * A drawing that ends exactly at the last column gets a line break, so the
 * cursor can sit at the start of the next row (terminals would otherwise keep
 * it on the last column, in the deferred-wrap state, and the next erase
 * would miss a row). Every drawing ends with an explicit cursor move.
 */
export function createInputView(
  out: TerminalOut,
  prompt: string,
  input: InputLine
): InputView {
  let drawn = false;
  let cursorRow = 0;
  let shownPrompt = prompt;

  function erase(): void {
    if (!drawn) return;
    out.write(`${up(cursorRow)}${toColumn(0)}${CLEAR_DOWN}`);
    drawn = false;
    cursorRow = 0;
  }

  function draw(): void {
    erase();
    const layout = layoutText(`${shownPrompt}${input.line}`, out.columns ?? 0);
    const columns = out.columns ?? 0;
    let endRow = layout.end.row;
    let text = `${toColumn(0)}${CLEAR_DOWN}${layout.display}`;
    if (columns > 0 && layout.end.col >= columns) {
      text += '\r\n';
      endRow += 1;
    }
    const cursor = layout.at(shownPrompt.length + input.cursor);
    out.write(`${text}${up(endRow - cursor.row)}${toColumn(cursor.col)}`);
    drawn = true;
    cursorRow = cursor.row;
  }

  return {
    draw,
    erase,
    printAbove(line) {
      erase();
      // `\r` first: a line that fills its last row leaves the cursor there.
      out.write(`${line}\r\n`);
      draw();
    },
    forget() {
      drawn = false;
      cursorRow = 0;
    },
    setPrompt(next) {
      shownPrompt = next;
    }
  };
}
