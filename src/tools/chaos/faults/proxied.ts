/**
 * Faults on the server's side of the pipe, through a chaos proxy: latency
 * and a blackhole. The server sees the proxy's address, not the client's.
 */
import type { ProxyMode } from '../proxy.js';
import {
  finishAndWait,
  numberParam,
  sayLines,
  textParam,
  type FaultBehaviour
} from './behaviour.js';

/** Gaps between proxied lines: under any flood pacing. */
const GAP_MS: readonly [number, number] = [150, 400];

/**
 * `latency`: a client that chats through a proxy delaying every chunk each
 * way, then half-closes.
 */
export const latency: FaultBehaviour = async (ctx) => {
  const proxy = await ctx.proxy({
    kind: 'latency',
    delayMs: numberParam(ctx, 'delayMs'),
    jitterMs: numberParam(ctx, 'jitterMs')
  });
  if (proxy === null) return false;
  const c = await ctx.connect({ via: proxy });
  if (c === null) return false;
  await c.greeting();
  await sayLines(ctx, c, numberParam(ctx, 'lines'), 'delayed', () =>
    ctx.rng.int(...GAP_MS)
  );
  if (ctx.stopped) return false;
  await ctx.sleep(numberParam(ctx, 'holdMs'));
  await finishAndWait(ctx, c);
  return true;
};

function direction(
  raw: string
): Extract<ProxyMode, { kind: 'blackhole' }>['direction'] {
  return raw === 'to-server' || raw === 'to-client' ? raw : 'both';
}

/**
 * `blackhole`: a client whose bytes one way (or both) vanish after
 * `afterMs`, while the connection stays open until its hold ends.
 */
export const blackhole: FaultBehaviour = async (ctx) => {
  const afterMs = numberParam(ctx, 'afterMs');
  const proxy = await ctx.proxy({
    kind: 'blackhole',
    afterMs,
    direction: direction(textParam(ctx, 'direction'))
  });
  if (proxy === null) return false;
  const c = await ctx.connect({ via: proxy });
  if (c === null) return false;
  await c.greeting(Math.max(afterMs, 1000));
  await sayLines(ctx, c, numberParam(ctx, 'lines'), 'into the dark', () =>
    ctx.rng.int(...GAP_MS)
  );
  if (ctx.stopped) return false;
  await ctx.sleep(numberParam(ctx, 'holdMs'));
  return true;
};
