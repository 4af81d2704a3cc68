import { memberLabel, speakerName } from '../protocol/command-format.js';
import { speakerPrefix } from '../protocol/format.js';

/**
 * A member of a room as its lines and notices name it: by its address
 * while anonymous, by its nickname once it has one. [CHAT-NICK-1]
 */
export class Speaker {
  readonly remote: string;
  /** It came from another room: greeted `Now in #room`. [CHAT-CMD-JOIN] */
  readonly moved: boolean;
  #name: string | undefined;
  #prefix: Buffer;
  /** Its name as of the last entry it appended (a rename may be in flight). */
  #claimed: string | undefined;

  constructor(remote: string, name: string | undefined, moved: boolean) {
    this.remote = remote;
    this.moved = moved;
    this.#name = name;
    this.#claimed = name;
    this.#prefix = Buffer.from(speakerPrefix(this.shown));
  }

  /** Its nickname as the order has shown it so far, if it has one. */
  get name(): string | undefined {
    return this.#name;
  }

  /**
   * Its nickname as of what it appended last: what its next entries carry.
   * It runs ahead of `name` while its rename is on its way through the order.
   */
  get claimed(): string | undefined {
    return this.#claimed;
  }

  /** It asked for `name`: the entries it appends from now on carry it. */
  claim(name: string): void {
    this.#claimed = name;
  }

  /** NAME, or ADDR: in its lines' prefix, `/who` and `/me`. */
  get shown(): string {
    return speakerName(this.remote, this.#name);
  }

  /** `NAME (ADDR)`, or ADDR: in its join and leave notices. */
  get label(): string {
    return memberLabel(this.remote, this.#name);
  }

  /** `[NAME] ` or `[ADDR] `, encoded once per name. [CHAT-MSG-2] */
  get prefix(): Buffer {
    return this.#prefix;
  }

  /** Its rename came back from the order: takes `name`; returns how it was shown before. */
  rename(name: string): string {
    const old = this.shown;
    this.#name = name;
    this.#claimed = name;
    this.#prefix = Buffer.from(speakerPrefix(name));
    return old;
  }
}
