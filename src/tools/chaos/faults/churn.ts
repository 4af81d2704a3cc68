/** `churn`: a storm of connections that come and go. */
import { numberParam, type FaultBehaviour } from './behaviour.js';

/** Connections a storm has open at once. */
const WAVE = 8;
/** How long a storm connection waits for its greeting or its close. */
const WAIT_MS = 2000;

/** How one storm connection behaves, drawn before any of them connects. */
interface StormPlan {
  /** Leaves before its greeting arrived. */
  early: boolean;
  ending: 'fin' | 'reset';
  holdMs: number;
}

/**
 * `churn`: `connections` connections in waves of up to eight, each leaving
 * by FIN or RST, before or after its greeting; counts in notices must stay
 * consistent. [CHAT-COUNT-2] [CHAT-ORDER-4]
 */
export const churn: FaultBehaviour = async (ctx) => {
  const count = numberParam(ctx, 'connections');
  // Drawn up front: the waves run concurrently, the draws must not.
  const plans: StormPlan[] = Array.from({ length: count }, () => ({
    early: ctx.rng.chance(0.25),
    ending: ctx.rng.chance(0.5) ? 'fin' : 'reset',
    holdMs: ctx.rng.int(0, 150)
  }));
  let opened = 0;
  const one = async (plan: StormPlan, j: number): Promise<void> => {
    const c = await ctx.connect({ tag: `f${ctx.action.client}c${j}` });
    if (c === null) return;
    opened += 1;
    if (!plan.early) {
      await c.greeting(WAIT_MS);
      await ctx.sleep(plan.holdMs);
    }
    if (plan.ending === 'fin') c.finish();
    else c.peer.reset();
    await Promise.race([c.peer.closed, ctx.sleep(WAIT_MS)]);
  };
  for (let start = 0; start < plans.length && !ctx.stopped; start += WAVE) {
    await Promise.all(
      plans.slice(start, start + WAVE).map((plan, k) => one(plan, start + k))
    );
  }
  return opened > 0;
};
