/**
 * The room's log entries as they come back from XREAD (src/cluster/scripts.ts
 * writes them), decoded. An entry Redis returns that does not decode (another
 * program wrote to our stream) is `null`: skipped and logged, never fatal.
 */

/** What every entry of the room's log has: where it is, and whose it is. */
interface Base {
  id: string;
  seq: number;
  node: string;
  conn: string;
  remote: string;
  /** The member's nickname as of this entry, when it has one. */
  name?: string;
}

/** One entry of the room's log. */
export type LogEntry =
  | (Base & { type: 'join'; count: number })
  | (Base & { type: 'line'; text: string })
  | (Base & {
      type: 'leave';
      count: number;
      reason: string;
      detail?: { quit: string };
    })
  | (Base & { type: 'rename'; name: string; old?: string })
  | (Base & { type: 'act'; text: string });

/** What ioredis returns for one stream entry: its id and flat field list. */
export type RawEntry = [id: string, fields: string[]];

/** The fields of one raw entry, by name. */
export function fieldsOf(fields: string[]): Map<string, string> {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    f.set(fields[i] as string, fields[i + 1] as string);
  return f;
}

/** Decodes one raw entry, or `null` when it is not one of ours. */
export function decodeEntry([id, fields]: RawEntry): LogEntry | null {
  const f = fieldsOf(fields);
  const node = f.get('n');
  const conn = f.get('c');
  const remote = f.get('r');
  const name = f.get('a');
  const seq = Number(f.get('s'));
  if (node === undefined || conn === undefined || remote === undefined)
    return null;
  if (!Number.isSafeInteger(seq) || seq < 1) return null;
  const base: Base = {
    id,
    seq,
    node,
    conn,
    remote,
    ...(name !== undefined && { name })
  };
  const text = f.get('x');
  const count = Number(f.get('k'));
  switch (f.get('t')) {
    case 'm':
      return text === undefined ? null : { type: 'line', ...base, text };
    case 'e':
      return text === undefined ? null : { type: 'act', ...base, text };
    case 'n': {
      const old = f.get('o');
      return name === undefined
        ? null
        : {
            type: 'rename',
            ...base,
            name,
            ...(old !== undefined && { old })
          };
    }
    case 'j':
      return Number.isSafeInteger(count)
        ? { type: 'join', ...base, count }
        : null;
    case 'l': {
      const quit = f.get('q');
      return Number.isSafeInteger(count)
        ? {
            type: 'leave',
            ...base,
            count,
            reason: f.get('y') ?? '',
            ...(quit !== undefined && { detail: { quit } })
          }
        : null;
    }
    default:
      return null;
  }
}
