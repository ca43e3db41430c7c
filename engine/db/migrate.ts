import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type Migration, type MigrationProvider } from 'kysely';
import type pg from 'pg';
import { EngineError } from '../errors.js';

/** Where the numbered SQL migrations live (`migrations/` at the package root). */
export const migrationsDir = findMigrationsDir();

function findMigrationsDir(): string {
  // engine/db/migrate.ts in the source tree, dist/engine/db/migrate.js when built.
  for (const rel of ['../../migrations/', '../../../migrations/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('cannot find the migrations/ folder next to the engine');
}

const MIGRATION_SCHEMA = 'openclaw_meta';

/** Reads `NNNN_name.sql` files; each file is one migration applied in one transaction. */
class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(path.join(this.dir, file), 'utf8');
      out[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return out;
  }
}

function migratorFor(pool: pg.Pool, dir: string): { db: Kysely<unknown>; migrator: Migrator } {
  // Kysely must not end the engine's pool: give it a view that lends connections and ends nothing.
  const lender = { connect: () => pool.connect(), end: async () => {} };
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: lender }) });
  const migrator = new Migrator({
    db,
    provider: new SqlFileMigrationProvider(dir),
    migrationTableSchema: MIGRATION_SCHEMA,
  });
  return { db, migrator };
}

export interface MigrateResult {
  applied: string[];
  current: string[];
}

/**
 * Applies pending migrations. Kysely's migrator takes a transaction-scoped advisory lock and
 * runs everything in one transaction, so running it twice or from several processes at once is
 * safe: the second waits, then finds nothing to do. graphile-worker's own schema is installed
 * separately by graphile-worker (see engine/background.ts).
 */
export async function migrate(pool: pg.Pool, dir = migrationsDir): Promise<MigrateResult> {
  await assertSchemaNotNewer(pool, dir);
  // Kysely creates its schema with IF NOT EXISTS, which still races under concurrency; serialise it
  // with a transaction-scoped lock on one connection (a session lock taken and released through
  // the pool could land on two different connections).
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('openclaw.migrate'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${MIGRATION_SCHEMA}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  const { migrator } = migratorFor(pool, dir);
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new EngineError('internal', `migration failed: ${(error as Error).message}`, { cause: error });
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, current: await appliedMigrations(pool) };
}

/** Names of the migrations recorded in the database (empty when none ran yet). */
export async function appliedMigrations(pool: pg.Pool): Promise<string[]> {
  const exists = await pool.query(`SELECT to_regclass('${MIGRATION_SCHEMA}.kysely_migration') AS t`);
  if (!exists.rows[0]?.t) return [];
  const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATION_SCHEMA}.kysely_migration ORDER BY name`);
  return rows.map((r) => r.name);
}

/** The migrations this code knows about. */
export async function knownMigrations(dir = migrationsDir): Promise<string[]> {
  return Object.keys(await new SqlFileMigrationProvider(dir).getMigrations()).sort();
}

/**
 * Refuses to run against a database migrated by newer code (a migration we do not know about),
 * like graphile-worker does: old code on a new schema could corrupt state.
 */
export async function assertSchemaNotNewer(pool: pg.Pool, dir = migrationsDir): Promise<void> {
  const known = new Set(await knownMigrations(dir));
  const unknown = (await appliedMigrations(pool)).filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new EngineError(
      'schema_too_new',
      `database schema is newer than this code (unknown migrations: ${unknown.join(', ')}); upgrade OpenClaw`,
      {
        details: { unknown },
      },
    );
  }
}

/** True when every known migration has been applied and none is unknown. */
export async function schemaIsCurrent(pool: pg.Pool, dir = migrationsDir): Promise<boolean> {
  const [known, applied] = await Promise.all([knownMigrations(dir), appliedMigrations(pool)]);
  return known.length === applied.length && known.every((m, i) => applied[i] === m);
}
