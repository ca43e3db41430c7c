import { createHash } from 'node:crypto';
import pg from 'pg';

/** Anything that can run a query: a Pool or a checked-out client (inside a transaction). */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const names = new Map<string, string>();

/** A stable statement name for a query text (same text, same name, on every connection). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `oc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (names.size < 10_000) names.set(text, name);
  }
  return name;
}

/**
 * A pg client that runs every parameterised query as a named prepared statement, so each
 * connection plans each statement once. The engine's hot path is a handful of fixed SQL texts
 * run thousands of times a second; planning was about half of PostgreSQL's time per step
 * (bench/README.md). Queries without parameters (BEGIN, COMMIT, DDL, LISTEN) are sent as they are.
 * Needs a direct connection or a session-mode pooler (so does the scheduler's leader lock).
 */
class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // pg-pool listens for errors only while a client is idle. A checked-out client whose server
    // goes away between two queries (PostgreSQL restarted, connection killed) would otherwise emit
    // an unhandled 'error' and crash the process. The error is not lost: the client's next query
    // fails, `withTx` rolls back (or sees the connection is gone) and destroys the client.
    this.on('error', () => undefined);
  }

  // pg's query() has many overloads; only (text, values[, callback]) with values is rewritten.
  override query(...args: unknown[]): never {
    const [config, values, callback] = args;
    const query = super.query as unknown as (...a: unknown[]) => never;
    // (text, values) from a checked-out client, or (text, values, callback) from pool.query().
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && args.length <= 3) {
      const named = { name: statementName(config), text: config, values };
      return typeof callback === 'function' ? query.call(this, named, callback) : query.call(this, named);
    }
    return query.apply(this, args);
  }
}

/** Creates the engine's connection pool. Errors on idle clients are logged, never thrown. */
export function createPool(connectionString: string, max: number, onError?: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'openclaw', Client: PreparingClient });
  pool.on('error', (err) => onError?.(err));
  return pool;
}
