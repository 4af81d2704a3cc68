/**
 * The multi-room workload's plan and its pure checks (issue 17): which room
 * each chatting client moves to with `/join`, the room replies it must see,
 * and the per-room versions of the load generator's end-of-run checks (every
 * line to every member of its room, one order per room). bench/loadgen.ts
 * applies them; with one room they are the single-room checks.
 */

/** Where the clients of one run chat: one room each, by client index. */
export interface RoomPlan {
  /** Rooms in all (1 when everyone stays in `#lobby`). */
  readonly rooms: number;
  /** The room of client i. */
  readonly roomOf: Int32Array;
  /** Each room's member count. */
  readonly sizes: Int32Array;
  /** Each room's name as the clients `/join` it; null for `#lobby`. */
  readonly names: readonly (string | null)[];
}

/** The rooms' names: `#bench-0`, `#bench-1`, … ([CHAT-ROOM-1]). */
export function roomName(room: number): string {
  return `#bench-${room}`;
}

/**
 * Client i goes to room ⌊i / roomSize⌋: rooms of `roomSize`, the last one
 * smaller when `clients` is not a multiple. `roomSize` null keeps everyone
 * in `#lobby`, the single-room workloads.
 */
export function planRooms(clients: number, roomSize: number | null): RoomPlan {
  if (!Number.isInteger(clients) || clients < 1)
    throw new RangeError(`planRooms: clients must be ≥ 1, got ${clients}`);
  if (roomSize === null)
    return {
      rooms: 1,
      roomOf: new Int32Array(clients),
      sizes: Int32Array.of(clients),
      names: [null]
    };
  if (!Number.isInteger(roomSize) || roomSize < 1)
    throw new RangeError(`planRooms: roomSize must be ≥ 1, got ${roomSize}`);
  const rooms = Math.ceil(clients / roomSize);
  const roomOf = new Int32Array(clients);
  const sizes = new Int32Array(rooms);
  for (let i = 0; i < clients; i++) {
    const room = Math.floor(i / roomSize);
    roomOf[i] = room;
    sizes[room] = (sizes[room] ?? 0) + 1;
  }
  return {
    rooms,
    roomOf,
    sizes,
    names: Array.from({ length: rooms }, (_, k) => roomName(k))
  };
}

/** The `(N users online)` at the end of a notice, or null. [CHAT-COUNT-1] */
export function onlineCount(line: string): number | null {
  const m = /\((\d+) users? online\)$/.exec(line);
  return m === null ? null : Number(m[1]);
}

/** `Now in #room (N users online)`, read; null for any other line. [CHAT-CMD-JOIN] */
export function parseNowIn(
  line: string
): { room: string; count: number } | null {
  const m = /^Now in (#[A-Za-z0-9_-]+) \((\d+) users? online\)$/.exec(line);
  return m === null ? null : { room: m[1] ?? '', count: Number(m[2]) };
}

/** One failed check: its kind (as the load generator groups them) and what was seen. */
export interface RoomFailure {
  kind: string;
  example: string;
}

/**
 * The moves' counts, once every client is in its room: in each room the
 * `Now in` counts are 1..size once each (the joins were concurrent, but each
 * one counts a different membership), and every member's last count, after
 * the `New user` notices of those who came after it, is the room's size.
 *
 * @param nowIn each client's `Now in` count (0 when it got none)
 * @param last each client's last count seen in its room
 */
export function roomCountFailures(
  plan: RoomPlan,
  nowIn: ArrayLike<number>,
  last: ArrayLike<number>
): RoomFailure[] {
  const failures: RoomFailure[] = [];
  const byRoom: number[][] = Array.from({ length: plan.rooms }, () => []);
  for (let i = 0; i < plan.roomOf.length; i++) {
    const room = plan.roomOf[i] ?? 0;
    byRoom[room]?.push(nowIn[i] ?? 0);
    const size = plan.sizes[room] ?? 0;
    if ((last[i] ?? 0) !== size)
      failures.push({
        kind: 'final count',
        example: `client ${i} in ${plan.names[room] ?? '#lobby'} last saw ${last[i] ?? 0} users online, not ${size}`
      });
  }
  byRoom.forEach((counts, room) => {
    counts.sort((a, b) => a - b);
    if (counts.some((n, k) => n !== k + 1))
      failures.push({
        kind: 'now-in count',
        example: `the Now in counts of ${plan.names[room] ?? '#lobby'} are not 1..${counts.length} once each (${counts.join(', ')})`
      });
  });
  return failures;
}

/** Lines each room's members must each receive: what the room's members sent. */
export function sentPerRoom(plan: RoomPlan, sent: ArrayLike<number>): number[] {
  const perRoom = new Array<number>(plan.rooms).fill(0);
  for (let i = 0; i < plan.roomOf.length; i++) {
    const room = plan.roomOf[i] ?? 0;
    perRoom[room] = (perRoom[room] ?? 0) + (sent[i] ?? 0);
  }
  return perRoom;
}

/** Deliveries the whole run owes: each room's lines times its members. */
export function expectedDeliveries(
  plan: RoomPlan,
  perRoom: readonly number[]
): number {
  let total = 0;
  for (let room = 0; room < plan.rooms; room++)
    total += (perRoom[room] ?? 0) * (plan.sizes[room] ?? 0);
  return total;
}

/**
 * One order per room: `keys[i]` is client i's (count, order hash); in each
 * room the most common key is the reference. Returns how many clients
 * differ from their room's, and in how many rooms.
 */
export function orderDifferences(
  plan: RoomPlan,
  keys: readonly string[]
): { clients: number; rooms: number } {
  const tallies = Array.from(
    { length: plan.rooms },
    () => new Map<string, number>()
  );
  keys.forEach((key, i) => {
    const tally = tallies[plan.roomOf[i] ?? 0];
    tally?.set(key, (tally.get(key) ?? 0) + 1);
  });
  let clients = 0;
  let rooms = 0;
  tallies.forEach((tally, room) => {
    if (tally.size <= 1) return;
    rooms += 1;
    clients += (plan.sizes[room] ?? 0) - Math.max(...tally.values());
  });
  return { clients, rooms };
}
