/**
 * The WebSocket close codes the server sends (RFC 6455 §7.4.1), each with
 * the disconnect reason as its close reason. docs/errors.md lists them.
 */
export const WS_CLOSE = Object.freeze({
  /** A normal end: `/quit`, or the peer's own close answered. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** A binary message: the protocol is text. [CHAT-WS-4] */
  unsupported: 1003,
  /** Invalid UTF-8 in a text message (sent by `ws` itself). [CHAT-WS-4] */
  invalidText: 1007,
  /** Slow consumer, idle timeout, too many connections from an address. */
  policy: 1008,
  /** A message over the hard message size. [CHAT-WS-3] */
  tooBig: 1009,
  /** A fault on our side, or the chat is unavailable. */
  internal: 1011,
  /** The server is full; try again later. [CHAT-LIMIT-1] */
  tryAgainLater: 1013
});

/** A close code and the reason sent with it. */
export interface CloseFrame {
  code: number;
  reason: string;
}

// RFC 6455 §5.5: a control frame's payload is at most 125 bytes, two of
// which are the code.
const MAX_REASON_BYTES = 123;

/** Cuts `text` to fit a close frame, on a code point, marking the cut with `…`. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_REASON_BYTES) return text;
  const points = [...text];
  // `…` is 3 bytes in UTF-8.
  while (Buffer.byteLength(points.join('')) > MAX_REASON_BYTES - 3)
    points.pop();
  return `${points.join('')}…`;
}

/** What ended a connection, as far as its transport knows. */
export type EndCause =
  'slow consumer' | 'idle timeout' | 'server shutdown' | null;

/**
 * The close frame for an end the connection asked for: the cause the
 * transport saw itself first, then the farewell line (an `Error:` line
 * means the server ended it: 1011), else a normal end.
 */
export function closeFrameFor(cause: EndCause, farewell?: string): CloseFrame {
  switch (cause) {
    case 'slow consumer':
    case 'idle timeout':
      return { code: WS_CLOSE.policy, reason: cause };
    case 'server shutdown':
      return { code: WS_CLOSE.goingAway, reason: cause };
    default:
      if (farewell === undefined)
        return { code: WS_CLOSE.normal, reason: 'bye' };
      return {
        code: WS_CLOSE.internal,
        reason: closeReason(farewell.replace(/^Error: /, ''))
      };
  }
}

/** Why a WebSocket peer broke the protocol: `/metrics` counts each. */
export type WsProtocolError =
  'binary message' | 'invalid utf-8' | 'message too big' | 'no pong' | 'other';

/** Every `WsProtocolError`, for the counters. */
export const WS_PROTOCOL_ERRORS: readonly WsProtocolError[] = [
  'binary message',
  'invalid utf-8',
  'message too big',
  'no pong',
  'other'
];

/**
 * The protocol error behind an error code a WebSocket connection reports,
 * or null when it is the network's (a reset), not the peer's protocol.
 */
export function wsProtocolError(code: string): WsProtocolError | null {
  switch (code) {
    case 'WS_BINARY_MESSAGE':
      return 'binary message';
    case 'WS_ERR_INVALID_UTF8':
      return 'invalid utf-8';
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return 'message too big';
    case 'WS_PONG_TIMEOUT':
      return 'no pong';
    default:
      return code.startsWith('WS_') ? 'other' : null;
  }
}
