import type {
  Directory,
  RoomCount,
  RoomNow
} from '../actors/commands/directory.js';
import type { NameRegistry } from '../actors/name-registry.js';
import type { RoomRegistry } from '../actors/room-registry.js';
import type { Logger } from '../app/logger.js';
import { formatPrivateIn } from '../protocol/command-format.js';
import { RETRY_MS, type ClusterOptions } from './cluster-options.js';
import { fieldsOf } from './entries.js';
import type { RedisLink } from './redis-link.js';
import type { StreamReader } from './stream-hub.js';

/** Private lines an inbox keeps for a node that has not read them yet. */
const INBOX_MAX_ENTRIES = 10_000;

/** What a cluster's directory needs. */
export interface ClusterDirectoryOptions {
  cluster: ClusterOptions;
  /** The node's connections to Redis, shared with its rooms. */
  link: RedisLink;
  /** The lobby's key prefix: the name scripts read the cluster's from it. */
  lobbyPrefix: string;
  /** This node's rooms, for `/rooms`. */
  rooms: RoomRegistry;
  /** Where a private line to one of this node's members goes. */
  roomNow: RoomNow;
  /** The names of this node's members, kept in step with Redis's. */
  names: NameRegistry;
  logger: Logger;
}

/**
 * Names, `/rooms`, `/who` and private lines across a cluster, in Redis
 * (src/cluster/scripts.ts: CLAIM, RELEASE, SEND, WHO). A name is taken in
 * one atomic step, so of two members racing for it on two nodes exactly
 * one wins; it is freed when its holder renames or leaves, and with every
 * name of a node found dead (BEAT in the lobby). A private line to a member
 * of another node goes to that node's inbox stream, which this directory
 * reads for its own node and hands to the member's room, after everything
 * the member was sent so far. [CHAT-NICK-1] [CHAT-CMD-MSG]
 */
export async function startClusterDirectory(
  options: ClusterDirectoryOptions
): Promise<Directory> {
  const { cluster, link, lobbyPrefix, rooms, names, roomNow } = options;
  /** True while `connId` is one of this node's connections. */
  const present = (connId: string): boolean => roomNow(connId) !== undefined;
  const { nodeId } = cluster;
  const logger = options.logger.child({
    component: 'directory',
    node: nodeId
  });
  const inbox = `${cluster.name}:inbox:${nodeId}`;
  // What an earlier life of this node id left is not for today's members.
  await link.commands.del(inbox);
  let running = true;

  const deliver = (conn: string, from: string, text: string): void => {
    const room = roomNow(conn);
    if (room !== undefined) room.tell(conn, [formatPrivateIn(from, text)]);
    else logger.info('private line for a member that left', { connId: conn });
  };
  let lastId = '0-0';
  const inboxReader: StreamReader = {
    key: inbox,
    lastId: () => lastId,
    entries: (raw) => {
      for (const [id, fields] of raw) {
        lastId = id;
        const f = fieldsOf(fields);
        const conn = f.get('c');
        const from = f.get('f');
        const text = f.get('x');
        if (conn !== undefined && from !== undefined && text !== undefined)
          deliver(conn, from, text);
      }
    },
    failed: (err) => {
      logger.warn('redis inbox read failed', { err: link.failed(err) });
      // Read on from the last line read once Redis answers again.
      setTimeout(() => {
        if (running) link.streams.add(inboxReader);
      }, RETRY_MS);
    }
  };
  link.streams.add(inboxReader);

  const release = (connId: string): void => {
    link.scripts
      .chatRelease(lobbyPrefix, nodeId, connId)
      .catch((err: unknown) =>
        logger.warn('redis name release failed', {
          connId,
          err: link.failed(err)
        })
      );
  };

  return {
    claim: async (connId, name) => {
      if (names.nameOf(connId) === name) return 'same';
      const answer = await link.scripts.chatClaim(
        lobbyPrefix,
        nodeId,
        connId,
        name
      );
      if (answer !== 'claimed') return answer;
      if (!present(connId)) {
        // It left while Redis answered: the name is free again.
        release(connId);
        return answer;
      }
      if (names.claim(connId, name) === 'taken')
        logger.warn('names out of step with redis', { connId, nick: name });
      return answer;
    },
    release: (connId) => {
      if (names.nameOf(connId) === undefined) return;
      names.release(connId);
      release(connId);
    },
    send: async (from, name, text) => {
      const holder = await link.scripts.chatSend(
        lobbyPrefix,
        nodeId,
        name,
        from,
        text,
        String(INBOX_MAX_ENTRIES)
      );
      if (holder.length === 0) return null;
      const [node, conn, held] = holder;
      if (node === nodeId) deliver(conn, from, text);
      return held;
    },
    rooms: async () => {
      const [counts, labels] = await Promise.all([
        link.commands.hgetall(`${cluster.name}:rooms`),
        link.commands.hgetall(`${cluster.name}:labels`)
      ]);
      const list: RoomCount[] = Object.entries(counts).map(([key, n]) => ({
        name: labels[key] ?? `#${key}`,
        count: Number(n)
      }));
      // The lobby is always there, even with nobody in it.
      if (!(rooms.lobby.name in counts))
        list.push({ name: rooms.lobby.label, count: 0 });
      return list.sort((a, b) => a.name.localeCompare(b.name));
    },
    who: (room) => room.who(),
    stop: () => {
      running = false;
      link.streams.remove(inboxReader);
    }
  };
}
