/**
 * ConnectionRegistry: the composition core startDaemon and the replay
 * server share (issue 16, item 2), over in-memory connections on a virtual
 * clock: no socket, no real timer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRoom, type Room } from '../../../src/actors/room-actor.js';
import { ConnectionRegistry } from '../../../src/app/connection-registry.js';
import { DEFAULT_LIMITS } from '../../../src/app/limits.js';
import { createLogger } from '../../../src/app/logger.js';
import type {
  ConnectionPort,
  LeaveReason
} from '../../../src/machines/types.js';
import { LOBBY } from '../../../src/protocol/constants.js';
import { SHUTDOWN_NOTICE } from '../../../src/protocol/format.js';
import { VirtualClock } from '../../../src/testing/replay/scheduler.js';
import { MemoryConnection } from '../../../src/transport/memory-connection.js';

const logger = createLogger({ console: false });
let rooms: Room[] = [];
afterEach(() => {
  for (const room of rooms) room.stop();
  rooms = [];
});

function setup(
  wrapPort?: (port: ConnectionPort, connId: string) => ConnectionPort
) {
  const clock = new VirtualClock();
  const room = createRoom({
    name: LOBBY,
    logger,
    onFault: (err) => {
      throw err;
    },
    scheduler: {
      set: (flush) => clock.setTimeout(flush, 0),
      clear: (handle) => clock.clearTimeout(handle)
    }
  });
  rooms.push(room);
  const seen: string[] = [];
  const registry = new ConnectionRegistry<MemoryConnection>({
    room,
    logger,
    clock,
    wrapPort,
    onAccept: (connId, port) => seen.push(`accept ${connId} ${port.remote}`),
    onDone: (connId: string, reason: LeaveReason) =>
      seen.push(
        `done ${connId} ${reason} ${registry.disconnects()[reason]} left ${registry.size}`
      )
  });
  let next = 50_001;
  const connect = () => {
    const conn = new MemoryConnection({
      remote: `127.0.0.1:${next++}`,
      limits: DEFAULT_LIMITS,
      timers: clock
    });
    return { conn, connId: registry.accept(conn) };
  };
  return { clock, registry, seen, connect };
}

describe('ConnectionRegistry', () => {
  it('numbers each connection in order and starts its actor, after onAccept and behind wrapPort', () => {
    const wrapped: string[] = [];
    const { clock, registry, seen, connect } = setup((port, connId) => {
      wrapped.push(connId);
      return port;
    });
    const a = connect();
    const b = connect();
    clock.advance(0);
    expect([a.connId, b.connId]).toEqual(['c1', 'c2']);
    expect(wrapped).toEqual(['c1', 'c2']);
    expect(seen).toEqual([
      'accept c1 127.0.0.1:50001',
      'accept c2 127.0.0.1:50002'
    ]);
    expect(registry.accepted).toBe(2);
    expect(registry.size).toBe(2);
    expect(b.conn.transcript()).toEqual([
      'Connected to the chat server (2 users online)'
    ]);
  });

  it('forgets a connection that ended and counts its reason before onDone', () => {
    const { clock, registry, seen, connect } = setup();
    const a = connect();
    connect();
    a.conn.peerReset();
    clock.advance(0);
    expect(seen.at(-1)).toBe('done c1 socket error 1 left 1');
    expect(registry.size).toBe(1);
    expect(registry.disconnects()['socket error']).toBe(1);
    expect(registry.accepted).toBe(2);
  });

  it('on shutdown stops accepting and tells every connection, once', () => {
    const { clock, registry, connect } = setup();
    const a = connect();
    const b = connect();
    registry.shutdown();
    registry.shutdown();
    clock.advance(0);
    expect(registry.accepting).toBe(false);
    expect(connect().connId).toBeNull();
    expect(registry.accepted).toBe(2);
    for (const { conn } of [a, b]) {
      expect(conn.transcript().at(-1)).toBe(SHUTDOWN_NOTICE);
      expect(
        conn.transcript().filter((l) => l === SHUTDOWN_NOTICE)
      ).toHaveLength(1);
    }
  });

  it('sends a server event to every live connection', () => {
    const { clock, registry, connect } = setup();
    const a = connect();
    registry.sendAll({ type: 'server.unavailable', graceMs: 1000 });
    clock.advance(0);
    expect(a.conn.isEnding).toBe(true);
    expect(registry.disconnects()['chat unavailable']).toBe(1);
    expect(registry.size).toBe(0);
  });
});
