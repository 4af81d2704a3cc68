/**
 * Formats a peer address the way the protocol shows it: `IP:PORT`, `[IP6]:PORT`,
 * and IPv4-mapped IPv6 as plain IPv4. [CHAT-ADDR-1]
 *
 * @example formatAddress('::ffff:127.0.0.1', 49448) // '127.0.0.1:49448'
 */
export function formatAddress(address: string, port: number): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined) return `${mapped[1]}:${port}`;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
