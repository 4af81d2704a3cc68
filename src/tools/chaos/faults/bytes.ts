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
 * `oversize`: a line of `bytes` bytes (over the 4096-byte limit), which must
 * not be relayed, then a normal line and a FIN, which must. [CHAT-IN-4]
 */
export const oversize: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  const cut = await c.cutLine(hugeLine(numberParam(ctx, 'bytes')), true);
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
function garbageLine(rng: Rng, size: number): Buffer {
  const bytes = garbage(rng, size);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
  return bytes;
}

/**
 * `garbage`: lines of hostile bytes; relayed text must be sanitised.
 * [CHAT-IN-1] [CHAT-IN-2] [CHAT-IN-6]
 */
export const garbageLines: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  const lines = numberParam(ctx, 'lines');
  const size = numberParam(ctx, 'bytes');
  let sent = 0;
  for (let i = 0; i < lines && !ctx.stopped; i++) {
    if ((await c.looseLine(garbageLine(ctx.rng, size))) !== null) sent += 1;
    await ctx.sleep(ctx.rng.int(5, 50));
  }
  if (sent === 0) return false;
  await finishAndWait(ctx, c, numberParam(ctx, 'holdMs'));
  return true;
};
