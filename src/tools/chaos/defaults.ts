/** chat-chaos defaults and bounds, shared by its arguments and its report. */

/** What a run does when an option is not given. */
export const CHAOS_DEFAULTS = Object.freeze({
  durationMs: 30_000,
  clients: 20,
  observers: 5,
  /** Lines per second per observer: under a server's flood pacing (10/s by default). */
  rate: 2,
  maxConnections: 200,
  maxBytes: 64 * 1024 * 1024,
  /** A pure v1 run: no command is sent unless asked for (docs/chaos.md). */
  rooms: 1,
  /** Room observers per room, when `--room-observers` is not given. */
  roomObserversPerRoom: 3
});

/** The widest each option may go. */
export const CHAOS_LIMITS = Object.freeze({
  minDurationMs: 1000,
  maxDurationMs: 10 * 60 * 1000,
  maxClients: 1000,
  maxObservers: 50,
  /** The protocol's default flood rate [CHAT-IN-5]: faster observers would be paced. */
  maxRate: 10,
  maxConnections: 10_000,
  maxBytes: 1024 * 1024 * 1024,
  maxRooms: 20,
  maxRoomObservers: 60
});
