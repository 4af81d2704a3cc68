/**
 * The name and private-line invariants of protocol v2, checked from what
 * each connection received and typed (docs/chaos.md, "Deterministic
 * replay"):
 * - names: no two connections ever hold one name, compared without case;
 *   a name is refused as taken only while someone else holds it, so it is
 *   free once its holder renames or its connection is gone [CHAT-NICK-1];
 * - private: a private line reaches only the connection holding its
 *   target's name, once, never as a room line, after everything that
 *   connection was already sent; a sender told it went out is not lied to
 *   (a target that stayed has it), and `no such user` only when nobody
 *   held the name [CHAT-CMD-MSG].
 */
import { nameKey } from '../../protocol/command.js';
import type { ReplayConnection, ReplayResult, Typed } from './harness.js';
import type { V2Line } from './v2-line.js';

/**
 * One connection's hold of one name, in ticks: from its rename to its next
 * rename or its leave. Transcripts do not always show the leave (nobody
 * may see it, nor the leaver if it stopped reading), so the end is known
 * as a range: held at least until `sure` (the last line it received as
 * that name; for good if it stayed, every `/nick` answered), at most until `to` (its `/quit` notice, or the tick by which
 * its connection was gone).
 */
interface Hold {
  readonly conn: ReplayConnection;
  readonly name: string;
  readonly from: number;
  sure: number;
  to: number;
}

const at = (c: ReplayConnection, i: number): string =>
  `${c.addr} line ${i + 1} "${c.lines[i]}"`;
/** `h` may hold `key` at `tick`. */
const holds = (h: Hold, key: string, tick: number): boolean =>
  nameKey(h.name) === key && h.from <= tick && tick <= h.to;
/** `h` surely holds `key` at `tick`. */
const surelyHolds = (h: Hold, key: string, tick: number): boolean =>
  nameKey(h.name) === key && h.from <= tick && tick <= h.sure;

/** When each connection's `/quit` notice was sent, by address. */
function quitTicks(
  lines: ReadonlyMap<ReplayConnection, readonly V2Line[]>
): Map<string, number> {
  const quits = new Map<string, number>();
  for (const [conn, parsed] of lines)
    parsed.forEach((line, i) => {
      if (line.kind === 'leave' && line.reason !== null)
        quits.set(line.addr, conn.ticks[i] ?? Infinity);
    });
  return quits;
}

/**
 * The holds, read off each connection's own renames, and its refusals.
 * Each `/nick` gets one answer, in the order typed: its rename, or one
 * `Error:` line. A `/nick` whose answer its connection never read (it
 * stopped reading) may have been granted: it counts as a hold from when it
 * was typed that is never sure.
 */
function readHolds(lines: ReadonlyMap<ReplayConnection, readonly V2Line[]>) {
  const all: Hold[] = [];
  const taken: { conn: ReplayConnection; name: string; line: number }[] = [];
  const quits = quitTicks(lines);
  for (const [conn, parsed] of lines) {
    const gone = Math.min(
      conn.closedAt ?? Infinity,
      quits.get(conn.addr) ?? Infinity
    );
    const asked = conn.typed.filter((t) => t.line.startsWith('/nick '));
    let answered = 0;
    let current: Hold | null = null;
    for (const [i, line] of parsed.entries()) {
      const tick = conn.ticks[i] ?? -1;
      if (current !== null) current.sure = tick;
      const name = asked[answered]?.line.slice('/nick '.length);
      if (line.kind === 'error' && / known as | is taken$/.test(line.text)) {
        answered += 1;
        if (line.text.startsWith('nickname '))
          taken.push({ conn, name: line.text.split(' ')[1] ?? '', line: i });
      }
      const me = current?.name ?? conn.addr;
      if (line.kind !== 'rename' || line.old !== me || line.name !== name)
        continue;
      answered += 1;
      // Within one tick its lines are not ordered against others': the
      // old name is surely held only until the tick before.
      if (current !== null)
        Object.assign(current, { to: tick, sure: tick - 1 });
      current = { conn, name: line.name, from: tick, sure: tick, to: gone };
      all.push(current);
    }
    if (current !== null) {
      const { from } = current;
      // It read all it was sent and is still there: it holds its name still.
      if (conn.stayed && answered === asked.length) current.sure = Infinity;
      // A rename or quit it typed and never saw answered may have ended the
      // hold as soon as it was typed, whatever it received after that.
      const ending = conn.typed.find(
        (t) =>
          (t.line.startsWith('/quit') && t.tick >= from) ||
          t === asked[answered]
      );
      if (ending !== undefined)
        current.sure = Math.min(current.sure, ending.tick - 1);
    }
    for (const { line, tick } of asked.slice(answered)) {
      const name = line.slice('/nick '.length);
      all.push({ conn, name, from: tick, sure: tick - 1, to: gone });
    }
  }
  return { all, taken };
}

