import {
  COMMAND_ERRORS,
  parseNickRefusal,
  parseNowIn,
  parseRename
} from '../../protocol/command-format.js';
import { isNickname, nameKey } from '../../protocol/command.js';
import { LOBBY_ROOM } from '../../protocol/constants.js';

/**
 * Who and where this client is, as far as the server has said: its room,
 * its name, and the `/nick` requests it has not answered yet. Immutable:
 * each function returns a new state.
 */
export interface SessionState {
  /** The room, as the server spells it; `#lobby` until it says otherwise. [CHAT-ROOM-1] */
  readonly room: string;
  /** The name the server confirmed, or undefined while anonymous. */
  readonly name: string | undefined;
  /** The names of the `/nick` requests sent and not yet answered, oldest first. */
  readonly pendingNicks: readonly string[];
  /**
   * The last name taken from a rename whose OLD was an address, and the
   * name before it. Another anonymous member of the room may have taken the
   * same name a moment before us; our own answer is then
   * `Error: nickname NAME is taken`, right after their rename.
   */
  readonly unconfirmed?: {
    readonly name: string;
    readonly previous: string | undefined;
  };
}

/** Where every connection starts: `#lobby`, anonymous. [CHAT-ROOM-1] */
export const INITIAL_SESSION: SessionState = {
  room: LOBBY_ROOM,
  name: undefined,
  pendingNicks: []
};

/** Records that this client sent `/nick NAME`. */
export function nickRequested(state: SessionState, name: string): SessionState {
  return { ...state, pendingNicks: [...state.pendingNicks, name] };
}

/**
 * The pending requests after the one for `name` was answered: answers come
 * in the order the requests were sent, so earlier ones are settled too (by
 * a line this parser does not know, such as a flood of other errors).
 */
function answered(
  pending: readonly string[],
  name: string
): readonly string[] | null {
  const index = pending.findIndex((p) => nameKey(p) === nameKey(name));
  return index === -1 ? null : pending.slice(index + 1);
}

/**
 * Reads one server line and returns the state after it; the same object
 * when the line changes nothing.
 *
 * - `Now in #room (N users online)` moves us (`/join`, `/part`). Only the
 *   mover gets it, and no other line can look like it. [CHAT-CMD-JOIN]
 * - `OLD is now known as NAME` renames us only while we asked for NAME
 *   (compared without case) and OLD is who we are: our name, or an address
 *   while we are anonymous. Everyone in the room sees renames. [CHAT-CMD-NICK]
 * - `Error: nickname NAME is taken` or `... already known as NAME` answers
 *   our request; `Error: the chat is temporarily unavailable…` (a cluster
 *   whose Redis is out of reach) answers every request still waiting.
 */
export function readServerLine(
  state: SessionState,
  line: string
): SessionState {
  const nowIn = parseNowIn(line);
  if (nowIn !== null) {
    return nowIn.room === state.room ? state : { ...state, room: nowIn.room };
  }
  const rename = parseRename(line);
  if (rename !== null) return renamed(state, rename.old, rename.name);
  const refused = parseNickRefusal(line);
  if (refused !== null) {
    const pending = answered(state.pendingNicks, refused);
    if (pending !== null) return { ...state, pendingNicks: pending };
    // No request was waiting: the rename we took was another member's.
    const { unconfirmed } = state;
    if (
      unconfirmed !== undefined &&
      line === COMMAND_ERRORS.nickTaken(refused) &&
      nameKey(unconfirmed.name) === nameKey(refused) &&
      state.name === unconfirmed.name
    ) {
      return {
        room: state.room,
        name: unconfirmed.previous,
        pendingNicks: state.pendingNicks
      };
    }
    return state;
  }
  if (line === COMMAND_ERRORS.unavailable && state.pendingNicks.length > 0) {
    return { ...state, pendingNicks: [] };
  }
  return state;
}

function renamed(state: SessionState, old: string, name: string): SessionState {
  const pending = answered(state.pendingNicks, name);
  if (pending === null) return state;
  if (state.name !== undefined) {
    // Names are unique: OLD being ours makes the rename ours.
    if (nameKey(old) !== nameKey(state.name)) return state;
    return { room: state.room, name, pendingNicks: pending };
  }
  // Anonymous, we are named by the address the server sees, which a proxy
  // or NAT can make differ from our socket's: any address may be us.
  if (isNickname(old)) return state;
  return {
    room: state.room,
    name,
    pendingNicks: pending,
    unconfirmed: { name, previous: state.name }
  };
}

/**
 * The prompt for a state: `#room> ` while anonymous, `NAME@#room> ` once
 * named.
 *
 * @example formatPrompt({ ...INITIAL_SESSION, name: 'alice' }) // 'alice@#lobby> '
 */
export function formatPrompt(
  state: Pick<SessionState, 'room' | 'name'>
): string {
  return state.name === undefined
    ? `${state.room}> `
    : `${state.name}@${state.room}> `;
}
