/**
 * Rooms and nicknames in the admin listener (docs/inspector.md): real chat
 * clients over 127.0.0.1 send `/nick` and `/join #dev`, and the table rows
 * and their room filter, the rooms page, `/events`' renames and moves, and
 * `/metrics` say so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionRow, IdentityChange } from '../../src/admin/monitor.js';
import type { RoomRow } from '../../src/admin/room-board.js';
import { createHarness } from '../support/harness.js';
import { openSse, request } from '../support/sse.js';
import { until } from '../support/wait.js';

const { cleanups, daemon, client } = createHarness();
afterEach(() => cleanups.run());

interface Update {
  room: { members: number; messages: number; rooms: number; names: number };
  renames: IdentityChange[];
  moves: IdentityChange[];
  view?: { room: string | null; total: number; rows: ConnectionRow[] };
  rooms?: { offset: number; limit: number; total: number; rows: RoomRow[] };
}

const GREETING = (line: string): boolean =>
  line.startsWith('Connected to the chat server (');

/** A daemon with admin, and `n` members in the lobby past their greetings. */
async function lobby(n: number) {
  const t = await daemon({ admin: { host: '127.0.0.1', port: 0 } });
  const url = t.daemon.admin?.url ?? '';
  const clients = [];
  for (let i = 0; i < n; i += 1) {
    const c = await client(t.port);
    await c.waitForLine(GREETING);
    clients.push(c);
  }
  return { t, url, clients };
}

async function getJson<T>(url: string): Promise<T> {
  const reply = await request(url);
  expect(reply.status, reply.body).toBe(200);
  return JSON.parse(reply.body) as T;
}

/** `name{labels} value` lines of one metric, as `labels → value`. */
function series(text: string, name: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const m of text.matchAll(
    new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')
  ))
    found[m[1] ?? ''] = Number(m[2]);
  return found;
}

