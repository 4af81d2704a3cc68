import type { Daemon } from '../../src/app/daemon.js';
import { pollUntil } from './daemon.js';

/** Timers pending in this process right now, as Node counts them. */
export function activeTimers(): number {
  return process
    .getActiveResourcesInfo()
    .filter((resource) => resource === 'Timeout').length;
}

/**
 * Invariant I4: once every client is gone, the daemon holds nothing for any
 * connection (no actor but the room, no member, no subscription to the
 * broadcast, no socket) and no timer is left pending beyond `timersBefore`
 * (taken with `activeTimers()` before the scenario started).
 */
export async function expectNoLeaks(
  daemon: Daemon,
  timersBefore: number,
  timeoutMs = 10_000
): Promise<void> {
  await pollUntil(
    () => {
      const s = daemon.stats();
      return (
        s.actors === 1 &&
        s.connections === 0 &&
        s.members === 0 &&
        s.feeds === 0 &&
        s.sockets === 0
      );
    },
    'the daemon holds nothing for any connection',
    timeoutMs,
    () => JSON.stringify(daemon.stats())
  );
  await pollUntil(
    () => activeTimers() <= timersBefore,
    `pending timers are back to ${timersBefore}`,
    timeoutMs,
    () =>
      `${activeTimers()} pending: ${process.getActiveResourcesInfo().join(', ')}`
  );
}