/** Names: one holder at a time; refused only while held. */
function checkNames(
  lines: ReadonlyMap<ReplayConnection, readonly V2Line[]>,
  out: string[]
): Hold[] {
  const { all, taken } = readHolds(lines);
  for (const a of all)
    for (const b of all) {
      if (a.conn === b.conn || nameKey(a.name) !== nameKey(b.name)) continue;
      // Only holds a transcript shows: b's rename, within a's.
      if (b.sure >= b.from && a.from <= b.from && b.from < a.sure)
        out.push(
          `names: ${b.conn.addr} took ${b.name} at tick ${b.from} while ${a.conn.addr} held ${a.name} (ticks ${a.from}-${a.sure})`
        );
    }
  for (const { conn, name, line } of taken) {
    const tick = conn.ticks[line] ?? -1;
    const key = nameKey(name);
    if (!all.some((h) => h.conn !== conn && holds(h, key, tick)))
      out.push(`names: ${name} was free, yet ${at(conn, line)}`);
  }
  return all;
}

/** Private lines: to their target alone, once, in order, as promised. */
function checkPrivate(
  r: ReplayResult,
  lines: ReadonlyMap<ReplayConnection, readonly V2Line[]>,
  all: readonly Hold[],
  out: string[]
): void {
  const received = new Map<string, number>();
  const privates = new Map<string, Typed>();
  for (const c of r.connections)
    for (const t of c.typed)
      if (t.text !== undefined && t.line.startsWith('/msg '))
        privates.set(t.text, t);
  for (const [conn, parsed] of lines)
    parsed.forEach((line, i) => {
      const inRoom =
        line.kind === 'own' || line.kind === 'relayed' || line.kind === 'act';
      if (inRoom && privates.has(line.text))
        out.push(`private: a private text as a room line: ${at(conn, i)}`);
      if (line.kind !== 'privateIn') return;
      received.set(line.text, (received.get(line.text) ?? 0) + 1);
      const tick = conn.ticks[i] ?? -1;
      const sent = privates.get(line.text);
      if (sent === undefined) {
        out.push(`private: nobody sent ${at(conn, i)}`);
        return;
      }
      const key = nameKey(sent.line.split(' ')[1] ?? '');
      if (!all.some((h) => h.conn === conn && holds(h, key, tick)))
        out.push(
          `private: ${at(conn, i)} reached a connection not holding ${key}`
        );
      const late = conn.ticks.findIndex((t, j) => j > i && t < sent.tick);
      if (late !== -1)
        out.push(`private: ${at(conn, i)} came before ${at(conn, late)}`);
    });
  for (const [text, times] of received)
    if (times > 1)
      out.push(`private: "${text}" reached its target ${times} times`);
  for (const [sender, parsed] of lines)
    parsed.forEach((line, i) => {
      const tick = sender.ticks[i] ?? -1;
      if (line.kind === 'error' && line.text.startsWith('no such user ')) {
        const key = nameKey(line.text.slice('no such user '.length));
        // Strictly before: in one tick, its own later claim may follow.
        const holder = all.find(
          (h) => h.from < tick && surelyHolds(h, key, tick)
        );
        if (holder !== undefined)
          out.push(
            `private: ${holder.conn.addr} held ${holder.name}, yet ${at(sender, i)}`
          );
      }
      if (line.kind !== 'privateOut') return;
      const key = nameKey(line.to);
      const target = all.find(
        (h) => h.conn !== sender && surelyHolds(h, key, tick)
      );
      if (target?.conn.stayed === true && !received.has(line.text))
        out.push(
          `private: ${target.conn.addr} stayed but never got ${at(sender, i)}`
        );
    });
}

/** Every name and private-line invariant, as readable problems (empty: all hold). */
export function nameProblems(
  r: ReplayResult,
  lines: ReadonlyMap<ReplayConnection, readonly V2Line[]>
): string[] {
  const out: string[] = [];
  const all = checkNames(lines, out);
  checkPrivate(r, lines, all, out);
  return out;
}
