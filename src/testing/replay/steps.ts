/**
 * The steps of a replay schedule: plain JSON, so a failing schedule that
 * fast-check prints can be pasted back into `replay()` as it is.
 *
 * A client is a small integer naming a person at a keyboard: each `join`
 * opens a new connection for it (a new address) once its previous one is
 * gone. A step that makes no sense in the current state (a client that is
 * not connected says something, a second `resume`) is skipped and counted,
 * never an error: shrinking removes steps freely.
 */
export type ReplayStep =
  /** Client `client` connects and joins. */
  | { kind: 'join'; client: number }
  /** It sends one chat line (a text unique in the run). */
  | { kind: 'say'; client: number }
  /** It sends a line over `maxLineBytes`. [CHAT-IN-4] */
  | { kind: 'oversize'; client: number }
  /** It half-closes (FIN) and keeps reading. */
  | { kind: 'fin'; client: number }
  /** It closes its socket (a reset if it leaves bytes unread). */
  | { kind: 'close'; client: number }
  /** It resets, optionally with half a line sent first. */
  | { kind: 'reset'; client: number; midLine?: boolean }
  /** It stops reading; its receive window still takes `budget` bytes. */
  | { kind: 'stall'; client: number; budget: number }
  /** It reads again. */
  | { kind: 'resume'; client: number }
  /** Virtual time passes; every timer due fires at its instant. */
  | { kind: 'advance'; ms: number }
  /** The daemon shuts down gracefully; this ends the window. */
  | { kind: 'shutdown' };

/** A one-line description of a step, for logs and failure messages. */
export function describeStep(step: ReplayStep): string {
  switch (step.kind) {
    case 'advance':
      return `advance ${step.ms} ms`;
    case 'shutdown':
      return 'shutdown';
    case 'stall':
      return `client ${step.client} stall (budget ${step.budget} B)`;
    case 'reset':
      return `client ${step.client} reset${step.midLine === true ? ' mid-line' : ''}`;
    default:
      return `client ${step.client} ${step.kind}`;
  }
}
