/** Protocol and daemon defaults. Every limit a user can change has its default here. */

/** Default host the daemon listens on. */
export const DEFAULT_HOST = '127.0.0.1';

/** Default TCP port, as in the original program. */
export const DEFAULT_PORT = 3333;

/** Longest accepted line in bytes, excluding its terminator. [CHAT-IN-4] */
export const DEFAULT_MAX_LINE_BYTES = 4096;

/** How long a graceful shutdown waits for queued output to flush before it resets what is left. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** How long a connection waits in `leaving` for the room to confirm before it closes anyway. */
export const LEAVE_TIMEOUT_MS = 5000;

/** The one room of protocol v1. */
export const LOBBY = 'lobby';
