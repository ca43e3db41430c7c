/**
 * Whether an error means "the database cannot be reached right now" (down, restarting, failing
 * over, out of connection slots) rather than "this statement is wrong". The API answers those
 * with 503 `unavailable` and Retry-After instead of a 500 (api/errors.ts), so clients and load
 * balancers retry instead of reporting a bug.
 */

/** Socket errors of node-postgres's connection. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of an unreachable or stopping server: class 08 (connection exception), admin / crash
 * shutdown and "cannot connect now" (57P01-57P03), too many connections (53300), a read-only
 * standby after a failover (25006: the writable endpoint moved).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);

/** node-postgres's own messages for a connection that broke or never came. */
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
];

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || SQLSTATES.has(e.code) || e.code.startsWith('08'))) return true;
  return typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message as string));
}
