/**
 * Checks of what faulty clients sent against what the observers received:
 *
 * - I1: a line the server accepted from a faulty client (echoed to it as
 *   `[You] …`, or sent whole before a FIN the server answered by closing)
 *   reached the observers. Observers agree among themselves (checked by
 *   checkTranscripts), so it is enough that the reference received it.
 * - framing: every relayed text of a faulty client is one line it sent
 *   whole, and no cut-off or oversized line is relayed at all.
 *
 * A faulty client is named by its local address when the room shows ours
 * (direct), else by the sender of its tag (addresses.ts).
 */
import { describeLine, quote, type Observed } from '../peers/observed.js';
import type { Transcript } from '../peers/transcript.js';
import { parseRoomLine } from '../peers/room-line.js';
import { HEAD_RE, isTaggedByOther, learnTags } from './addresses.js';
import type { FaultyConnection } from './faulty.js';
import {
  incarnationName,
  joinsBefore,
  renameTranscript
} from './incarnations.js';
import type { ChaosViolation } from './types.js';
import { OWN_PREFIX } from '../../protocol/format.js';

const MAX_EVIDENCE = 6;

/** A faulty connection with the address the server showed for it. */
export interface Resolved {
  readonly connection: FaultyConnection;
  /**
   * Its name in the renamed transcripts (see incarnations.ts); null when
   * not known (a proxied or balanced client whose lines never reached the
   * reference).
   */
  readonly addr: string | null;
  /**
   * True when named by its own local address: every line the room shows
   * from that address is its own. Otherwise the address may be a proxy's
   * that others share, and only its tag says which lines are its.
   */
  readonly local: boolean;
  /** Its own transcript, renamed; null when it cannot be lined up. */
  readonly transcript: Transcript | null;
}

function label(c: FaultyConnection): string {
  return `faulty client ${c.tag} (${c.action.kind})`;
}

/**
 * Names each connection. Direct (`direct`, the room shows our local
 * addresses): by its own address, the k-th connection under one address as
 * its k-th incarnation; otherwise, and always through a chaos proxy, as the
 * sender of the reference's lines with its tag. Connections named by
 * address (local or learned, not through a chaos proxy) that were greeted
 * also get their transcript, renamed in step with `rawReference` (the
 * reference before renaming).
 */
export function resolveAddresses(
  connections: readonly FaultyConnection[],
  reference: Observed,
  rawReference: Transcript,
  direct = true
): Resolved[] {
  const tags = learnTags(rawReference);
  const seen = new Map<string, number>();
  return connections.map((connection) => {
    const learned = tags.get(connection.tag);
    if (connection.proxied || !direct) {
      if (learned === undefined)
        return { connection, addr: null, local: false, transcript: null };
      const addr = incarnationName(learned.addr, learned.k);
      return {
        connection,
        addr,
        local: false,
        // Its own lines show the proxy's address only as `[You]`: left out.
        transcript: connection.proxied
          ? null
          : ownTranscript(
              connection,
              learned.addr,
              learned.k,
              addr,
              rawReference
            )
      };
    }
    const raw = connection.peer.localAddr;
    const k = (seen.get(raw) ?? 0) + 1;
    seen.set(raw, k);
    const addr = incarnationName(raw, k);
    return {
      connection,
      addr,
      local: true,
      transcript: ownTranscript(connection, raw, k, addr, rawReference)
    };
  });
}

function ownTranscript(
  connection: FaultyConnection,
  raw: string,
  k: number,
  addr: string,
  rawReference: Transcript
): Transcript | null {
  const lines = [...connection.peer.lines];
  const first = lines[0];
  // A refusal (`Error: server full …`) is not a join. [CHAT-LIMIT-1]
  if (first === undefined || parseRoomLine(first, raw).kind !== 'greeting')
    return null;
  const start = joinsBefore(rawReference, raw, k);
  if (start === undefined) return null;
  return renameTranscript({ addr: raw, lines, stayed: false }, start, addr);
}

/** The transcripts of faulty clients that were greeted, for checkTranscripts. */
export function faultyTranscripts(resolved: readonly Resolved[]): Transcript[] {
  return resolved.flatMap((r) => (r.transcript === null ? [] : [r.transcript]));
}

/** Texts `c` must have seen relayed: its echoes and what it is owed. */
function accepted(c: FaultyConnection): { text: string; why: string }[] {
  const echoed = c.peer.lines
    .filter((line) => line.startsWith(OWN_PREFIX))
    .map((line) => line.slice(OWN_PREFIX.length));
  const out = echoed.map((text) => ({
    text,
    why: 'the server echoed it as [You]'
  }));
  const counted = new Map<string, number>();
  for (const text of echoed) counted.set(text, (counted.get(text) ?? 0) + 1);
  for (const text of c.owed) {
    const left = counted.get(text) ?? 0;
    if (left > 0) counted.set(text, left - 1);
    else out.push({ text, why: 'it was sent whole before a FIN' });
  }
  return out;
}

