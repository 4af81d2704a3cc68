/**
 * Faults in how a client uses its stream: it resets, half-closes, never
 * reads, or reads at a trickle.
 */
import {
  finishAndWait,
  numberParam,
  sayLines,
  textParam,
  type FaultBehaviour
} from './behaviour.js';

/**
 * `reset`: a few lines, then an RST either in the middle of a line (the cut
 * line must never be relayed [CHAT-WIRE-3]) or right after a line, while the
 * server is writing back.
 */
export const reset: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  await sayLines(ctx, c, numberParam(ctx, 'lines'), 'before a reset', () =>
    ctx.rng.int(5, 50)
  );
  if (ctx.stopped) return false;
  if (textParam(ctx, 'mode') === 'mid-line') {
    await c.cutLine(Buffer.from('cut off by a reset'));
    await ctx.sleep(ctx.rng.int(5, 50));
  } else {
    await c.line('just before a reset');
  }
  c.peer.reset();
  return true;
};

/**
 * `half-close`: a few lines, then a FIN; the server must still relay them
 * and then close.
 */
export const halfClose: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  await c.greeting();
  const texts = await sayLines(
    ctx,
    c,
    numberParam(ctx, 'lines'),
    'then FIN',
    () => ctx.rng.int(5, 50)
  );
  if (ctx.stopped) return false;
  for (const text of texts) c.owe(text);
  await finishAndWait(ctx, c, numberParam(ctx, 'holdMs'));
  return true;
};

/**
 * `stall`: never reads a byte (not even the greeting), sends a line or two,
 * and stays until its hold ends.
 */
export const stall: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  c.peer.stopReading();
  await sayLines(ctx, c, numberParam(ctx, 'lines'), 'never reading', () =>
    ctx.rng.int(5, 50)
  );
  if (ctx.stopped) return false;
  await ctx.sleep(numberParam(ctx, 'holdMs'));
  c.peer.reset();
  return true;
};

/** How long each trickle of reading lasts. */
const TRICKLE_MS = 5;

/**
 * `slow`: reads for a few ms every `readEveryMs`, so the server's writes to
 * it back up, and stays until its hold ends.
 */
export const slow: FaultBehaviour = async (ctx) => {
  const c = await ctx.connect();
  if (c === null) return false;
  c.peer.stopReading();
  await sayLines(ctx, c, numberParam(ctx, 'lines'), 'reading slowly', () =>
    ctx.rng.int(5, 50)
  );
  if (ctx.stopped) return false;
  const every = Math.max(1, numberParam(ctx, 'readEveryMs'));
  const rounds = Math.ceil(numberParam(ctx, 'holdMs') / every);
  for (let i = 0; i < rounds && !ctx.stopped; i++) {
    await ctx.sleep(every);
    c.peer.resumeReading();
    await ctx.sleep(TRICKLE_MS);
    c.peer.stopReading();
  }
  c.peer.reset();
  return true;
};
