import pg from 'pg';

/** Anything that can run a query: a Pool or a checked-out client (inside a transaction). */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Creates the engine's connection pool. Errors on idle clients are logged, never thrown. */
export function createPool(connectionString: string, max: number, onError?: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'openclaw' });
  pool.on('error', (err) => onError?.(err));
  return pool;
}
