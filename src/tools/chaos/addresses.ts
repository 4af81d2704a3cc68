/**
 * What the room calls chat-chaos's own connections. Behind a proxy or a load
 * balancer the server shows the balancer's address, not the socket's local
 * one, so names are learned from what the room shows [CHAT-ADDR-1]:
 *
 * - an observer's, as the sender of its tagged lines (`o2.5`, `settle o2`)
 *   that another of our connections received;
 * - a faulty client's, as the sender of its tag (`f3.1 …`) in the
 *   reference's transcript.
 *
 * A connection that sent nothing the room relayed has no name: the checks
 * make no claim about whose it is.
 */
import { parseRoomLine } from '../peers/room-line.js';
import type { Transcript } from '../peers/transcript.js';
import { OWN_PREFIX } from '../../protocol/format.js';

/** The head faulty clients start their lines with: `f3.1`, `f7c12.1`. */
export const HEAD_RE = /^(f\d+(?:c\d+)?)\.\d+(?= |$)/;

/** An observer's chat line or marker, as relayed to others. */
const OBSERVER_LINE_RE = /^\[(\S+)\] (?:o(\d+)\.\d+|settle o(\d+))$/;

/** A connection and what it received. */
export interface Listener {
  readonly localAddr: string;
  readonly lines: readonly string[];
}

/** What the room calls the observers. */
export interface ObserverNames {
  /** Each observer's address as the room shows it, in join order. */
  readonly names: readonly string[];
  /**
   * True when the room shows the observers under their own local addresses
   * (nothing between chat-chaos and the server rewrites them), so every
   * direct connection can be named by its local address.
   */
  readonly direct: boolean;
  /** True when at least one observer was heard (else nothing was learned). */
  readonly heard: boolean;
}

/**
 * Learns each observer's name from the lines `listeners` received (the
 * observers and any other connection of ours). Without proof otherwise (an
 * observer nobody heard) the local address stands. Direct when most
 * observers that were heard are shown under their local address: one bad
 * attribution by the server must not turn the checks blind.
 */
export function learnObserverNames(
  observers: readonly Listener[],
  listeners: readonly Listener[]
): ObserverNames {
  const heard = new Map<number, string>();
  for (const listener of listeners) {
    for (const line of listener.lines) {
      const match = OBSERVER_LINE_RE.exec(line);
      if (match === null || line.startsWith(OWN_PREFIX)) continue;
      const [, addr = '', chat, marker] = match;
      const i = Number(chat ?? marker);
      if (i < observers.length && !heard.has(i)) heard.set(i, addr);
    }
  }
  const local = observers.map((o) => o.localAddr);
  const same = [...heard].filter(([i, addr]) => local[i] === addr).length;
  const direct = heard.size === 0 || same * 2 > heard.size;
  return {
    names: direct ? local : local.map((addr, i) => heard.get(i) ?? addr),
    direct,
    heard: heard.size > 0
  };
}

/** Where the reference first saw a tag: its sender, the k-th to join as it. */
export interface TagSender {
  readonly addr: string;
  /** 1-based, counted as incarnations.ts counts (see renameTranscript). */
  readonly k: number;
}

/**
 * The sender of each faulty tag's first line in `reference` (raw, before
 * renaming): the address the room shows for that connection.
 */
export function learnTags(reference: Transcript): Map<string, TagSender> {
  const tags = new Map<string, TagSender>();
  const joins = new Map<string, number>();
  for (const line of reference.lines) {
    if (line.startsWith(OWN_PREFIX)) continue;
    const parsed = parseRoomLine(line, reference.addr);
    if (parsed.kind === 'join') {
      joins.set(parsed.addr, (joins.get(parsed.addr) ?? 0) + 1);
      continue;
    }
    if (parsed.kind !== 'message') continue;
    const tag = HEAD_RE.exec(parsed.text)?.[1];
    if (tag === undefined || tags.has(tag)) continue;
    tags.set(tag, {
      addr: parsed.addr,
      k: Math.max(1, joins.get(parsed.addr) ?? 0)
    });
  }
  return tags;
}

/**
 * The addresses `reference` showed so far for the tags of `connections`
 * that did not go through a chaos proxy (whose address is the proxy's).
 */
export function tagSenders(
  connections: readonly { tag: string; proxied: boolean }[],
  reference: Transcript
): string[] {
  const tags = learnTags(reference);
  return connections.flatMap((c) => {
    const sender = c.proxied ? undefined : tags.get(c.tag);
    return sender === undefined ? [] : [sender.addr];
  });
}

/** True when `text` is a line of one of chat-chaos's other connections. */
export function isTaggedByOther(text: string, ownTag: string): boolean {
  const tag = HEAD_RE.exec(text)?.[1];
  if (tag !== undefined) return tag !== ownTag;
  return /^(?:o\d+\.\d+|settle o\d+)$/.test(text);
}
