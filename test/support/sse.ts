/**
 * HTTP helpers for the admin listener's tests: one plain request, and a
 * Server-Sent Events reader (`/events`) that parses `event:`/`data:` frames
 * itself. Node's `http` only, each request on its own socket (no agent), so
 * closing a stream closes its connection.
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage
} from 'node:http';

/** A whole HTTP reply. */
export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How to send one request. */
export interface RequestOptions {
  /** Default `GET`. */
  readonly method?: string;
  /** Sent as given; a `host` here replaces the one made from the URL. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default 5000 ms for the whole reply. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Sends the request and resolves once it has the reply, headers first. */
function send(
  url: string | URL,
  options: RequestOptions
): Promise<{ res: IncomingMessage; abort: () => void }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(
          `${options.method ?? 'GET'} ${String(url)}: no reply within ${timeoutMs} ms`
        )
      );
    }, timeoutMs);
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve({ res, abort: () => req.destroy() });
    });
    req.end();
  });
}

/**
 * One HTTP request to the admin listener; resolves with status, headers and
 * the whole body, or rejects after `timeoutMs`.
 *
 * @example
 * const reply = await request(`${admin.url}healthz`, { method: 'HEAD' });
 */
export async function request(
  url: string | URL,
  options: RequestOptions = {}
): Promise<HttpReply> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  const { res, abort } = await send(url, options);
  const left = Math.max(1, timeoutMs - (performance.now() - started));
  return new Promise((resolve, reject) => {
    let body = '';
    const timer = setTimeout(() => {
      abort();
      reject(
        new Error(`${String(url)}: body not complete within ${timeoutMs} ms`)
      );
    }, left);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    res.once('end', () => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
    });
  });
}

/** One dispatched SSE event. */
export interface SseFrame {
  /** `message` when the frame named none. */
  readonly event: string;
  /** The `data:` lines joined by `\n`. */
  readonly data: string;
  /** When it was parsed (performance.now()). */
  readonly at: number;
}

/** An open `/events` (or any) response, read as Server-Sent Events. */
export interface SseStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Everything received so far, as text. */
  text(): string;
  /** Every frame dispatched so far, in order. */
  readonly frames: readonly SseFrame[];
  /** Comment lines (`: ping`), without the colon. */
  readonly comments: readonly string[];
  /** The last `retry:` value, if any. */
  retry(): number | null;
  /** The parsed data of every frame of `event` so far. */
  all<T>(event: string): T[];
  /**
   * The parsed data of the next frame of `event` that `match` accepts,
   * looking past the frames earlier `next` calls returned; rejects if the
   * stream ends or `timeoutMs` (default 5000) passes first, saying what came.
   */
  next<T>(
    event: string,
    match?: (data: T) => boolean,
    timeoutMs?: number
  ): Promise<T>;
  /** Resolves when the response has ended or the connection closed. */
  readonly ended: Promise<void>;
  /** Stops reading from the socket; the kernel buffers then fill. */
  pause(): void;
  /** Closes the connection. */
  close(): void;
}

/**
 * Opens `url` and resolves once the status line and headers are in; then
 * parses the body as an event stream while it lasts. A non-200 reply
 * resolves too: read its `status` and `text()`. Registers nothing: the
 * caller closes the stream (normally from a cleanups list).
 *
 * @example
 * const events = await openSse(`${admin.url}events?interval=100`);
 * const hello = await events.next<{ startedAt: number }>('hello');
 */
export async function openSse(
  url: string | URL,
  options: Omit<RequestOptions, 'method'> = {}
): Promise<SseStream> {
  const { res, abort } = await send(url, options);
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  const wakers = new Set<() => void>();
  let raw = '';
  let partial = '';
  let retry: number | null = null;
  let event = '';
  let data: string[] = [];
  let done = false;
  let cursor = 0;

  const line = (text: string): void => {
    if (text === '') {
      if (data.length > 0) {
        frames.push({
          event: event === '' ? 'message' : event,
          data: data.join('\n'),
          at: performance.now()
        });
      }
      event = '';
      data = [];
      return;
    }
    const colon = text.indexOf(':');
    if (colon === 0) {
      comments.push(text.slice(1).trimStart());
      return;
    }
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };
  const wake = (): void => {
    for (const waker of [...wakers]) waker();
  };

  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    raw += chunk;
    const lines = (partial + chunk).split(/\r\n|\r|\n/);
    partial = lines.pop() ?? '';
    for (const text of lines) line(text);
    wake();
  });
  const ended = new Promise<void>((resolve) => {
    const finish = (): void => {
      done = true;
      wake();
      resolve();
    };
    res.once('end', finish);
    res.once('close', finish);
    res.once('error', finish);
  });

  const parse = <T>(frame: SseFrame): T => JSON.parse(frame.data) as T;

  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    text: () => raw,
    frames,
    comments,
    retry: () => retry,
    all: <T>(name: string) =>
      frames.filter((f) => f.event === name).map((f) => parse<T>(f)),
    next: <T>(
      name: string,
      match: (value: T) => boolean = () => true,
      timeoutMs = DEFAULT_TIMEOUT_MS
    ) =>
      new Promise<T>((resolve, reject) => {
        const check = (): void => {
          for (; cursor < frames.length; cursor += 1) {
            const frame = frames[cursor] as SseFrame;
            if (frame.event !== name) continue;
            const value = parse<T>(frame);
            if (match(value)) {
              cursor += 1;
              stop();
              resolve(value);
              return;
            }
          }
          if (done) {
            stop();
            reject(new Error(`stream ended before the ${name} awaited`));
          }
        };
        const stop = (): void => {
          clearTimeout(timer);
          wakers.delete(check);
        };
        const timer = setTimeout(() => {
          stop();
          const last = frames
            .slice(-3)
            .map((f) => `${f.event}: ${f.data.slice(0, 600)}`);
          reject(
            new Error(
              `no matching ${name} within ${timeoutMs} ms (${frames.length} frames; last: ${last.join(' | ')})`
            )
          );
        }, timeoutMs);
        wakers.add(check);
        check();
      }),
    ended,
    pause: () => res.pause(),
    close: abort
  };
}
