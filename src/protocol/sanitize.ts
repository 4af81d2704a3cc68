import stripAnsi from 'strip-ansi';

// Terminated 8-bit string controls (DCS, SOS, OSC, PM, APC) with their
// payload: ST (8-bit or ESC \) or BEL ends them. strip-ansi knows only their
// 7-bit ESC forms. An unterminated one loses just its introducer below, which
// is enough: without it no terminal enters the string state. [CHAT-IN-2]
const C1_STRINGS =
  // eslint-disable-next-line no-control-regex -- matching them is the point
  /[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c\u001b]*(?:\u0007|\u009c|\u001b\\)/g;

// C0 except TAB, DEL, and C1. [CHAT-IN-2]
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

// Bidi embeddings, overrides and isolates: they could make another user's line
// display reversed. Also the Unicode line and paragraph separators, which some
// clients render as a line break. [CHAT-IN-6]
const FORMAT_CHARS = /[\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

// Printable ASCII and TAB: nothing below can match, so most lines skip it.
const PLAIN = /^[\t\u0020-\u007e]*$/;

/**
 * Removes what could drive a terminal or rearrange what it shows: whole ANSI
 * escape sequences first (so their parameters go too), 8-bit string controls
 * with their payload, then every remaining control character but TAB
 * (including a bare `\r`, which could return to the start of the line and
 * overwrite the server's prefix), and bidi controls. [CHAT-IN-2] [CHAT-IN-6]
 */
export function sanitizeText(text: string): string {
  if (PLAIN.test(text)) return text;
  return stripAnsi(text)
    .replace(C1_STRINGS, '')
    .replace(CONTROL_CHARS, '')
    .replace(FORMAT_CHARS, '');
}

/** True when a line has nothing to relay after sanitising. [CHAT-IN-3] */
export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}
