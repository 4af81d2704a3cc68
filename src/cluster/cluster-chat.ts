import type { InspectionEvent } from 'xstate';
import type { Directory, RoomNow } from '../actors/commands/directory.js';
import type { NameRegistry } from '../actors/name-registry.js';
import type { RoomOrder } from '../actors/room-order.js';
import type { RoomRegistry } from '../actors/room-registry.js';
import type { Logger } from '../app/logger.js';
import { nameKey } from '../protocol/command.js';
import { LOBBY } from '../protocol/constants.js';
import { startClusterDirectory } from './cluster-directory.js';
import type { ClusterOptions } from './cluster-options.js';
import { RedisLink } from './redis-link.js';
import {
  createRedisOrder,
  startRedisOrder,
  type RedisOrder
} from './redis-order.js';

/** A daemon's part in a cluster: its link to Redis and what runs over it. */
export interface ClusterChat {
  /** The lobby's order, registered and live. */
  readonly lobby: RedisOrder;
  /**
   * The order of the room `name` (`Dev`), joining Redis in the background;
   * `after` is its last life still leaving the order; `onExpired` ends its
   * members when Redis stays out of reach (or the room cannot start).
   */
  orderOf(
    name: string,
    after: Promise<void> | undefined,
    onExpired: (graceMs: number) => void
  ): RoomOrder;
  /** Names, `/who`, `/rooms` and private lines in Redis. */
  startDirectory(options: {
    rooms: RoomRegistry;
    names: NameRegistry;
    roomNow: RoomNow;
  }): Promise<Directory>;
  /** Closes the link; the rooms' orders have left first. */
  close(): void;
}

/**
 * Connects a node to its cluster's Redis (one link, two connections, for
 * every room it serves) and registers it in the lobby; rejects with one
 * line when Redis cannot be reached or registered with. [CLUSTER-1]
 */
export async function joinCluster(options: {
  cluster: ClusterOptions;
  logger: Logger;
  inspect?: ((event: InspectionEvent) => void) | undefined;
  /** Redis was out of reach past the grace period: every member ends. */
  onExpired: (graceMs: number) => void;
}): Promise<ClusterChat> {
  const { cluster, logger, inspect } = options;
  const link = new RedisLink(cluster);
  await link.connect((err) =>
    logger.debug('redis connection error', { err, node: cluster.nodeId })
  );
  const common = { cluster, link, logger, inspect };
  const lobby = await startRedisOrder({
    ...common,
    room: LOBBY,
    label: `#${LOBBY}`,
    lobby: true,
    onExpired: options.onExpired
  }).catch((err: unknown) => {
    link.close();
    throw err;
  });
  return {
    lobby,
    orderOf: (name, after, onExpired) => {
      const { order, started } = createRedisOrder({
        ...common,
        room: nameKey(name),
        label: `#${name}`,
        lobby: false,
        after,
        onExpired
      });
      void started.then((error) => {
        if (error === null) return;
        logger.warn('room could not join the cluster', { room: name, error });
        onExpired(cluster.graceMs);
      });
      return order;
    },
    startDirectory: (rooms) =>
      startClusterDirectory({
        ...rooms,
        cluster,
        link,
        lobbyPrefix: `${cluster.name}:{${LOBBY}}:`,
        logger
      }),
    close: () => link.close()
  };
}
