import { runMigrations } from 'graphile-worker';

/**
 * graphile-worker keeps its own schema (`graphile_worker`) and runs the engine's background jobs
 * that are not on the step hot path (notifications, retention — added by later layers). This
 * installs or upgrades that schema; it is safe to run concurrently (graphile-worker locks).
 */
export async function installBackgroundSchema(connectionString: string): Promise<void> {
  await runMigrations({ connectionString });
}
