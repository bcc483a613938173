// Which peers are trusted reverse proxies (whose X-Forwarded-For/-Proto we
// believe). Compiled once at start-up into a node:net BlockList, so the check
// per request is a lookup, not a parse of every CIDR.
import { BlockList, isIP } from 'node:net';

/** Strips the IPv4-mapped IPv6 prefix ("::ffff:10.0.0.1" -> "10.0.0.1"), which a dual-stack socket reports. */
export function unmapIPv4(address: string): string {
  if (address.length > 7 && (address.startsWith('::ffff:') || address.startsWith('::FFFF:'))) {
    const rest = address.slice(7);
    if (isIP(rest) === 4) return rest;
  }
  return address;
}

/**
 * Compiles CIDRs ("10.0.0.0/8", "fd00::/8") and single addresses into a predicate.
 * Throws on an entry that is neither: a typo must not silently trust nobody (or everybody).
 */
export function compileTrustedProxies(cidrs: string[]): (address: string) => boolean {
  if (cidrs.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of cidrs) {
    const slash = entry.indexOf('/');
    const base = unmapIPv4(slash === -1 ? entry : entry.slice(0, slash));
    const family = isIP(base);
    if (family === 0) throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(base, type);
      continue;
    }
    const bitsText = entry.slice(slash + 1);
    const bits = Number(bitsText);
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bitsText) || bits > max) {
      throw new Error(`trusted proxy "${entry}" has an invalid prefix length`);
    }
    list.addSubnet(base, bits, type);
  }
  return (address: string): boolean => {
    const plain = unmapIPv4(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}
