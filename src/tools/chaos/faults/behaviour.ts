/** What every fault behaviour is, and small helpers they share. */
import type { FaultContext, FaultyConnection } from '../faulty.js';

/**
 * One named faulty behaviour: acts through `ctx` and resolves true once the
 * fault was carried out (false when a bound or the end of the run stopped
 * it first). Never rejects.
 */
export type FaultBehaviour = (ctx: FaultContext) => Promise<boolean>;

/** A number setting of the action (0 when missing). */
export function numberParam(ctx: FaultContext, name: string): number {
  const value = ctx.action.params[name];
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** A text setting of the action ('' when missing). */
export function textParam(ctx: FaultContext, name: string): string {
  const value = ctx.action.params[name];
  return value === undefined ? '' : String(value);
}

/** How long a client that half-closed waits for the server to close. */
const CLOSE_WAIT_MS = 2000;

/** Half-closes and waits (bounded) until the server closes too. */
export async function finishAndWait(
  ctx: FaultContext,
  c: FaultyConnection,
  waitMs = CLOSE_WAIT_MS
): Promise<void> {
  c.finish();
  await Promise.race([c.peer.closed, ctx.sleep(waitMs)]);
}

/** Sends `count` lines `HEAD label`, `gap()` ms apart; returns the texts sent. */
export async function sayLines(
  ctx: FaultContext,
  c: FaultyConnection,
  count: number,
  label: string,
  gap: () => number
): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < count && !ctx.stopped; i++) {
    const text = await c.line(label);
    if (text !== null) texts.push(text);
    if (i < count - 1) await ctx.sleep(gap());
  }
  return texts;
}
