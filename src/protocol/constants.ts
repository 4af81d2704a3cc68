/** Protocol and daemon defaults. Every limit a user can change has its default here. */

/** Default host the daemon listens on. */
export const DEFAULT_HOST = '127.0.0.1';

/** Default TCP port, as in the original program. */
export const DEFAULT_PORT = 3333;

/** Longest accepted line in bytes, excluding its terminator. [CHAT-IN-4] */
export const DEFAULT_MAX_LINE_BYTES = 4096;

/** Unsent bytes owed to one peer before it is disconnected as a `slow consumer` (1 MiB). */
export const DEFAULT_SEND_QUEUE_BYTES = 1024 * 1024;

/** Unsent bytes above which the daemon stops reading from that peer until it catches up. */
export const DEFAULT_SEND_QUEUE_SOFT_BYTES = 64 * 1024;

/** How long a peer owed bytes may make no progress before it is a `slow consumer`. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** Sustained lines per second one peer may send; faster input is paced, not dropped. */
export const DEFAULT_FLOOD_RATE = 10;

/** Lines a peer may send at once before pacing starts. */
export const DEFAULT_FLOOD_BURST = 20;

/** Disconnect peers that send nothing for this long; 0 = never. */
export const DEFAULT_IDLE_TIMEOUT_MS = 0;

/** TCP keepalive: idle time before the kernel starts probing a silent peer. */
export const DEFAULT_KEEPALIVE_MS = 60_000;

/** Open chat connections in all. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Open chat connections from one address. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 32;

/**
 * Connections the kernel may hold for us before we accept them, while a
 * turn of the event loop is busy (writing a batch to thousands of members).
 * Node's own default, 511, overflows in a reconnect storm: a client whose
 * SYN was dropped retries a second or more later, and one whose handshake
 * ended in a SYN cookie may wait forever (docs/performance.md, "Reconnect
 * storm"). Linux caps it at `net.core.somaxconn` (4096 since 5.4).
 */
export const DEFAULT_LISTEN_BACKLOG = 4096;

/** Where the per-address limit does not apply: loopback. */
export const DEFAULT_PER_IP_EXEMPT: readonly string[] = Object.freeze([
  '127.0.0.0/8',
  '::1/128'
]);

/** After our FIN has been handed to the kernel, how long the peer has to close before the socket is reset. */
export const LINGER_MS = 5000;

/** How long a graceful shutdown waits for queued output to flush before it resets what is left. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** How long a connection waits in `leaving` for the room to confirm before it closes anyway. */
export const LEAVE_TIMEOUT_MS = 5000;

/** The one room of protocol v1. */
export const LOBBY = 'lobby';

/** Where everyone starts, and where `/part` returns to. [CHAT-ROOM-1] */
export const LOBBY_ROOM = `#${LOBBY}`;

/** Longest nickname, in characters. [CHAT-NICK-1] */
export const MAX_NICK_LENGTH = 24;

/** Longest room name, in characters after its `#`. [CHAT-ROOM-1] */
export const MAX_ROOM_NAME_LENGTH = 32;

/** Rooms in all, `#lobby` included. [CHAT-LIMIT-2] */
export const DEFAULT_MAX_ROOMS = 10_000;

/** Rooms one connection may create per minute. [CHAT-LIMIT-2] */
export const DEFAULT_ROOM_CREATES_PER_MINUTE = 5;

/** Rooms listed per page of `/rooms`. [CHAT-CMD-ROOMS] */
export const ROOMS_PAGE_SIZE = 50;

/** Names per line of `/who`. [CHAT-CMD-WHO] */
export const WHO_NAMES_PER_LINE = 50;
