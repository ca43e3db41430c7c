import type pg from 'pg';

/** SQLSTATEs that mean "run the whole transaction again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `fn` in one transaction on a pooled client. Deadlocks and serialization failures are
 * retried (the transaction as a whole, never half of it); anything else rolls back and rethrows.
 */
export async function withTx<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is unusable; release it destroyed
      }
      const code = (err as { code?: string }).code;
      if (code !== undefined && RETRYABLE.has(code) && i < attempts) {
        await new Promise((r) => setTimeout(r, Math.random() * 20 * i));
        continue;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
