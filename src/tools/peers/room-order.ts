/**
 * I1, one order exactly once [CHAT-ORDER-1]: each member's room events are
 * compared with one reference member's, so the work is linear rather than
 * pairwise. Also the one I2 rule that needs two members: a greeting's count
 * equals the count others saw that member enter with [CHAT-COUNT-2].
 */
import {
  describeEvent,
  describeLine,
  quote,
  type Observed,
  type RoomEvent
} from './observed.js';
import type { Violation } from './types.js';

/**
 * The stayed member that joined first, whose events every other member's
 * must be a suffix of: its join notice reached no other stayed member. If
 * faults leave several (or none) such, the one that saw the most events.
 */
export function pickReference(
  observed: readonly Observed[]
): Observed | undefined {
  const stayed = observed.filter((o) => o.transcript.stayed);
  const entered = new Set<string>();
  for (const o of stayed) {
    for (const e of o.events) {
      if (e.line.kind === 'join') entered.add(e.line.addr);
    }
  }
  const first = stayed.filter((o) => !entered.has(o.transcript.addr));
  const pool = first.length > 0 ? first : stayed;
  let best: Observed | undefined;
  for (const o of pool) {
    if (best === undefined || o.events.length > best.events.length) best = o;
  }
  return best;
}

function describeDifference(
  o: Observed,
  ref: Observed,
  i: number,
  start: number
): string {
  const mine = o.events;
  const theirs = ref.events;
  const a = mine[i];
  const b = theirs[start + i];
  const show = (e: RoomEvent): string => quote(describeEvent(e));
  const [x, r] = [o.transcript.addr, ref.transcript.addr];
  if (a === undefined) {
    if (b === undefined) return `${x} agrees with ${r}`;
    return `${x} missed ${show(b)} and the ${theirs.length - start - i - 1} event(s) after it`;
  }
  if (b === undefined) return `${x} saw ${show(a)}, which ${r} never saw`;
  const refNext = theirs[start + i + 1]?.key;
  const myNext = mine[i + 1]?.key;
  if (a.key === refNext && b.key === myNext) {
    return `${x} saw ${show(a)} and ${show(b)} in the opposite order to ${r}`;
  }
  if (a.key === refNext) return `${x} missed ${show(b)}`;
  if (b.key === myNext)
    return `${x} saw ${show(a)}, which ${r} did not see there`;
  return `${x} saw ${show(a)} where ${r} saw ${show(b)}`;
}

/**
 * Compares `o`'s events with the reference's from `start` (just after o's own
 * join notice). A member that did not stay may have seen only a prefix.
 */
function compareSuffix(
  o: Observed,
  ref: Observed,
  start: number,
  out: Violation[]
): void {
  for (let i = 0; ; i++) {
    const a = o.events[i];
    const b = ref.events[start + i];
    if (a === undefined && (b === undefined || !o.transcript.stayed)) return;
    if (a !== undefined && b !== undefined && a.key === b.key) continue;
    const evidence = [
      ...[o.events[i - 1], a].map((e) => e && describeLine(o, e.index)),
      ...[ref.events[start + i - 1], b].map(
        (e) => e && describeLine(ref, e.index)
      )
    ].filter((line): line is string => line !== undefined);
    out.push({
      invariant: 'I1',
      message: `${o.transcript.addr} and ${ref.transcript.addr} disagree at event ${i + 1} after ${o.transcript.addr}'s join: ${describeDifference(o, ref, i, start)}`,
      evidence
    });
    return;
  }
}

/** [CHAT-COUNT-2] the greeting and the join notice count the same join. */
function compareGreeting(
  o: Observed,
  ref: Observed,
  join: RoomEvent,
  out: Violation[]
): void {
  const greeting = o.parsed[0];
  if (greeting?.kind !== 'greeting' || join.line.kind !== 'join') return;
  if (greeting.count === join.line.count) return;
  out.push({
    invariant: 'I2',
    message: `${o.transcript.addr} was greeted with ${greeting.count} online, but ${ref.transcript.addr} saw it enter with ${join.line.count}`,
    evidence: [describeLine(o, 0), describeLine(ref, join.index)]
  });
}

