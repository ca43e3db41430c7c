import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../engine/db/pool.js';
import { createTestDb, type TestDb } from '../helpers/engine.js';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb('db');
});
afterAll(async () => {
  await db.drop();
});

describe('engine pool', () => {
  it('runs parameterised queries as named prepared statements, from pool.query and from a checked-out client', async () => {
    const pool = createPool(db.url, 1);
    try {
      for (let i = 0; i < 3; i++) expect((await pool.query<{ x: number }>('SELECT $1::int + 1 AS x', [i])).rows[0]?.x).toBe(i + 1);
      const client = await pool.connect();
      try {
        expect((await client.query<{ y: number }>('SELECT $1::int + 2 AS y', [1])).rows[0]?.y).toBe(3);
        await client.query('SELECT 1'); // no parameters: sent as a simple query, not prepared
        const { rows } = await client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY statement');
        expect(rows.map((r) => r.statement)).toEqual(['SELECT $1::int + 1 AS x', 'SELECT $1::int + 2 AS y']);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});
