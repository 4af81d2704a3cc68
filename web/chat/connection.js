// @ts-check
/**
 * The chat page's one connection: a WebSocket to the page's own origin
 * (the WebSocket listener serves the page and the chat on one port), one
 * text message per protocol line in both directions, reopened after it
 * is lost with capped exponential backoff and jitter, so a restarted
 * daemon is not met by every page at the same instant.
 */

/** First retry after about this long; each failed attempt doubles it. */
export const RETRY_BASE_MS = 500;
/** No retry waits longer than this. */
export const RETRY_CAP_MS = 10_000;

/**
 * How long to wait before reconnect attempt `attempt` (0 for the first):
 * half of the capped exponential step, plus up to the other half at
 * random ("equal jitter"), so waits still grow but pages spread out.
 *
 * @param {number} attempt
 * @param {() => number} [random] in [0, 1); `Math.random` by default
 */
export function retryDelay(attempt, random = Math.random) {
  const step = Math.min(
    RETRY_CAP_MS,
    RETRY_BASE_MS * 2 ** Math.min(attempt, 30)
  );
  return step / 2 + random() * (step / 2);
}

/** `ws://host/` or `wss://host/` for a page loaded from `location`. */
export function chatSocketUrl(/** @type {Location | URL} */ location) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/`;
}

/**
 * @typedef {'connecting' | 'online' | 'waiting'} ConnectionStatus
 * @typedef {{
 *   onLine(line: string): void,
 *   onStatus(status: ConnectionStatus, detail: { retryInMs?: number }): void
 * }} ConnectionHandlers
 * @typedef {{ send(line: string): boolean, stop(): void }} ChatConnection
 */

/**
 * Opens the connection and keeps it open: after every close it waits
 * `retryDelay(attempt)` and tries again. An attempt counts as a success,
 * resetting the backoff, once the socket opens.
 *
 * @param {string} url
 * @param {ConnectionHandlers} handlers
 * @returns {ChatConnection}
 */
export function connect(url, handlers) {
  /** @type {WebSocket | null} */
  let socket = null;
  let attempt = 0;
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;

  const open = () => {
    handlers.onStatus('connecting', {});
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      attempt = 0;
      handlers.onStatus('online', {});
    });
    ws.addEventListener('message', (event) => {
      // One message is one line; the server never sends binary frames.
      if (typeof event.data === 'string') handlers.onLine(event.data);
    });
    // 'error' is always followed by 'close'; retrying happens there once.
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      if (stopped) return;
      const wait = retryDelay(attempt);
      attempt += 1;
      handlers.onStatus('waiting', { retryInMs: wait });
      retry = setTimeout(open, wait);
    });
  };
  open();

  return {
    send(line) {
      if (socket === null || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(line);
      return true;
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
      socket?.close();
    }
  };
}
