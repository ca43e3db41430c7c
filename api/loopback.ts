/**
 * Loopback addresses and names, parsed (not matched by prefix), and the Host check that keeps a
 * loopback-only server from being reached through DNS rebinding: a web page on evil.example whose
 * name is made to resolve to 127.0.0.1 can make the browser send requests to the local server, but
 * they carry `Host: evil.example`, which is refused.
 */
import { isIP } from 'node:net';

/** True for 127.0.0.0/8, ::1, an IPv4-mapped loopback (::ffff:127.x.x.x), `localhost` and `*.localhost` (RFC 6761). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  if (family === 4) return h.split('.')[0] === '127';
  if (family === 6) {
    if (/^(0{0,4}:){2,7}0{0,3}1$/.test(h) || h === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && isLoopback(mapped[1]!);
  }
  return false;
}

/** The host name of a `Host` header value (`name`, `name:port`, `[v6]`, `[v6]:port`), or null when malformed. */
export function hostOfHeader(value: string | undefined): string | null {
  if (!value) return null;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (v6) return v6[1]!;
  const m = /^([^:]+)(?::\d+)?$/.exec(value);
  return m ? m[1]! : null;
}
