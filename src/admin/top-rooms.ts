/** Rooms given a series of their own in `chat_room_members`; the rest share one. */
export const ROOM_SERIES = 10;

/** The label of the series that sums every room outside the top. */
export const OTHER_ROOMS = '(other)';

/** One room's label and membership, as the metrics read it. */
export interface RoomCount {
  readonly label: string;
  readonly members: number;
}

/**
 * The `n` rooms with the most members (ties by label, so a scrape is
 * deterministic), then one `(other)` entry summing the rest, present even
 * when it is 0: at most `n + 1` series whatever the number of rooms, so the
 * metric's cardinality stays bounded. No room is called `(other)`: room
 * names are `#` and letters, digits, `_` or `-` [CHAT-CMD-JOIN].
 *
 * @example topRooms([{ label: '#a', members: 2 }], 10) // [['#a', 2], ['(other)', 0]]
 */
export function topRooms(
  rooms: readonly RoomCount[],
  n: number = ROOM_SERIES
): Array<[string, number]> {
  const sorted = [...rooms].sort(
    (a, b) =>
      b.members - a.members ||
      (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)
  );
  const top = sorted
    .slice(0, n)
    .map(({ label, members }): [string, number] => [label, members]);
  const other = sorted.slice(n).reduce((sum, room) => sum + room.members, 0);
  return [...top, [OTHER_ROOMS, other]];
}
