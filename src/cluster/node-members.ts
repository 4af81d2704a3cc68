/**
 * This node's members as Redis should know them: each one's address, and
 * whether its own join has come back from the log (it has its greeting).
 * Registering again (SYNC) sends this list: a member whose join Redis never
 * logged, or lost, is announced as joining then; a greeted one is put back
 * silently.
 */
export class NodeMembers {
  readonly #members = new Map<
    string,
    { remote: string; name: string; greeted: boolean }
  >();

  get size(): number {
    return this.#members.size;
  }

  /** The connection ids, to tell them something. */
  ids(): IterableIterator<string> {
    return this.#members.keys();
  }

  has(conn: string): boolean {
    return this.#members.has(conn);
  }

  /** The room seated `conn`; its join is on its way to the log. */
  join(conn: string, remote: string, name = ''): void {
    this.#members.set(conn, { remote, name, greeted: false });
  }

  /** A member took a nickname: it is registered with it after an outage. */
  rename(conn: string, name: string): void {
    const member = this.#members.get(conn);
    if (member !== undefined) member.name = name;
  }

  /** The room let `conn` go. */
  leave(conn: string): void {
    this.#members.delete(conn);
  }

  /** `conn`'s join came back from the log. */
  greet(conn: string): void {
    const member = this.#members.get(conn);
    if (member !== undefined) member.greeted = true;
  }

  /** `conn` was removed from the log while still here (its node was taken for dead). */
  forget(conn: string): void {
    const member = this.#members.get(conn);
    if (member !== undefined) member.greeted = false;
  }

  /** SYNC's member arguments: connection id, address, greeted (`1`/`0`), nickname ('' when none), each. */
  syncArgs(): string[] {
    const args: string[] = [];
    for (const [conn, { remote, name, greeted }] of this.#members)
      args.push(conn, remote, greeted ? '1' : '0', name);
    return args;
  }
}