/**
 * Where to look for `addr`'s messages: the reference after `addr`'s join (or
 * all of it, if it is the reference), else `addr`'s own transcript when it
 * joined before the reference did.
 */
function sentSource(
  addr: string,
  observed: readonly Observed[],
  ref: Observed,
  joins: ReadonlyMap<string, readonly number[]>
): { source: Observed; from: number } | undefined {
  if (ref.transcript.addr === addr) return { source: ref, from: 0 };
  const at = joins.get(addr);
  if (at?.length === 1) return { source: ref, from: (at[0] ?? 0) + 1 };
  const own = observed.find((o) => o.transcript.addr === addr);
  return own?.transcript.stayed === true ? { source: own, from: 0 } : undefined;
}

function checkSent(
  addr: string,
  texts: readonly string[],
  source: Observed,
  from: number,
  out: Violation[]
): void {
  const wanted = new Map<string, number>();
  for (const text of texts) wanted.set(text, (wanted.get(text) ?? 0) + 1);
  const got = source.events
    .slice(from)
    .filter(
      (e) =>
        e.line.kind === 'message' &&
        e.line.addr === addr &&
        wanted.has(e.line.text)
    );
  const gotTexts = got.map((e) =>
    e.line.kind === 'message' ? e.line.text : ''
  );
  const remaining = new Map(wanted);
  for (const text of gotTexts)
    remaining.set(text, (remaining.get(text) ?? 0) - 1);
  const missing = texts.filter((text) => {
    const left = remaining.get(text) ?? 0;
    remaining.set(text, left - 1);
    return left > 0;
  });
  const where = source.transcript.addr;
  const firstMissing = missing[0];
  if (firstMissing !== undefined) {
    const more =
      missing.length > 1
        ? ` (nor ${missing.length - 1} more of its texts)`
        : '';
    out.push({
      invariant: 'I1',
      message: `${addr} sent ${quote(firstMissing)}, which never reached ${where}${more}`,
      evidence: missing
        .slice(0, 6)
        .map((text) => `sent by ${addr}: ${quote(text)}`)
    });
    return;
  }
  // More arrived than was sent: a duplicate, already reported as such.
  if (gotTexts.length !== texts.length) return;
  const i = texts.findIndex((text, k) => gotTexts[k] !== text);
  const wrong = got[i];
  if (wrong === undefined) return;
  out.push({
    invariant: 'I1',
    message: `${addr}'s texts reached ${where} out of order: its text ${i + 1} was ${quote(texts[i] ?? '')}, but ${where} got ${describeLine(source, wrong.index)} there`,
    evidence: [describeLine(source, wrong.index)]
  });
}

/**
 * Checks every other member against `ref`, and `sent` (if given) against the
 * room order; appends what is wrong to `out`.
 */
export function checkAgainstReference(
  observed: readonly Observed[],
  ref: Observed,
  sent: ReadonlyMap<string, readonly string[]> | undefined,
  out: Violation[]
): void {
  const joins = new Map<string, number[]>();
  ref.events.forEach((e, position) => {
    if (e.line.kind !== 'join') return;
    joins.set(e.line.addr, [...(joins.get(e.line.addr) ?? []), position]);
  });
  const r = ref.transcript.addr;
  for (const o of observed) {
    if (o === ref) continue;
    const x = o.transcript.addr;
    const at = joins.get(x) ?? [];
    const position = at[0];
    if (at.length > 1) {
      out.push({
        invariant: 'I1',
        message: `${r} saw ${x} enter ${at.length} times`,
        evidence: at
          .slice(0, 6)
          .map((p) => describeLine(ref, ref.events[p]?.index ?? 0))
      });
    } else if (position === undefined) {
      if (o.transcript.stayed) {
        out.push({
          invariant: 'I1',
          message: `${x} stayed, but ${r} (the member online longest) never saw it enter`,
          evidence: [describeLine(o, 0), describeLine(ref, 0)]
        });
      }
    } else {
      const join = ref.events[position] as RoomEvent;
      compareGreeting(o, ref, join, out);
      compareSuffix(o, ref, position + 1, out);
    }
  }
  for (const [addr, texts] of sent ?? []) {
    const found = sentSource(addr, observed, ref, joins);
    if (found !== undefined)
      checkSent(addr, texts, found.source, found.from, out);
  }
}
