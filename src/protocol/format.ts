/**
 * The server's lines, in one place: the wire protocol and the console log both
 * render from here, so they can never disagree. See docs/protocol.md.
 */

/** `1 user online`, otherwise `N users online`. [CHAT-COUNT-1] */
export function formatOnline(count: number): string {
  return `${count} ${count === 1 ? 'user' : 'users'} online`;
}

/** The newcomer's first line. [CHAT-JOIN-1] */
export function formatGreeting(count: number): string {
  return `Connected to the chat server (${formatOnline(count)})`;
}

/** What everyone else sees when someone joins. [CHAT-JOIN-2] */
export function formatJoinNotice(remote: string, count: number): string {
  return `New user ${remote} entered (${formatOnline(count)})`;
}

/** What everyone still online sees when someone leaves. [CHAT-LEAVE-1] */
export function formatLeaveNotice(remote: string, count: number): string {
  return `The user ${remote} left (${formatOnline(count)})`;
}

/** A relayed line as the other members see it. [CHAT-MSG-2] */
export function formatRelayed(remote: string, text: string): string {
  return `[${remote}] ${text}`;
}

/** A relayed line as its sender sees it. [CHAT-MSG-1] */
export function formatOwn(text: string): string {
  return `[You] ${text}`;
}

/** The last line every member gets. [CHAT-SHUT-1] */
export const SHUTDOWN_NOTICE = 'Server shutting down';

/** The console line once the daemon listens, as in the original program. */
export function formatStarted(port: number): string {
  return `Chat Server started on port ${port}.`;
}

/** The error a sender gets for an over-long line. [CHAT-IN-4] [CHAT-ERR-1] */
export function formatLineTooLong(limit: number): string {
  return `Error: line too long (limit ${limit} bytes); it was not relayed`;
}

/** Why an over-limit connection is refused, before it joins. [CHAT-LIMIT-1] */
export function formatRefusal(
  reason: 'server full' | 'too many from address',
  address: string,
  limits: { maxConnections: number; maxConnectionsPerIp: number }
): string {
  return reason === 'server full'
    ? `Error: server full (${limits.maxConnections} ${limits.maxConnections === 1 ? 'connection' : 'connections'}); try again later`
    : `Error: too many connections from ${address} (limit ${limits.maxConnectionsPerIp})`;
}

/** The last line a peer that does not read what it is sent gets. [CHAT-SLOW-1] */
export const SLOW_CONSUMER_NOTICE =
  'Error: disconnected: you are not reading fast enough';

/** The last line of a peer that sent nothing for the idle timeout. [CHAT-IDLE-1] */
export function formatIdleTimeout(idleMs: number): string {
  return `Error: disconnected: idle for ${formatSeconds(idleMs)}`;
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
