/** A room as the admin listener reads it (src/actors/room-actor.ts `Room` is one). */
export interface RoomSource {
  /** `#` and its name. */
  readonly label: string;
  memberCount(): number;
  messageCount(): number;
}

/** One room as the room panel lists it. */
export interface RoomRow {
  readonly name: string;
  readonly members: number;
  /** Messages relayed since the room opened. */
  readonly messages: number;
  /** Over the last 5 s (less for a room younger than that), one decimal. */
  readonly perSecond: number;
}

/** How the board reads and rates the rooms. */
export interface RoomBoardOptions {
  /** Every running room, read at most once per `refreshMs`. */
  rooms: () => readonly RoomSource[];
  now?: () => number;
  /** Default 100 ms: the fastest `/events` interval. */
  refreshMs?: number;
}

/** The span messages per second are measured over. */
const RATE_WINDOW_MS = 5000;
/** How often a room's message count is sampled for its rate. */
const SAMPLE_MS = 1000;

interface Sample {
  readonly at: number;
  readonly messages: number;
}

/**
 * Every room of the daemon in name order, with its rate, for the room panel:
 * one reading shared by every `/events` viewer (each reads a page of it),
 * refreshed at most every `refreshMs`. The rate comes from one sample a
 * second per room, kept for 5 s; samples are taken only while someone
 * reads, so a room shows `0` for its first second on screen. Samples are
 * kept per room object, so a room closed and opened again under its name
 * starts afresh.
 */
export class RoomBoard {
  readonly #rooms: () => readonly RoomSource[];
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #samples = new WeakMap<RoomSource, Sample[]>();
  #readAt = -Infinity;
  #reading: RoomRow[] = [];

  constructor(options: RoomBoardOptions) {
    this.#rooms = options.rooms;
    this.#now = options.now ?? Date.now;
    this.#refreshMs = options.refreshMs ?? 100;
  }

  /** Rooms `offset` to `offset + limit` in name order, and how many there are. */
  page(offset: number, limit: number): { total: number; rows: RoomRow[] } {
    const now = this.#now();
    if (now - this.#readAt >= this.#refreshMs) this.#read(now);
    return {
      total: this.#reading.length,
      rows: this.#reading.slice(offset, offset + limit)
    };
  }

  #read(now: number): void {
    this.#readAt = now;
    this.#reading = this.#rooms()
      .map((room): RoomRow => {
        const messages = room.messageCount();
        const oldest = this.#sample(room, messages, now)[0];
        return {
          name: room.label,
          members: room.memberCount(),
          messages,
          perSecond: oldest === undefined ? 0 : rate(oldest, messages, now)
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #sample(room: RoomSource, messages: number, now: number): Sample[] {
    let samples = this.#samples.get(room);
    if (samples === undefined) {
      samples = [];
      this.#samples.set(room, samples);
    }
    const last = samples.at(-1);
    if (last === undefined || now - last.at >= SAMPLE_MS)
      samples.push({ at: now, messages });
    // The oldest kept is the one at or just past the window's start.
    while (
      samples.length > 1 &&
      now - (samples[1]?.at ?? now) >= RATE_WINDOW_MS
    )
      samples.shift();
    return samples;
  }
}

/** Messages per second since `oldest`, one decimal; 0 over no time. */
function rate(oldest: Sample, messages: number, now: number): number {
  if (now <= oldest.at) return 0;
  const perSecond = ((messages - oldest.messages) * 1000) / (now - oldest.at);
  return Math.round(perSecond * 10) / 10;
}