function checkAccepted(
  r: Resolved,
  reference: Observed,
  out: ChaosViolation[]
): void {
  const c = r.connection;
  const wanted = accepted(c);
  if (wanted.length === 0) return;
  const got = new Map<string, number>();
  for (const event of reference.events) {
    if (event.line.kind !== 'message' || event.line.addr !== r.addr) continue;
    got.set(event.line.text, (got.get(event.line.text) ?? 0) + 1);
  }
  const missing = wanted.filter(({ text }) => {
    const left = got.get(text) ?? 0;
    got.set(text, left - 1);
    return left <= 0;
  });
  const first = missing[0];
  if (first === undefined) return;
  const from = r.addr ?? 'its proxy';
  out.push({
    invariant: 'I1',
    message: `${label(c)} at ${from} sent ${quote(first.text)} and ${first.why}, but ${reference.transcript.addr} never received it${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}`,
    evidence: missing
      .slice(0, MAX_EVIDENCE)
      .map(({ text, why }) => `sent by ${c.tag} (${why}): ${quote(text)}`)
  });
}

function startsWithHead(text: string, head: string): boolean {
  return text === head || text.startsWith(`${head} `);
}

/** A line `c` sent, or one reported on its own (a forbidden line). */
function isOwnLine(c: FaultyConnection, text: string): boolean {
  if (c.sent.includes(text)) return true;
  return [...c.loose, ...c.forbidden].some((head) =>
    startsWithHead(text, head)
  );
}

function checkRelayed(
  r: Resolved,
  reference: Observed,
  out: ChaosViolation[]
): void {
  const c = r.connection;
  // A shared (proxy's) address may carry others' lines too: not foreign.
  const foreign = reference.events.filter(
    (e) =>
      e.line.kind === 'message' &&
      e.line.addr === r.addr &&
      !isOwnLine(c, e.line.text) &&
      (r.local || !isTaggedByOther(e.line.text, c.tag))
  );
  const first = foreign[0];
  if (first !== undefined) {
    out.push({
      invariant: 'framing',
      message: `${reference.transcript.addr} received ${foreign.length} text(s) from ${label(c)} that it never sent as one line (a line split or merged): the first ${quote(first.line.kind === 'message' ? first.line.text : '')}`,
      evidence: [
        ...foreign.slice(0, 3).map((e) => describeLine(reference, e.index)),
        ...c.sent.slice(0, 3).map((text) => `sent by ${c.tag}: ${quote(text)}`)
      ]
    });
  }
  for (const head of c.forbidden) {
    const relayed = reference.events.filter(
      (e) => e.line.kind === 'message' && startsWithHead(e.line.text, head)
    );
    const shown = relayed[0];
    if (shown === undefined) continue;
    const why =
      c.action.kind === 'oversize'
        ? 'a line over the 4096-byte limit, which must not be relayed [CHAT-IN-4]'
        : 'a line cut off by a reset before its \\n, which must not be relayed [CHAT-WIRE-3]';
    out.push({
      invariant: 'framing',
      message: `${reference.transcript.addr} received ${head} from ${label(c)}: ${why}`,
      evidence: relayed
        .slice(0, MAX_EVIDENCE)
        .map((e) => describeLine(reference, e.index))
    });
  }
}

/** Lines relayed with a faulty client's tag but another sender's address. */
function checkAttribution(
  resolved: readonly Resolved[],
  reference: Observed,
  out: ChaosViolation[]
): void {
  const direct = new Map<string, string>();
  for (const { connection, addr, local } of resolved) {
    if (local && addr !== null) direct.set(connection.tag, addr);
  }
  const wrong = reference.events.filter((e) => {
    if (e.line.kind !== 'message') return false;
    const tag = HEAD_RE.exec(e.line.text)?.[1];
    const owner = tag === undefined ? undefined : direct.get(tag);
    return owner !== undefined && owner !== e.line.addr;
  });
  const first = wrong[0];
  if (first === undefined || first.line.kind !== 'message') return;
  const tag = HEAD_RE.exec(first.line.text)?.[1] ?? '';
  out.push({
    invariant: 'I1',
    message: `${reference.transcript.addr} received ${wrong.length} line(s) of another client under the wrong address: ${quote(first.line.text)} came from ${tag} at ${direct.get(tag) ?? '?'}, not ${first.line.addr}`,
    evidence: wrong
      .slice(0, MAX_EVIDENCE)
      .map((e) => describeLine(reference, e.index))
  });
}

/**
 * Checks every faulty connection's lines against `reference`, the observer
 * that joined first (its transcript cut at the settle point).
 */
export function checkFaulty(
  resolved: readonly Resolved[],
  reference: Observed
): ChaosViolation[] {
  const out: ChaosViolation[] = [];
  for (const r of resolved) {
    checkAccepted(r, reference, out);
    if (r.addr !== null) checkRelayed(r, reference, out);
  }
  checkAttribution(resolved, reference, out);
  return out;
}
