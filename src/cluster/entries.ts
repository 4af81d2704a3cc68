/**
 * The room's log entries as they come back from XREAD (src/cluster/scripts.ts
 * writes them), decoded. An entry Redis returns that does not decode (another
 * program wrote to our stream) is `null`: skipped and logged, never fatal.
 */

/** One entry of the room's log. */
export type LogEntry =
  | {
      type: 'join';
      id: string;
      seq: number;
      node: string;
      conn: string;
      remote: string;
      count: number;
    }
  | {
      type: 'line';
      id: string;
      seq: number;
      node: string;
      conn: string;
      remote: string;
      text: string;
    }
  | {
      type: 'leave';
      id: string;
      seq: number;
      node: string;
      conn: string;
      remote: string;
      count: number;
      reason: string;
    };

/** What ioredis returns for one stream entry: its id and flat field list. */
export type RawEntry = [id: string, fields: string[]];

/** Decodes one raw entry, or `null` when it is not one of ours. */
export function decodeEntry([id, fields]: RawEntry): LogEntry | null {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    f.set(fields[i] as string, fields[i + 1] as string);
  const node = f.get('n');
  const conn = f.get('c');
  const remote = f.get('r');
  const seq = Number(f.get('s'));
  if (node === undefined || conn === undefined || remote === undefined)
    return null;
  if (!Number.isSafeInteger(seq) || seq < 1) return null;
  const base = { id, seq, node, conn, remote };
  switch (f.get('t')) {
    case 'm': {
      const text = f.get('x');
      return text === undefined ? null : { type: 'line', ...base, text };
    }
    case 'j': {
      const count = Number(f.get('k'));
      return Number.isSafeInteger(count)
        ? { type: 'join', ...base, count }
        : null;
    }
    case 'l': {
      const count = Number(f.get('k'));
      return Number.isSafeInteger(count)
        ? { type: 'leave', ...base, count, reason: f.get('y') ?? '' }
        : null;
    }
    default:
      return null;
  }
}
