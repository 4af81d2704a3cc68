/**
 * Faults in what a client writes: lines cut in pieces, too many lines, a
 * line too long, and bytes that are not text.
 */
import { garbage, hugeLine } from '../../peers/payloads.js';
import {
  finishAndWait,
  numberParam,
  sayLines,
  type FaultBehaviour
} from './behaviour.js';
import type { Rng } from '../../peers/rng.js';

/**
 * `slicer`: each line written in 1-7 byte pieces with pauses, then a FIN;
 * every line must be relayed whole. [CHAT-WIRE-3]
 */
export const slicer: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  const lines = numberParam(ctx, 'lines');
  const maxDelayMs = numberParam(ctx, 'maxDelayMs');
  for (let i = 0; i < lines && !ctx.stopped; i++) {
    const text = await c.line(`sliced into pieces ${i}`, {
      slicedBy: ctx.rng,
      maxDelayMs
    });
    if (text !== null) c.owe(text);
  }
  if (ctx.stopped) return false;
  await finishAndWait(ctx, c, numberParam(ctx, 'holdMs'));
  return true;
};

/**
 * `flood`: `lines` lines at once, far above any sane rate; the client keeps
 * reading, stays for its hold, then resets (so a paced backlog is dropped).
 * [CHAT-IN-5]
 */
export const flood: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  await sayLines(ctx, c, numberParam(ctx, 'lines'), 'flood', () => 0);
  if (ctx.stopped) return false;
  await ctx.sleep(numberParam(ctx, 'holdMs'));
  c.peer.reset();
  return true;
};

/**
 * The largest oversized line over WebSocket: above it the WebSocket layer
 * refuses the whole message and closes (1009, [CHAT-WS-3]), another fault.
 */
export const MAX_WS_OVERSIZE_BYTES = 16_000;

/** True over `ws` and `wss`: the bytes travel as text messages. */
function overWebSocket(transport: string): boolean {
  return transport === 'ws' || transport === 'wss';
}

/**
 * `oversize`: a line of `bytes` bytes (over the 4096-byte limit), which must
 * not be relayed, then a normal line and a FIN, which must. [CHAT-IN-4]
 * Over WebSocket one message of at most `MAX_WS_OVERSIZE_BYTES`.
 */
export const oversize: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  const bytes = numberParam(ctx, 'bytes');
  const size = overWebSocket(ctx.transport)
    ? Math.min(bytes, MAX_WS_OVERSIZE_BYTES)
    : bytes;
  const cut = await c.cutLine(hugeLine(size), true);
  if (cut === null || ctx.stopped) return false;
  const text = await c.line('after a line too long');
  if (text !== null) c.owe(text);
  await finishAndWait(ctx, c, numberParam(ctx, 'holdMs'));
  return true;
};

/**
 * A garbage payload for one line: binary, NULs, invalid UTF-8, terminal
 * escapes, TLS and HTTP bytes, with its `\n`s turned into spaces.
 */
function garbageLine(rng: Rng, size: number, text: boolean): Buffer {
  const raw = garbage(rng, size);
  // A text message must be UTF-8 or the WebSocket layer closes it (1007,
  // [CHAT-WS-4]): as text, invalid sequences become U+FFFD here.
  const bytes = text ? Buffer.from(raw.toString('utf8')) : raw;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
  return bytes;
}

/**
 * `garbage`: lines of hostile bytes; relayed text must be sanitised.
 * [CHAT-IN-1] [CHAT-IN-2] [CHAT-IN-6] Over WebSocket: hostile but valid
 * UTF-8 text, then one binary message, which ends the connection (1003,
 * [CHAT-WS-4]) and must not be relayed.
 */
export const garbageLines: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  const lines = numberParam(ctx, 'lines');
  const size = numberParam(ctx, 'bytes');
  let sent = 0;
  for (let i = 0; i < lines && !ctx.stopped; i++) {
    const line = garbageLine(ctx.rng, size, overWebSocket(ctx.transport));
    if ((await c.looseLine(line)) !== null) sent += 1;
    await ctx.sleep(ctx.rng.int(5, 50));
  }
  if (sent === 0) return false;
  if (overWebSocket(ctx.transport) && !ctx.stopped)
    await c.peer.binary(garbage(ctx.rng, size));
  await finishAndWait(ctx, c, numberParam(ctx, 'holdMs'));
  return true;
};
