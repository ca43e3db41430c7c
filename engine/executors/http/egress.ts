/**
 * SSRF protection for HTTP tasks: an address is refused when it is loopback, private, link-local
 * (cloud metadata at 169.254.169.254 included), carrier-grade NAT, multicast, reserved or
 * unspecified — unless the engine's egress allowlist (`OPENCLAW_HTTP_ALLOW`) names it. The check
 * runs on the addresses DNS actually returned, at connect time (so a rebinding DNS answer cannot
 * slip through between a check and the connection), and on IP-literal URLs before any request.
 */
import net from 'node:net';

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** IPv4-mapped and -compatible IPv6 addresses are judged by the IPv4 address inside. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16);
    const lo = parseInt(hexMapped[2]!, 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
  }
  return { address, family: net.isIPv6(address) ? 'ipv6' : 'ipv4' };
}

export function isPublicAddress(address: string): boolean {
  const n = normalise(address);
  return !blocked.check(n.address, n.family);
}

export function describeAddress(address: string): string {
  const n = normalise(address);
  if (n.family === 'ipv4') {
    if (n.address.startsWith('127.')) return 'a loopback address';
    if (n.address.startsWith('169.254.')) return 'a link-local address (cloud metadata lives here)';
    if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(n.address)) return 'a private address';
  } else {
    if (n.address === '::1') return 'a loopback address';
    if (/^f[cd]/i.test(n.address)) return 'a private (unique local) address';
    if (/^fe[89ab]/i.test(n.address)) return 'a link-local address';
  }
  return 'a non-public address';
}

interface Entry {
  host?: string;
  port?: number;
  net?: net.BlockList;
}

/** The egress allowlist: hostnames, host:port, IPs (v6 in brackets with a port), CIDRs. */
export class EgressPolicy {
  private constructor(private readonly entries: readonly Entry[]) {}

  /**
   * Parses `OPENCLAW_HTTP_ALLOW`: comma-separated entries ('' = public addresses only).
   *
   * @throws Error naming the setting and the first entry it cannot read.
   */
  static parse(allow: string): EgressPolicy {
    const entries = allow
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
      .map((e) => {
        const entry = EgressPolicy.parseEntry(e);
        if (!entry)
          throw new Error(
            `httpAllow (OPENCLAW_HTTP_ALLOW): cannot read entry ${JSON.stringify(e)} (expected a host, host:port, IP or CIDR)`,
          );
        return entry;
      });
    return new EgressPolicy(entries);
  }

  private static parseEntry(entry: string): Entry | null {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr && net.isIP(cidr[1]!)) {
      const family = net.isIPv6(cidr[1]!) ? 'ipv6' : 'ipv4';
      const bits = Number(cidr[2]);
      if (bits > (family === 'ipv6' ? 128 : 32)) return null;
      const list = new net.BlockList();
      list.addSubnet(cidr[1]!, bits, family);
      return { net: list };
    }
    if (net.isIP(entry)) {
      const list = new net.BlockList();
      list.addAddress(entry, net.isIPv6(entry) ? 'ipv6' : 'ipv4');
      return { net: list };
    }
    const hp = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry);
    const host = (hp ? hp[1]! : entry).toLowerCase();
    const port = hp ? Number(hp[2]) : undefined;
    if (port !== undefined && port > 65_535) return null;
    if (net.isIP(host)) {
      const list = new net.BlockList();
      list.addAddress(host, net.isIPv6(host) ? 'ipv6' : 'ipv4');
      return port === undefined ? { net: list } : { net: list, port };
    }
    if (!/^[a-z0-9.-]+$/.test(host)) return null;
    return port === undefined ? { host } : { host, port };
  }

  /** May a connection to `address` (resolved from `host`) on `port` be made? */
  allows(host: string, port: number, address: string): boolean {
    if (isPublicAddress(address)) return true;
    const h = host.toLowerCase().replace(/^\[|\]$/g, '');
    const n = normalise(address);
    return this.entries.some((e) => {
      if (e.port !== undefined && e.port !== port) return false;
      if (e.host !== undefined) return e.host === h;
      return e.net?.check(n.address, n.family) === true || e.net?.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4') === true;
    });
  }
}
