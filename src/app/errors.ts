/**
 * The daemon's errors. Each has a stable `code` (listed in docs/errors.md) and
 * keeps the Node error it wraps as `cause`. Normal endings of a connection are
 * not errors: they are a `LeaveReason`.
 */
export class ChatError extends Error {
  override readonly name: string = 'ChatError';
  readonly code: string = 'CHAT_ERR';
}

/** Bad command-line arguments or options. */
export class UsageError extends ChatError {
  override readonly name = 'UsageError';
  override readonly code = 'CHAT_ERR_USAGE';
}

/** The daemon could not listen (address in use, permission denied, …). */
export class ListenError extends ChatError {
  override readonly name = 'ListenError';
  override readonly code = 'CHAT_ERR_LISTEN';
}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'broken pipe',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable'
};

/** Node's error code of `err`, if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  if ('code' in err && typeof err.code === 'string') return err.code;
  // With several addresses to try, net reports an AggregateError whose own
  // code may be missing; the first attempt's code is the telling one.
  return err instanceof AggregateError ? errorCode(err.errors[0]) : undefined;
}

/** A short human description of a system error: `address already in use`. */
export function describeSystemError(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined) return SYSTEM_ERRORS[code] ?? code;
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0] ?? text;
}
