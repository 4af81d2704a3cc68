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

const SYSTEM_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable'
};

/** Node's error code of `err`, if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** A short human description of a system error: `address already in use`. */
export function describeSystemError(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined) return SYSTEM_ERRORS[code] ?? code;
  return err instanceof Error ? err.message : String(err);
}