describe('rooms and names in the admin listener', () => {
  it('shows each connection’s name and room, and filters the table by room', async () => {
    const { url, clients } = await lobby(3);
    const [a, b] = clients;
    if (a === undefined || b === undefined) throw new Error('no clients');
    await a.send('/nick ann');
    await a.waitForLine((line) => line.endsWith('is now known as ann'));
    await a.send('/join #Dev');
    await a.waitForLine('Now in #Dev (1 user online)');
    await b.send('/join #dev');
    await b.waitForLine('Now in #Dev (2 users online)');

    const inDev = await getJson<{ total: number; rows: ConnectionRow[] }>(
      `${url}api/connections?room=%23DEV&order=oldest`
    );
    expect(inDev.total).toBe(2);
    expect(inDev.rows.map((r) => [r.remote, r.name, r.room])).toEqual([
      [a.localAddr, 'ann', '#Dev'],
      [b.localAddr, null, '#Dev']
    ]);
    const inLobby = await getJson<{ total: number; rows: ConnectionRow[] }>(
      `${url}api/connections?room=%23lobby`
    );
    expect(inLobby.rows.map((r) => [r.name, r.room, r.state])).toEqual([
      [null, '#lobby', 'online']
    ]);
    const all = await getJson<{ total: number }>(`${url}api/connections`);
    expect(all.total).toBe(3);

    const bad = await request(`${url}api/connections?room=dev`);
    expect(bad.status).toBe(400);
    expect(bad.body).toBe(
      'invalid room "dev" (expected # and 1-32 letters, digits, _ or -)\n'
    );

    const rooms = await getJson<{ total: number; rows: RoomRow[] }>(
      `${url}api/rooms`
    );
    expect(rooms.total).toBe(2);
    expect(rooms.rows.map((r) => [r.name, r.members])).toEqual([
      ['#Dev', 2],
      ['#lobby', 1]
    ]);
  });

  it('streams renames and moves, the rooms page and a room-filtered view on /events', async () => {
    const { url, clients } = await lobby(2);
    const [a, b] = clients;
    if (a === undefined || b === undefined) throw new Error('no clients');
    const stream = await openSse(`${url}events?interval=100&room=%23dev`);
    cleanups.add(() => stream.close());
    const first = await stream.next<Update>('update');
    expect(first.view).toMatchObject({ room: '#dev', total: 0, rows: [] });
    expect(first.rooms).toEqual({
      offset: 0,
      limit: 20,
      total: 1,
      rows: [{ name: '#lobby', members: 2, messages: 0, perSecond: 0 }]
    });
    expect(first.room).toMatchObject({ members: 2, rooms: 1, names: 0 });

    await a.send('/nick ann');
    await a.waitForLine((line) => line.endsWith('is now known as ann'));
    await a.send('/nick Anna');
    await a.waitForLine((line) => line.endsWith('is now known as Anna'));
    await a.send('/join #dev');
    await a.waitForLine('Now in #dev (1 user online)');
    await a.send('hello dev');
    await a.waitForLine('[You] hello dev');

    // Whatever updates it took: the latest view and rooms page, and every
    // rename and move carried so far.
    const updates = () => stream.all<Update>('update');
    const latest = <K extends 'view' | 'rooms'>(key: K) =>
      updates()
        .map((u) => u[key])
        .filter((v): v is NonNullable<Update[K]> => v !== undefined)
        .at(-1);
    await until(
      () =>
        latest('view')?.rows[0]?.state === 'online' &&
        latest('rooms')?.rows[0]?.messages === 1,
      'the view and the rooms page show ann in #dev'
    );
    expect(updates().flatMap((u) => u.renames)).toMatchObject([
      { remote: a.localAddr, from: null, to: 'ann' },
      { remote: a.localAddr, from: 'ann', to: 'Anna' }
    ]);
    expect(updates().flatMap((u) => u.moves)).toMatchObject([
      { remote: a.localAddr, from: '#lobby', to: '#dev' }
    ]);
    expect(latest('view')?.rows).toMatchObject([
      { remote: a.localAddr, name: 'Anna', room: '#dev' }
    ]);
    expect(latest('rooms')?.rows.map((r) => [r.name, r.members])).toEqual([
      ['#dev', 1],
      ['#lobby', 1]
    ]);
    expect(updates().at(-1)?.room).toMatchObject({ rooms: 2, names: 1 });

    const bad = await openSse(`${url}events?room=%23no%20way`);
    cleanups.add(() => bad.close());
    expect(bad.status).toBe(400);
  });

  it('exports rooms, names, refusals and the members of the largest rooms, bounded', async () => {
    // 13 rooms beyond the lobby: more than get a series of their own.
    const { t, url, clients } = await lobby(14);
    for (const [i, c] of clients.entries()) {
      if (i === 0) continue;
      // Rooms #r01..#r13, one member each, and #r01 gets a second.
      const room = `#r${String(i).padStart(2, '0')}`;
      await c.send(`/join ${room}`);
      await c.waitForLine((line) => line.startsWith(`Now in ${room} (`));
    }
    const [first] = clients;
    if (first === undefined) throw new Error('no clients');
    await first.send('/join #r01');
    await first.waitForLine('Now in #r01 (2 users online)');
    await first.send('/nick zed');
    await first.waitForLine((line) => line.endsWith('is now known as zed'));
    await first.send('/nick zed');
    await first.waitForLine('Error: you are already known as zed');
    await first.send('/msg nobody hi');
    await first.waitForLine('Error: no such user nobody');
    await until(
      () => t.daemon.stats().rooms === 14,
      'the emptied lobby stays, 14 rooms'
    );

    const text = (await request(`${url}metrics`)).body;
    expect(text).toMatch(/^# TYPE chat_rooms gauge$/m);
    expect(series(text, 'chat_rooms')).toEqual({ '': 14 });
    expect(series(text, 'chat_names')).toEqual({ '': 1 });
    const members = series(text, 'chat_room_members');
    // #r01 (2), then nine rooms of 1 by name; #r11..#r13 and the empty
    // lobby share (other).
    expect(members).toEqual({
      '{room="#r01"}': 2,
      ...Object.fromEntries(
        [2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [
          `{room="#r${String(i).padStart(2, '0')}"}`,
          1
        ])
      ),
      '{room="(other)"}': 3
    });
    const refusals = series(text, 'chat_command_refusals_total');
    expect(refusals['{reason="same nickname"}']).toBe(1);
    expect(refusals['{reason="no such user"}']).toBe(1);
    expect(refusals['{reason="nickname taken"}']).toBe(0);
  });
});
