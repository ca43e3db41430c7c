/** `openclaw migrate`: applies the engine's pending migrations (and graphile-worker's schema) to DATABASE_URL. */
import pg from 'pg';
import { installBackgroundSchema, migrate } from '../../engine/index.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { redactUrl, requireDatabaseUrl } from './database-url.js';

export async function runMigrate(ctx: Context): Promise<void> {
  const databaseUrl = requireDatabaseUrl('migrate');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead
  let result;
  try {
    result = await migrate(pool);
    await installBackgroundSchema(databaseUrl);
  } catch (err) {
    throw new CliError(`migration failed on ${redactUrl(databaseUrl)}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  } finally {
    await pool.end();
  }
  const { print } = ctx;
  if (ctx.json) return print.json(result);
  for (const m of result.applied) print.out(`applied ${m}`);
  print.out(
    result.applied.length === 0
      ? `database schema is up to date (${result.current.length} migrations)`
      : `applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'}; schema is current (${result.current.length})`,
  );
}
