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

/** What starts a relayed line as its sender sees it. [CHAT-MSG-1] */
export const OWN_PREFIX = '[You] ';

/**
 * What starts a relayed line as the other members see it: the sender's
 * address in brackets. [CHAT-MSG-2]
 *
 * @example speakerPrefix('127.0.0.1:5001') // '[127.0.0.1:5001] '
 */
export function speakerPrefix(remote: string): string {
  return `[${remote}] `;
}

/** A relayed line as the other members see it. [CHAT-MSG-2] */
export function formatRelayed(remote: string, text: string): string {
  return speakerPrefix(remote) + text;
}

/** A relayed line as its sender sees it. [CHAT-MSG-1] */
export function formatOwn(text: string): string {
  return OWN_PREFIX + text;
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

/** What a cluster node's members get when Redis is out of reach. [CLUSTER-2] */
export const UNAVAILABLE_NOTICE = 'Error: chat is temporarily unavailable';

/** The answer to each line a member sends while Redis is out of reach. [CLUSTER-2] */
export const NOT_SENT_NOTICE =
  'Error: chat is temporarily unavailable; your message was not sent';

/**
 * The answer to a line that went to Redis just before it became
 * unreachable, and that the node cannot find in the room's log after
 * recovering. [CLUSTER-2]
 */
export const MAYBE_LOST_NOTICE =
  'Error: chat was temporarily unavailable; your message may not have reached everyone';

/**
 * What every member of every node gets when Redis came back without its
 * data: lines some nodes had read and others had not are gone for those,
 * and nobody can tell which. [CLUSTER-2]
 */
export const HISTORY_LOST_NOTICE =
  'Error: chat lost its recent history; messages sent just before the outage may not have reached everyone';

/** What a cluster node's members get when Redis answers again. [CLUSTER-2] */
export const AVAILABLE_NOTICE = 'Chat is available again';

/** The last line of a member whose node lost Redis for longer than the grace period. [CLUSTER-2] */
export function formatUnavailableTimeout(graceMs: number): string {
  return `Error: disconnected: chat unavailable for ${formatSeconds(graceMs)}`;
}

/**
 * Where a node finds entries of the room's log missing (it fell behind by
 * more than Redis keeps): said in its place, never skipped silently. [CLUSTER-3]
 */
export function formatLostEntries(count: number): string {
  return `Error: ${count} chat ${count === 1 ? 'event was' : 'events were'} lost here`;
}
