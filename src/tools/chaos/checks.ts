/**
 * Every end-of-run check over what observers and faulty clients received:
 * I1, I2 and framing (src/tools/peers/transcript.ts), the faulty clients' lines
 * (faulty-check.ts) and sanitised text (sanitised.ts); a cluster's outage
 * lines are known lines (outage.ts).
 */
import { observe, quote } from '../peers/observed.js';
import { pickReference } from '../peers/room-order.js';
import { checkTranscripts, type Transcript } from '../peers/transcript.js';
import {
  checkFaulty,
  faultyTranscripts,
  resolveAddresses
} from './faulty-check.js';
import type { FaultyConnection } from './faulty.js';
import { renameTranscript } from './incarnations.js';
import { owedTexts } from './outage.js';
import { checkRelayedText, checkUtf8 } from './sanitised.js';
import type { ChaosViolation } from './types.js';

/** What the checks look at. */
export interface RunRecord {
  /** The observers' transcripts, cut at the settle point, in join order. */
  readonly observers: readonly Transcript[];
  /** Every byte each observer received. */
  readonly observerBytes: readonly { addr: string; bytes: Buffer }[];
  /** Observer address → the texts it sent. */
  readonly sent: ReadonlyMap<string, readonly string[]>;
  /** Every connection faults opened. */
  readonly faulty: readonly FaultyConnection[];
  /**
   * True (the default) when the room shows our connections under their
   * local addresses; false behind a proxy (addresses.ts).
   */
  readonly direct?: boolean;
}

/** Every violation in a run's record (none when all is well). */
export function checkRun(record: RunRecord): ChaosViolation[] {
  const out: ChaosViolation[] = [];
  const raw = record.observers[0];
  // Observers joined before any fault: they saw every join from the start.
  const observers = record.observers.map((t) =>
    renameTranscript(t, new Map(), t.addr)
  );
  const observed = observers.map(observe);
  for (const o of observed) {
    if (o.transcript.stayed) continue;
    const { addr, lines } = o.transcript;
    out.push({
      invariant: 'I1',
      message: `observer ${addr} was disconnected by the server during the run, though it only chatted`,
      evidence: lines
        .slice(-3)
        .map(
          (line, i) =>
            `${addr} line ${lines.length - Math.min(3, lines.length) + i + 1}: ${quote(line)}`
        )
    });
  }
  const reference = pickReference(observed);
  if (reference === undefined || raw === undefined) return out;
  const rawReference =
    record.observers.find((t) => t.addr === reference.transcript.addr) ?? raw;
  const resolved = resolveAddresses(
    record.faulty,
    reference,
    rawReference,
    record.direct ?? true
  );
  const transcripts = [...observers, ...faultyTranscripts(resolved)];
  // A line the server said it did not relay is not lost. [CLUSTER-2]
  const sent = new Map(
    [...record.sent].map(([addr, texts]) => {
      const own = record.observers.find((t) => t.addr === addr);
      return [addr, own === undefined ? texts : owedTexts(own.lines, texts)];
    })
  );
  for (const v of checkTranscripts(transcripts, { sent })) {
    out.push({
      invariant: v.invariant,
      message: v.message,
      evidence: [...v.evidence]
    });
  }
  out.push(...checkFaulty(resolved, reference));
  out.push(...checkRelayedText(reference));
  for (const { addr, bytes } of record.observerBytes)
    out.push(...checkUtf8(addr, bytes));
  return out;
}
