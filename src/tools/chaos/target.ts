/** Where a run's clients connect, from its options: the transport and its CA. */
import { readFileSync } from 'node:fs';
import { describeSystemError } from '../../app/errors.js';
import { ChaosError } from './errors.js';
import type { ChaosOptions, ChaosTarget } from './types.js';

/**
 * The target of every client of a run. Reads `options.ca` once, before
 * anything connects; throws `ChaosError` (one line) when it cannot.
 *
 * @example chaosTarget({ ...options, transport: 'tls', ca: 'ca.pem' })
 */
export function chaosTarget(options: ChaosOptions): ChaosTarget {
  const { host, port } = options;
  const kind = options.transport ?? 'tcp';
  if (kind === 'tcp') return { host, port };
  let ca: Buffer | undefined;
  if (options.ca !== undefined) {
    try {
      ca = readFileSync(options.ca);
    } catch (err) {
      throw new ChaosError(
        `cannot read the CA file ${options.ca}: ${describeSystemError(err)}`,
        { cause: err }
      );
    }
  }
  return {
    host,
    port,
    transport: {
      kind,
      ...(ca !== undefined && { ca }),
      ...(options.insecure === true && { insecure: true })
    }
  };
}
