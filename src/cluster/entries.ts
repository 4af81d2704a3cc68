/**
 * The room's log entries as they come back from XREAD (src/cluster/scripts.ts
 * writes them), decoded: each stream entry holds one turn of one node, its
 * events numbered one by one. An entry Redis returns that does not decode
 * (another program wrote to our stream) is `null`: skipped and logged, never
 * fatal.
 */

/** What every event of the room's log has: where it is, and whose it is. */
interface Base {
  /** The stream entry it came in: the events of one turn of one node share it. */
  id: string;
  seq: number;
  node: string;
  /** Another node appended it (its `conn` is not this node's). */
  elsewhere: boolean;
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

/** A JSON value that is a string, or undefined. */
function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** One event of a batch, `[kind, count, conn, remote, name, ...rest]`. */
function decodeEvent(
  op: unknown,
  id: string,
  node: string,
  elsewhere: boolean,
  seq: number
): LogEntry | null {
  if (!Array.isArray(op)) return null;
  const [kind, count, c, r, n, x, y] = op as unknown[];
  const conn = text(c);
  const remote = text(r);
  const given = text(n);
  if (conn === undefined || remote === undefined || given === undefined)
    return null;
  // Absent rather than '', as the room's own entries have it.
  const name = given === '' ? undefined : given;
  const first = text(x);
  const at = { id, seq, node, elsewhere, conn, remote, name };
  switch (kind) {
    case 'm':
      return first === undefined ? null : { type: 'line', ...at, text: first };
    case 'e':
      return first === undefined ? null : { type: 'act', ...at, text: first };
    case 'n':
      return name === undefined || first === undefined
        ? null
        : { type: 'rename', ...at, name, old: first || undefined };
    case 'j':
      return Number.isSafeInteger(count)
        ? { type: 'join', ...at, count: count as number }
        : null;
    case 'l': {
      const quit = text(y);
      return Number.isSafeInteger(count) && first !== undefined
        ? {
            type: 'leave',
            ...at,
            count: count as number,
            reason: first,
            ...(quit !== undefined && quit !== '' && { detail: { quit } })
          }
        : null;
    }
    default:
      return null;
  }
}

/**
 * Decodes one raw entry, a turn of one node (src/cluster/scripts.ts), into
 * its events in order; `null` when it is not one of ours. `here` is the
 * reading node: every event another node appended is `elsewhere`.
 */
export function decodeEntry(
  [id, fields]: RawEntry,
  here: string
): LogEntry[] | null {
  let node: string | undefined;
  let first = NaN;
  let body: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case 'n':
        node = value;
        break;
      case 's':
        first = Number(value);
        break;
      case 'b':
        body = value;
        break;
    }
  }
  if (node === undefined || body === undefined) return null;
  if (!Number.isSafeInteger(first) || first < 1) return null;
  let ops: unknown;
  try {
    ops = JSON.parse(body);
  } catch {
    return null;
  }
  if (!Array.isArray(ops) || ops.length === 0) return null;
  const elsewhere = node !== here;
  const entries: LogEntry[] = [];
  for (let k = 0; k < ops.length; k++) {
    const entry = decodeEvent(ops[k], id, node, elsewhere, first + k);
    if (entry === null) return null;
    entries.push(entry);
  }
  return entries;
}
