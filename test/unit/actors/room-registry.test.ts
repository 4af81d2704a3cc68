import { afterEach, describe, expect, it } from 'vitest';
import { createRoom, type Room } from '../../../src/actors/room-actor.js';
import { createRoomRegistry } from '../../../src/actors/room-registry.js';
import { createLogger } from '../../../src/app/logger.js';
import { createCleanups } from '../../support/cleanup.js';

const cleanups = createCleanups();
afterEach(() => cleanups.run());

const logger = createLogger({ level: 'error' });

function room(name: string): Room {
  const r = createRoom({ name, logger, onFault: () => undefined });
  cleanups.add(() => r.stop());
  return r;
}

function registry(limits = {}, now = () => 0) {
  const lobby = room('lobby');
  return createRoomRegistry({ lobby, create: room, limits, now });
}

/** After the microtasks: a room retires on one, and closes over a few more. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createRoomRegistry [CHAT-ROOM-1]', () => {
  it('seats everyone in the lobby until they enter a room', () => {
    const rooms = registry();
    expect(rooms.seatOf('c1')).toBe(rooms.lobby);
    expect(rooms.byRef(rooms.lobby.ref)).toBe(rooms.lobby);
  });

  it('creates a room on its first seat, one per name in any case', () => {
    const rooms = registry();
    const dev = rooms.enter('c1', '#Dev');
    expect('code' in dev).toBe(false);
    expect(rooms.enter('c2', '#dev')).toBe(dev);
    expect(rooms.seatOf('c2')).toBe(dev);
    expect((dev as Room).label).toBe('#Dev');
    expect(rooms.list().map((r) => r.name)).toEqual(['#Dev', '#lobby']);
  });

  it('refuses the room a connection is already in', () => {
    const rooms = registry();
    expect(rooms.enter('c1', '#LOBBY')).toMatchObject({
      code: 'already there',
      line: 'Error: you are already in #lobby'
    });
    rooms.enter('c1', '#a');
    expect(rooms.enter('c1', '#A')).toMatchObject({ code: 'already there' });
  });

  it('closes a room when its last seat is given up, never the lobby', async () => {
    const rooms = registry();
    const a = rooms.enter('c1', '#a') as Room;
    rooms.enter('c2', '#a');
    rooms.release('c1');
    await tick();
    expect(a.isRunning()).toBe(true);
    rooms.enter('c2', '#lobby');
    await tick();
    expect(a.isRunning()).toBe(false);
    expect(rooms.byRef(a.ref)).toBeUndefined();
    expect(rooms.all()).toEqual([rooms.lobby]);
    rooms.release('c2');
    await tick();
    expect(rooms.lobby.isRunning()).toBe(true);
  });

  it('keeps a room a new seat arrives in before it closes', async () => {
    const rooms = registry();
    const a = rooms.enter('c1', '#a') as Room;
    rooms.release('c1');
    expect(rooms.enter('c2', '#a')).toBe(a);
    await tick();
    expect(a.isRunning()).toBe(true);
  });

  it('limits rooms in all [CHAT-LIMIT-2]', () => {
    const rooms = registry({ maxRooms: 2 });
    rooms.enter('c1', '#a');
    expect(rooms.enter('c2', '#b')).toEqual({
      code: 'too many rooms',
      line: 'Error: too many rooms (limit 2); join an existing one'
    });
  });

  it('limits the rooms one connection creates per minute [CHAT-LIMIT-2]', () => {
    let now = 0;
    const rooms = registry({ roomCreatesPerMinute: 2 }, () => now);
    rooms.enter('c1', '#a');
    rooms.enter('c1', '#b');
    expect(rooms.enter('c1', '#c')).toMatchObject({ code: 'too many creates' });
    expect('code' in rooms.enter('c2', '#c')).toBe(false);
    now = 60_001;
    expect('code' in rooms.enter('c1', '#d')).toBe(false);
  });
});
