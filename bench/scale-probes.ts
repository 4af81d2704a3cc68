/**
 * What the idle-connection scale workload measures once everyone is
 * greeted (issue 19): one chat line fanned out to every idle connection,
 * and how long the admin listener takes to answer at that size.
 */
import { isArmed, isFanned, type ClientProcess } from './scale-process.js';
import type { ScaleClientFanOut } from './scale-client.js';

/** One chat line said by one idle connection, received by all of them. */
export interface FanOutProbe {
  /** Open connections that should have received it (the speaker's echo included). */
  recipients: number;
  received: number;
  /** From the write to the last arrival, or null when not all arrived. */
  seconds: number | null;
}

/** One admin request at the scale reached. */
export interface AdminTiming {
  /** The path asked for; `/events` is timed to its first `update`. */
  path: string;
  status: number;
  bytes: number;
  ms: number;
}

/** The admin requests timed: the page, its API, metrics and the live stream. */
export const ADMIN_PATHS = [
  '/',
  '/api/connections',
  '/api/rooms',
  '/metrics',
  '/events'
] as const;

/** Bound on one command round trip to a client process. */
const COMMAND_WAIT_MS = 15_000;
/** Bound on one admin request. */
const ADMIN_TIMEOUT_MS = 30_000;

interface Said {
  type: 'said';
  at: number | null;
}

function isSaid(value: unknown): value is Said {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'said'
  );
}

/**
 * Arms every client process, has the first one say the marked line from
 * one of its idle connections, and waits up to `timeoutMs` for every open
 * connection to receive it. Returns null when a client did not answer.
 */
export async function fanOutProbe(
  clients: readonly ClientProcess[],
  timeoutMs: number
): Promise<FanOutProbe | null> {
  const speaker = clients[0];
  if (speaker === undefined) return null;
  for (const client of clients)
    client.child.stdin?.write(`fanout ${timeoutMs}\n`);
  const armed = await Promise.all(
    clients.map((client) => client.next(COMMAND_WAIT_MS))
  );
  if (!armed.every(isArmed)) return null;
  speaker.child.stdin?.write('say\n');
  const said = await speaker.next(COMMAND_WAIT_MS);
  if (!isSaid(said) || said.at === null) return null;
  const answers = await Promise.all(
    clients.map((client) => client.next(timeoutMs + COMMAND_WAIT_MS))
  );
  const fanned = answers.filter(isFanned);
  if (fanned.length < clients.length) return null;
  return summarise(fanned, said.at);
}

/** The probe's numbers from the client processes' answers. */
export function summarise(
  fanned: readonly ScaleClientFanOut[],
  saidAt: number
): FanOutProbe {
  const recipients = fanned.reduce((n, f) => n + f.expected, 0);
  const received = fanned.reduce((n, f) => n + f.received, 0);
  const last = Math.max(...fanned.map((f) => f.lastAt ?? 0));
  return {
    recipients,
    received,
    seconds:
      received === recipients && recipients > 0
        ? Math.round(last - saidAt) / 1000
        : null
  };
}

/** Times one GET; `/events` until its first `update` frame has arrived. */
async function timeOne(port: number, path: string): Promise<AdminTiming> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ADMIN_TIMEOUT_MS);
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: controller.signal
    });
    let bytes = 0;
    if (path === '/events' && res.body !== null) {
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        text += decoder.decode(chunk, { stream: true });
        if (text.includes('event: update')) break;
      }
    } else bytes = (await res.arrayBuffer()).byteLength;
    return {
      path,
      status: res.status,
      bytes,
      ms: Math.round((performance.now() - started) * 10) / 10
    };
  } catch {
    return { path, status: 0, bytes: 0, ms: ADMIN_TIMEOUT_MS };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Times each of ADMIN_PATHS once, one after the other. */
export async function adminProbe(port: number): Promise<AdminTiming[]> {
  const timings: AdminTiming[] = [];
  for (const path of ADMIN_PATHS) timings.push(await timeOne(port, path));
  return timings;
}
