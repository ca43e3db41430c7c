import { mkdtemp, readdir, copyFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, migrate } from '../../engine/index.js';
import { createPool } from '../../engine/db/pool.js';
import { knownMigrations, migrationsDir } from '../../engine/db/migrate.js';
import { createTestDb, type TestDb } from '../helpers/engine.js';
import { createEmptyDatabase, dropDatabase } from '../helpers/postgres.js';
import pg from 'pg';
import { inject } from 'vitest';

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb('mig');
});
afterAll(async () => {
  await db.drop();
});

describe('migrator', () => {
  it('applies migrations once, concurrently and repeatedly without error', async () => {
    const admin = inject('pgAdminUrl');
    const name = `oc_fresh_${Date.now()}`;
    const url = await createEmptyDatabase(admin, name);
    const pools = [1, 2, 3].map(() => createPool(url, 2));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      const applied = results.flatMap((r) => r.applied);
      // Every migration applied exactly once across the three concurrent runs.
      const known = await knownMigrations();
      expect(known.slice(0, 4)).toEqual(['0001_init', '0002_step_log', '0003_secrets', '0004_skills']);
      expect([...applied].sort()).toEqual(known);
      const again = await migrate(pools[0] as pg.Pool);
      expect(again).toEqual({ applied: [], current: known });
      const { rows } = await (pools[0] as pg.Pool).query(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'step_ready_idx'`);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await dropDatabase(admin, name);
    }
  });

  it('refuses to start against a database whose schema is newer than the code', async () => {
    const pool = createPool(db.url, 1);
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'oc-mig-'));
      for (const f of await readdir(migrationsDir)) await copyFile(path.join(migrationsDir, f), path.join(dir, f));
      await writeFile(path.join(dir, '0999_future.sql'), 'CREATE TABLE openclaw.future_thing (id int);');
      await migrate(pool, dir);
      await expect(createEngine({ databaseUrl: db.url })).rejects.toMatchObject({ code: 'schema_too_new' });
      await expect(migrate(pool)).rejects.toMatchObject({ code: 'schema_too_new' });
    } finally {
      await pool.end();
    }
  });

  it("refuses to start without graphile-worker's schema (run notifications need it), and migrate installs it", async () => {
    const admin = inject('pgAdminUrl');
    const name = `oc_nogw_${Date.now()}`;
    const url = await createEmptyDatabase(admin, name);
    const pool = createPool(url, 1);
    try {
      await migrate(pool); // the engine's schema only
      await expect(createEngine({ databaseUrl: url })).rejects.toThrow(/graphile-worker's schema is not installed/);
      const engine = await createEngine({ databaseUrl: url, migrate: true });
      await engine.close();
      const again = await createEngine({ databaseUrl: url });
      await again.close();
    } finally {
      await pool.end();
      await dropDatabase(admin, name);
    }
  });
});
