/** One member of a room. */
export interface Member {
  readonly connId: string;
  readonly remote: string;
}

/**
 * The room's membership: the only source of every count. [CHAT-COUNT-2]
 *
 * It is mutated in place by the room machine's named actions (`addMember`,
 * `removeMember`) instead of being copied on every change: a copy per join
 * makes joins O(members), the same trap that makes spawned children slow
 * (docs/facts.md: 10k joins took 42 s). The room actor is its only owner.
 */
export class Roster {
  readonly #members = new Map<string, Member>();

  get size(): number {
    return this.#members.size;
  }

  has(connId: string): boolean {
    return this.#members.has(connId);
  }

  get(connId: string): Member | undefined {
    return this.#members.get(connId);
  }

  add(member: Member): void {
    this.#members.set(member.connId, member);
  }

  remove(connId: string): Member | undefined {
    const member = this.#members.get(connId);
    this.#members.delete(connId);
    return member;
  }

  /** The members in join order. */
  list(): Member[] {
    return [...this.#members.values()];
  }

  /** Keeps snapshots and inspection output readable. */
  toJSON(): { size: number } {
    return { size: this.#members.size };
  }
}
