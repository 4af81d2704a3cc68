import { BlockList, isIP } from 'node:net';

/** Why a connection was refused before it became a chat connection. */
export type RefusalReason = 'server full' | 'too many from address';

/** Connection limits applied at accept time. */
export interface AdmissionLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Addresses or CIDR subnets the per-address limit does not apply to. */
  perIpExempt: readonly string[];
}

/** A parsed `ADDRESS[/PREFIX]`. */
export interface Subnet {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses `ADDRESS` or `ADDRESS/PREFIX` (IPv4 or IPv6); `null` when invalid.
 *
 * @example parseSubnet('10.0.0.0/8') // { address: '10.0.0.0', prefix: 8, family: 'ipv4' }
 */
export function parseSubnet(text: string): Subnet | null {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Counts open connections in all and per address, and decides whether one
 * more may come in. IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) count as
 * their IPv4 address, so a dual-stack listener can't be used to double the
 * limit.
 */
export class Admission {
  readonly #limits: AdmissionLimits;
  readonly #exempt = new BlockList();
  readonly #perAddress = new Map<string, number>();
  #open = 0;

  /** Throws a `RangeError` for an exempt entry that is not an address or subnet. */
  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
    for (const entry of limits.perIpExempt) {
      const subnet = parseSubnet(entry);
      if (subnet === null)
        throw new RangeError(`invalid exempt address or subnet "${entry}"`);
      this.#exempt.addSubnet(subnet.address, subnet.prefix, subnet.family);
    }
  }

  /** Open connections right now. */
  get open(): number {
    return this.#open;
  }

  /**
   * Admits one connection from `address` and counts it (pair every admitted
   * connection with one `release`), or says why not.
   */
  admit(address: string): RefusalReason | null {
    if (this.#open >= this.#limits.maxConnections) return 'server full';
    const key = addressKey(address);
    const fromAddress = this.#perAddress.get(key) ?? 0;
    if (
      fromAddress >= this.#limits.maxConnectionsPerIp &&
      !this.#exempt.check(key, isIP(key) === 4 ? 'ipv4' : 'ipv6')
    )
      return 'too many from address';
    this.#open += 1;
    this.#perAddress.set(key, fromAddress + 1);
    return null;
  }

  /** Forgets one admitted connection from `address`. */
  release(address: string): void {
    const key = addressKey(address);
    const fromAddress = this.#perAddress.get(key) ?? 0;
    if (fromAddress <= 1) this.#perAddress.delete(key);
    else this.#perAddress.set(key, fromAddress - 1);
    this.#open -= 1;
  }
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

function addressKey(address: string): string {
  return MAPPED_V4.exec(address)?.[1] ?? address;
}
