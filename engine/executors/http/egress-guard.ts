/**
 * The connection side of the egress policy (egress.ts), shared by everything that makes outbound
 * HTTP requests: HTTP tasks and run notifications. A guard hands out undici dispatchers whose DNS
 * lookup checks every returned address against the policy before connecting, and checks IP-literal
 * URLs (which skip DNS) before any request.
 */
import dns from 'node:dns';
import net from 'node:net';
import { Agent } from 'undici';
import { NonRetryableError } from '../../errors.js';
import { describeAddress, type EgressPolicy } from './egress.js';

/** The destination is refused by the egress policy; retrying cannot help until the allowlist changes. */
export class EgressBlocked extends NonRetryableError {
  constructor(message: string) {
    super('EgressBlocked', message);
  }
}

export interface EgressGuardOptions {
  /** `OPENCLAW_HTTP_ALLOW`, parsed: non-public destinations that may be reached anyway. */
  allow: EgressPolicy;
  connectTimeoutMs: number;
  /** Who is refused, for error messages: `HTTP tasks`, `notifications`. */
  subject: string;
}

export interface EgressGuard {
  /** A dispatcher for one destination; its connections go only to addresses the policy allows. Close it after use. */
  agentFor(host: string, port: number): Agent;
  /** Throws `EgressBlocked` when the URL's host is an IP literal the policy refuses. */
  checkLiteral(url: URL): void;
}

/** The port a URL connects to (its explicit port, else 443 for https and 80 for http). */
export const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

export function createEgressGuard(options: EgressGuardOptions): EgressGuard {
  const policy = options.allow;
  const refusal = (what: string, example: string): string =>
    `${what}; ${options.subject} may not reach it unless OPENCLAW_HTTP_ALLOW lists it (e.g. ${example})`;

  return {
    agentFor(host, port) {
      const lookup: net.LookupFunction = (hostname, opts, cb) => {
        dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
          if (err) return cb(err, '');
          const bad = addresses.find((a) => !policy.allows(host, port, a.address));
          if (bad)
            return cb(
              new EgressBlocked(
                refusal(`${host} resolves to ${bad.address}, ${describeAddress(bad.address)}`, `${host}:${port}`),
              ) as unknown as NodeJS.ErrnoException,
              '',
            );
          if (opts.all) return cb(null, addresses);
          const first = addresses[0];
          if (!first) return cb(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '');
          return cb(null, first.address, first.family);
        });
      };
      return new Agent({ connect: { timeout: options.connectTimeoutMs, lookup } });
    },
    checkLiteral(url) {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host) && !policy.allows(host, portOf(url), host))
        throw new EgressBlocked(refusal(`${host} is ${describeAddress(host)}`, url.host));
    },
  };
}
