import stringWidth from 'string-width';

/** A place on the screen, counted from the first row of some drawn text. */
export interface ScreenPosition {
  readonly row: number;
  /**
   * The column, from 0. It equals the terminal's width right after a row was
   * filled to its last column: terminals then keep the cursor on that column
   * (the deferred-wrap state) until the next character moves it on.
   */
  readonly col: number;
}

/** Text laid out as a terminal draws it, grapheme by grapheme. */
export interface TextLayout {
  /** What to write: control characters dropped, a TAB shown as a space. */
  readonly display: string;
  /** Where the cursor is after writing `display` from column 0. */
  readonly end: ScreenPosition;
  /**
   * Where the cursor shows when it is before the character at UTF-16 index
   * `index` of the text (or at its end): that character's first cell, which
   * for a wide character that did not fit on its row is on the next one.
   */
  at(index: number): ScreenPosition;
}

interface Cell {
  /** UTF-16 index of the grapheme in the text. */
  readonly index: number;
  /** Where the grapheme is drawn. */
  readonly start: ScreenPosition;
}

// C0, DEL and C1: they would move the cursor, not draw a character.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The columns one grapheme cluster takes: string-width's answer (East Asian
 * width, emoji presentation, zero-width joiners and marks), 1 for a TAB we
 * show as a space, 0 for other control characters, which we do not draw.
 */
function graphemeWidth(grapheme: string): { text: string; width: number } {
  if (grapheme === '\t') return { text: ' ', width: 1 };
  if (CONTROL.test(grapheme)) return { text: '', width: 0 };
  return { text: grapheme, width: stringWidth(grapheme) };
}

/**
 * Lays `text` out on a terminal `columns` wide (0 or less: unknown, never
 * wraps), the way terminals wrap: a character that does not fit on the rest
 * of a row (a wide one at the last column) starts the next row, and a row
 * filled to the last column leaves the cursor there (col === columns) until
 * the next character. Widths are display columns, not code points.
 */
export function layoutText(text: string, columns: number): TextLayout {
  const width = columns > 0 ? columns : Infinity;
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const cells: Cell[] = [];
  let display = '';
  let row = 0;
  let col = 0;
  for (const { segment, index } of segmenter.segment(text)) {
    const shown = graphemeWidth(segment);
    if (shown.width > 0 && col + shown.width > width) {
      row += 1;
      col = 0;
    }
    cells.push({ index, start: { row, col } });
    display += shown.text;
    col += shown.width;
  }
  const end: ScreenPosition = { row, col };
  // A cursor in the deferred-wrap spot shows at the start of the next row.
  const shown = (p: ScreenPosition): ScreenPosition =>
    p.col >= width ? { row: p.row + 1, col: 0 } : p;
  return {
    display,
    end,
    at(index) {
      // The first grapheme at or after `index` (a cursor is never inside one).
      const cell = cells.find((c) => c.index >= index);
      return shown(cell === undefined ? end : cell.start);
    }
  };
}
