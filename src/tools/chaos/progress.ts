/**
 * Progress of a chaos run on stderr: a bar redrawn in place on a TTY, plain
 * lines every few seconds otherwise (logs, CI).
 */
import type { ChaosProgress } from './types.js';

const BAR_WIDTH = 30;
const PLAIN_EVERY_MS = 5000;

/** A progress display. */
export interface ProgressDisplay {
  update(progress: ChaosProgress): void;
  /** Ends the display (a TTY bar gets its line ended) and says what comes next. */
  done(next: string): void;
}

function secs(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/** Creates a display writing to `stream`; `tty` picks the bar. */
export function createProgress(
  stream: NodeJS.WritableStream,
  tty: boolean
): ProgressDisplay {
  let lastPlain = 0;
  let drawn = false;
  return {
    update(p) {
      const summary = `${secs(p.elapsedMs)}/${secs(p.totalMs)}  faults ${p.injected}  lines ${p.sent}`;
      if (tty) {
        const filled = Math.round(
          (BAR_WIDTH * p.elapsedMs) / Math.max(1, p.totalMs)
        );
        const bar =
          '#'.repeat(filled) + '.'.repeat(Math.max(0, BAR_WIDTH - filled));
        stream.write(`\r[${bar}] ${summary}\x1b[K`);
        drawn = true;
      } else if (p.elapsedMs - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = p.elapsedMs;
        stream.write(`chat-chaos: ${summary}\n`);
      }
    },
    done(next) {
      if (drawn) stream.write('\n');
      drawn = false;
      stream.write(`chat-chaos: ${next}\n`);
    }
  };
}
