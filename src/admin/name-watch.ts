/** The part of the daemon's name registry whose answers are watched. */
export interface NameClaims {
  /** `connId` asks for `name` (src/actors/name-registry.ts). */
  claim(connId: string, name: string): 'claimed' | 'same' | 'taken';
}

/**
 * The name registry `names`, telling `watcher.renamed` of every nickname it
 * grants: the one place a name changes, so the inspector learns renames
 * without reading the names actor's table. Everything else is `names`' own.
 *
 * @example
 * createCommands({ rooms, names: reportRenames(names, monitor), … });
 */
export function reportRenames<T extends NameClaims>(
  names: T,
  watcher: { renamed(connId: string, name: string): void }
): T {
  return {
    ...names,
    claim: (connId: string, name: string) => {
      const answer = names.claim(connId, name);
      if (answer === 'claimed') watcher.renamed(connId, name);
      return answer;
    }
  };
}
