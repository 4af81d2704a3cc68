import { PassThrough } from 'node:stream';
import {
  createLogger,
  type Logger,
  type LogLevel
} from '../../src/app/logger.js';

/**
 * A logger at `level` whose console lines are collected in `lines`, one
 * entry per line, in the order written.
 */
export function captureLog(level: LogLevel): {
  logger: Logger;
  lines: string[];
} {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream
    .setEncoding('utf8')
    .on('data', (d: string) => lines.push(...d.trim().split('\n')));
  return { logger: createLogger({ console: stream, level }), lines };
}
