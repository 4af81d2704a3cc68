import type { InspectionEvent } from 'xstate';
import type { Logger } from '../app/logger.js';

/** The daemon's actors, sent on to a Stately inspector relay. */
export interface StatelyLink {
  readonly inspect: (event: InspectionEvent) => void;
  /** Closes the WebSocket. Its reconnect timer may outlive this: exit the process. */
  stop(): void;
}

const MAX_DEPTH = 4;

/**
 * JSON-safe data for the inspector: actor references become `{ actor: id }`,
 * sockets and other class instances their class name, maps plain objects;
 * nothing deeper than MAX_DEPTH. A connection's context holds its socket,
 * whose object graph the inspector would otherwise walk on every event.
 */
export function plain(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? '[function]' : value;
  }
  if (depth >= MAX_DEPTH) return '[…]';
  if ('sessionId' in value && 'send' in value) {
    return {
      actor: 'id' in value ? String(value.id) : String(value.sessionId)
    };
  }
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1));
  if (value instanceof Map) {
    return Object.fromEntries(
      [...value].map(([key, item]) => [String(key), plain(item, depth + 1)])
    );
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return `[${(value.constructor as { name?: string } | undefined)?.name ?? 'object'}]`;
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, plain(item, depth + 1)])
  );
}

/** A snapshot with its context and children made plain. */
function plainSnapshot(snapshot: unknown): unknown {
  if (typeof snapshot !== 'object' || snapshot === null) return snapshot;
  const { status, value, context, children, output, error } =
    snapshot as Record<string, unknown>;
  return {
    status,
    value,
    context: plain(context),
    children: plain(children),
    output: plain(output),
    error: plain(error)
  };
}

/**
 * Connects to a Stately inspector relay (`@statelyai/inspect`'s WebSocket
 * inspector, loaded only now) and returns the observer to give the
 * daemon's actors. Forwards actor, event and snapshot events only (the
 * inspector ignores the rest), each made plain first. The library retries
 * a missing relay every 5 s for as long as the process lives
 * (docs/facts.md): chat-server exits explicitly after shutdown.
 */
export async function connectStately(
  url: string,
  logger: Logger
): Promise<StatelyLink> {
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const inspector = createWebSocketInspector({
    url,
    sanitizeContext: (context) => plain(context) as Record<string, unknown>,
    sanitizeEvent: (event) => plain(event) as typeof event
  });
  logger.info('sending inspection events to the Stately inspector', { url });
  return {
    inspect: (event) => {
      switch (event.type) {
        case '@xstate.actor':
        case '@xstate.event':
          inspector.inspect.next?.(event);
          return;
        case '@xstate.snapshot':
          inspector.inspect.next?.({
            ...event,
            snapshot: plainSnapshot(event.snapshot) as typeof event.snapshot
          });
          return;
      }
    },
    stop: () => inspector.stop()
  };
}
