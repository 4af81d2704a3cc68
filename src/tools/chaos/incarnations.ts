/**
 * Addresses the server shows more than once in a run. The kernel may give a
 * closed connection's local port to a later one (always after a reset), so
 * over a long run two faulty clients can share `IP:PORT`. The transcript
 * checker assumes each address joins once; here the 2nd, 3rd… connection
 * under an address is renamed `[IP%reuse2]:PORT` (still an address to
 * parseRoomLine) in every transcript, consistently with the reference.
 */
import { parseRoomLine } from '../peers/room-line.js';
import type { Transcript } from '../peers/transcript.js';
import { OWN_PREFIX } from '../../protocol/format.js';

/** The name of the `k`-th connection (1-based) shown as `addr`. */
export function incarnationName(addr: string, k: number): string {
  if (k <= 1) return addr;
  const match = /^(?:\[(.+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (match === null) return addr;
  const [, v6, v4, port = ''] = match;
  const ip = v6 ?? v4 ?? '';
  // An IPv6 zone (`fe80::1%eth0`) already holds the one `%` allowed.
  const tagged = ip.includes('%') ? `${ip}-reuse${k}` : `${ip}%reuse${k}`;
  return `[${tagged}]:${port}`;
}

/**
 * Renames every address in `t`'s lines by incarnation. `start` counts the
 * joins of each address the room ordered before `t` joined (empty for an
 * observer that joined before any fault); `ownName` is `t`'s own new name.
 */
export function renameTranscript(
  t: Transcript,
  start: ReadonlyMap<string, number>,
  ownName: string
): Transcript {
  const joins = new Map(start);
  const lines = t.lines.map((line) => {
    const parsed = parseRoomLine(line, t.addr);
    if (
      parsed.kind !== 'join' &&
      parsed.kind !== 'leave' &&
      parsed.kind !== 'message'
    )
      return line;
    if (parsed.kind === 'message' && line.startsWith(OWN_PREFIX)) return line;
    if (parsed.kind === 'join')
      joins.set(parsed.addr, (joins.get(parsed.addr) ?? 0) + 1);
    const k = Math.max(1, joins.get(parsed.addr) ?? 0);
    // The address is the first thing after the line's fixed prefix.
    return k === 1
      ? line
      : line.replace(parsed.addr, incarnationName(parsed.addr, k));
  });
  return { addr: ownName, lines, stayed: t.stayed };
}

/**
 * Where the reference saw `addr` join for the `k`-th time, and how many
 * joins of each address came before: the `start` of a transcript that
 * began there. Undefined when the reference never saw that join.
 */
export function joinsBefore(
  reference: Transcript,
  addr: string,
  k: number
): Map<string, number> | undefined {
  const joins = new Map<string, number>();
  for (const line of reference.lines) {
    const parsed = parseRoomLine(line, reference.addr);
    if (parsed.kind !== 'join') continue;
    const n = (joins.get(parsed.addr) ?? 0) + 1;
    if (parsed.addr === addr && n === k) return joins;
    joins.set(parsed.addr, n);
  }
  return undefined;
}
