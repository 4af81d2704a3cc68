import { describe, expect, it } from 'vitest';
import {
  COMMAND_ERRORS,
  formatNowIn,
  formatPrivateIn,
  formatRename
} from '../../../../src/protocol/command-format.js';
import { formatRelayed } from '../../../../src/protocol/format.js';
import {
  INITIAL_SESSION,
  formatPrompt,
  nickRequested,
  readServerLine,
  type SessionState
} from '../../../../src/tools/client/session-state.js';

const ME = '127.0.0.1:5001';
const OTHER = '127.0.0.1:6002';

/** The state after the server lines, read in order from `state`. */
function read(state: SessionState, ...lines: string[]): SessionState {
  return lines.reduce(readServerLine, state);
}

/** Only what the prompt shows. */
function shown(state: SessionState): { room: string; name?: string } {
  return state.name === undefined
    ? { room: state.room }
    : { room: state.room, name: state.name };
}

describe('session state', () => {
  it('starts anonymous in #lobby, and says so in the prompt', () => {
    expect(shown(INITIAL_SESSION)).toEqual({ room: '#lobby' });
    expect(formatPrompt(INITIAL_SESSION)).toBe('#lobby> ');
    expect(formatPrompt({ room: '#dev', name: 'alice' })).toBe('alice@#dev> ');
  });

  it('follows the room the server says we are in [CHAT-CMD-JOIN]', () => {
    const moved = read(INITIAL_SESSION, formatNowIn('#Dev', 1));
    expect(shown(moved)).toEqual({ room: '#Dev' });
    expect(shown(read(moved, formatNowIn('#lobby', 3)))).toEqual({
      room: '#lobby'
    });
  });

  it('keeps the room when another member only talks about one', () => {
    const lines = [
      formatRelayed(OTHER, formatNowIn('#evil', 2)),
      `* bob ${formatNowIn('#evil', 2)}`,
      `The user bob left: ${formatNowIn('#evil', 2)} (1 user online)`
    ];
    expect(read(INITIAL_SESSION, ...lines)).toBe(INITIAL_SESSION);
  });

  it('takes a name only from the answer to its own /nick [CHAT-CMD-NICK]', () => {
    // Somebody else's rename, with no request out, changes nothing.
    expect(read(INITIAL_SESSION, formatRename(OTHER, 'alice'))).toBe(
      INITIAL_SESSION
    );
    const asked = nickRequested(INITIAL_SESSION, 'alice');
    const named = read(asked, formatRename(ME, 'Alice'));
    expect(shown(named)).toEqual({ room: '#lobby', name: 'Alice' });
    expect(named.pendingNicks).toEqual([]);
  });

  it('renames a named client only from its own name', () => {
    const alice = read(
      nickRequested(INITIAL_SESSION, 'alice'),
      formatRename(ME, 'alice')
    );
    const asked = nickRequested(alice, 'carol');
    // bob becomes carol first: not us, and the request stays out.
    const notUs = read(asked, formatRename('bob', 'carol'));
    expect(shown(notUs)).toEqual({ room: '#lobby', name: 'alice' });
    expect(notUs.pendingNicks).toEqual(['carol']);
    const refused = read(notUs, COMMAND_ERRORS.nickTaken('carol'));
    expect(shown(refused)).toEqual({ room: '#lobby', name: 'alice' });
    expect(refused.pendingNicks).toEqual([]);
    // Once the request is answered, a later rename to carol is not ours.
    expect(read(refused, formatRename('alice', 'carol'))).toBe(refused);
  });

  it('clears the request the server refuses, and those before it', () => {
    let state = nickRequested(INITIAL_SESSION, 'a1');
    state = nickRequested(state, 'b2');
    state = nickRequested(state, 'c3');
    state = read(state, COMMAND_ERRORS.sameNick('b2'));
    expect(state.pendingNicks).toEqual(['c3']);
    expect(read(state, COMMAND_ERRORS.unavailable).pendingNicks).toEqual([]);
  });

  it('follows two renames asked for in a row', () => {
    let state = nickRequested(INITIAL_SESSION, 'one');
    state = nickRequested(state, 'two');
    state = read(state, formatRename(ME, 'one'), formatRename('one', 'two'));
    expect(shown(state)).toEqual({ room: '#lobby', name: 'two' });
  });

  it('gives a name back when another anonymous member took it first', () => {
    const asked = nickRequested(INITIAL_SESSION, 'alice');
    // From an address we cannot tell their rename from ours...
    const taken = read(asked, formatRename(OTHER, 'alice'));
    expect(shown(taken)).toEqual({ room: '#lobby', name: 'alice' });
    // ...until our own answer arrives.
    const back = read(taken, COMMAND_ERRORS.nickTaken('alice'));
    expect(shown(back)).toEqual({ room: '#lobby' });
  });

  it('ignores a private line, whoever it is from', () => {
    expect(
      read(
        nickRequested(INITIAL_SESSION, 'alice'),
        formatPrivateIn('bob', formatRename(ME, 'alice'))
      ).name
    ).toBeUndefined();
  });
});
