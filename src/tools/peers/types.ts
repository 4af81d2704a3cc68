/**
 * What the transcript checker reads and reports, apart from the checker so
 * that its parts (observed.ts, room-order.ts) need not import it back.
 */

/** What one member received during the window. */
export interface Transcript {
  /** The member's address as the server shows it. [CHAT-ADDR-1] */
  readonly addr: string;
  /** Every line it received, without `\n`. */
  readonly lines: readonly string[];
  /** Online from its greeting to the end of the window, not disconnected by the server or by itself. */
  readonly stayed: boolean;
}

/** One broken invariant, explained. */
export interface Violation {
  readonly invariant: 'I1' | 'I2' | 'framing';
  /** Names the observer(s), e.g. `127.0.0.1:5001 saw "[127.0.0.1:5003] m17" twice`. */
  readonly message: string;
  /** A few (≤ 6) of the raw lines involved, each with its observer. */
  readonly evidence: string[];
}
