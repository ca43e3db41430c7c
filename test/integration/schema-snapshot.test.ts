import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../helpers/engine.js';

// The schema the migrations produce, checked in as migrations/schema.snapshot.txt (like pg-boss).
// A change to it must come from a new migration; update the snapshot with `npx vitest -u`.
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb('snap');
});
afterAll(async () => {
  await db.drop();
});

describe('schema snapshot', () => {
  it('matches the checked-in snapshot', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const columns = await client.query<{ line: string }>(
        `SELECT table_name || '.' || column_name || ' ' || data_type || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
                || coalesce(' default ' || column_default, '') AS line
           FROM information_schema.columns WHERE table_schema = 'openclaw' ORDER BY table_name, ordinal_position`,
      );
      const indexes = await client.query<{ line: string }>(
        `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'openclaw' ORDER BY tablename, indexname`,
      );
      const constraints = await client.query<{ line: string }>(
        `SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
           FROM pg_constraint WHERE connamespace = 'openclaw'::regnamespace ORDER BY conrelid::regclass::text, conname`,
      );
      const text = [
        '# columns',
        ...columns.rows.map((r) => r.line),
        '',
        '# indexes',
        ...indexes.rows.map((r) => r.line),
        '',
        '# constraints',
        ...constraints.rows.map((r) => r.line),
        '',
      ].join('\n');
      await expect(text).toMatchFileSnapshot('../../migrations/schema.snapshot.txt');
    } finally {
      await client.end();
    }
  });
});
