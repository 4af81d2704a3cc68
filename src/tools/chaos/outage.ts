/**
 * The lines a cluster daemon sends while its Redis is out of reach
 * (docs/cluster.md, docs/protocol.md [CLUSTER-2]): known server lines, not
 * framing violations, and a line the server told its author it did not (or
 * may not have) relayed is not lost.
 */
import { OWN_PREFIX } from '../../protocol/format.js';

/** Redis is out of reach: to every member, and to a newcomer (then closed). */
export const UNAVAILABLE = 'Error: chat is temporarily unavailable';
/** A line sent during the outage: not relayed. */
export const NOT_SENT = `${UNAVAILABLE}; your message was not sent`;
/** A line sent just before it that the log lost: perhaps not relayed. */
export const MAY_NOT_HAVE_REACHED =
  'Error: chat was temporarily unavailable; your message may not have reached everyone';
/** Redis answers again. */
export const AVAILABLE_AGAIN = 'Chat is available again';

/**
 * The texts an author must see relayed: `sent` without as many of those
 * never echoed back to it (`[You] …`, in `lines`) as it got errors saying a
 * line was not (or may not have been) relayed, earliest first. The errors
 * do not say which line they answer; the count bounds what is excused.
 */
export function owedTexts(
  lines: readonly string[],
  sent: readonly string[]
): string[] {
  let excused = lines.filter(
    (line) => line === NOT_SENT || line === MAY_NOT_HAVE_REACHED
  ).length;
  if (excused === 0) return [...sent];
  const echoed = new Map<string, number>();
  for (const line of lines) {
    if (!line.startsWith(OWN_PREFIX)) continue;
    const text = line.slice(OWN_PREFIX.length);
    echoed.set(text, (echoed.get(text) ?? 0) + 1);
  }
  return sent.filter((text) => {
    const left = echoed.get(text) ?? 0;
    echoed.set(text, left - 1);
    if (left > 0 || excused === 0) return true;
    excused -= 1;
    return false;
  });
}
