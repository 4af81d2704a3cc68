import stripAnsi from 'strip-ansi';

// C0 except TAB, DEL, and C1. [CHAT-IN-2]
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Removes what could drive a terminal: whole ANSI escape sequences first (so
 * their parameters go too), then every remaining control character but TAB.
 * [CHAT-IN-2]
 */
export function sanitizeText(text: string): string {
  return stripAnsi(text).replace(CONTROL_CHARS, '');
}

/** True when a line has nothing to relay after sanitising. [CHAT-IN-3] */
export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}
