// @ts-check
/**
 * The chat page's `/who` bookkeeping: the member list is asked for after
 * each join, leave, move and rename, one request at a time, with at most
 * one more queued behind it however many changes arrive meanwhile (never
 * polled). Answers are read line by line: the header gives the count, the
 * name lines follow ([CHAT-CMD-WHO]).
 */

/**
 * @typedef {{
 *   ask(): void,
 *   sent(): void,
 *   header(count: number): void,
 *   reading(): boolean,
 *   names(names: string[]): string[] | null,
 *   refused(): void,
 *   reset(): void
 * }} WhoTracker
 */

/**
 * @param {() => void} sendWho sends `/who`, and calls `sent()` once it did
 * @returns {WhoTracker}
 */
export function createWhoTracker(sendWho) {
  let inFlight = 0;
  let again = false;
  /** @type {{ count: number, names: string[] } | null} */
  let answer = null;

  const tracker = {
    /** Asks now, or once the answer in flight has come. */
    ask() {
      if (inFlight > 0) again = true;
      else sendWho();
    },
    /** A `/who` went out, the page's own or one typed by hand. */
    sent() {
      inFlight += 1;
    },
    /** An answer starts: `Members of #room (N users online):`. */
    header(/** @type {number} */ count) {
      answer = { count, names: [] };
    },
    /** True between an answer's header and its last name line. */
    reading() {
      return answer !== null;
    },
    /**
     * One name line; the whole list once the answer is complete, else null.
     *
     * @param {string[]} names
     */
    names(names) {
      if (answer === null) return null;
      answer.names.push(...names);
      if (answer.names.length < answer.count) return null;
      const complete = answer.names;
      answer = null;
      tracker.answered();
      return complete;
    },
    /** A command was refused as unavailable: it may have been a `/who`. */
    refused() {
      if (inFlight > 0) tracker.answered();
    },
    answered() {
      inFlight = Math.max(0, inFlight - 1);
      if (again && inFlight === 0) {
        again = false;
        sendWho();
      }
    },
    /** A new connection: nothing is in flight on it. */
    reset() {
      inFlight = 0;
      again = false;
      answer = null;
    }
  };
  return tracker;
}
