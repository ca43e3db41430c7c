/**
 * The artifact sweep (docs/artifacts.md, "Guarantees"): the scheduler leader deletes the objects
 * nothing references, every ARTIFACT_SWEEP_INTERVAL_MS (scheduler/scheduler.ts). An object row
 * (`artifact_object`) is written before every upload and an `artifact` row attaches it to a run only
 * in the fenced completion (runs/complete.ts), so an object no `artifact` row references is one of:
 * a zombie attempt's upload (its completion was refused), the upload of an attempt that failed, an
 * object of a run that retention deleted (the run's `artifact` rows cascade), or an upload still in
 * progress. The last are left alone: an object is swept only once it is older than
 * OPENCLAW_ARTIFACT_SWEEP_GRACE_MS (since it was stored, or created when it never was), and never
 * while the step that uploads it is still `running` under the same lease token (its completion may
 * still attach it).
 *
 * Each batch is one transaction:
 *   1. lock up to `batchSize` candidate rows, FOR UPDATE SKIP LOCKED (two sweepers never take the
 *      same rows; a row some completion is attaching, which holds its FOR KEY SHARE lock through the
 *      foreign key, is skipped);
 *   2. check them again in a new statement (READ COMMITTED: a fresh snapshot) now that they are
 *      locked: a completion that committed after step 1's snapshot is seen here, and no new
 *      reference can appear after it, since inserting one needs the lock we hold;
 *   3. delete the objects from the store, then 4. their rows. A store failure rolls the batch back:
 *      the rows stay and the next pass tries again. An object deleted but whose row delete did not
 *      commit is deleted again next time (deleting a missing key is not an error).
 */
import type pg from 'pg';
import type { EngineCore } from '../core/engine-core.js';
import { withTx } from '../db/tx.js';

/** How often the leader sweeps. */
export const ARTIFACT_SWEEP_INTERVAL_MS = 60_000;

export interface SweepOptions {
  /** Default: the engine's `artifactSweepGraceMs`. */
  graceMs?: number;
  batchSize?: number;
  maxBatches?: number;
  /** Checked between batches: true stops the pass (leadership lost, shutting down). */
  shouldStop?: () => boolean;
}

/** The objects nothing references, past the grace, not being uploaded by a live attempt. `$1` grace (s), `$2` keys or null. */
const UNREFERENCED = `
  FROM openclaw.artifact_object o
 WHERE coalesce(o.stored_at, o.created_at) < now() - make_interval(secs => $1::float8)
   AND ($2::text[] IS NULL OR o.key = ANY($2::text[]))
   AND NOT EXISTS (SELECT 1 FROM openclaw.artifact a WHERE a.object_key = o.key)
   AND NOT EXISTS (SELECT 1 FROM openclaw.step s
                    WHERE s.id = o.step_id AND s.status = 'running' AND s.lease_token = o.lease_token)`;

/** Deletes unreferenced objects (store first, then rows); returns how many. */
export async function sweepArtifacts(core: EngineCore, options: SweepOptions = {}): Promise<number> {
  const graceSecs = (options.graceMs ?? core.config.artifactSweepGraceMs) / 1000;
  const batchSize = options.batchSize ?? 500;
  const maxBatches = options.maxBatches ?? 20;
  let total = 0;
  for (let i = 0; i < maxBatches && !options.shouldStop?.(); i++) {
    const { locked, deleted } = await withTx(core.pool, async (client: pg.PoolClient) => {
      const candidates = await client.query<{ key: string }>(
        `SELECT o.key ${UNREFERENCED} ORDER BY o.created_at LIMIT $3 FOR UPDATE OF o SKIP LOCKED`,
        [graceSecs, null, batchSize],
      );
      if (candidates.rows.length === 0) return { locked: 0, deleted: 0 };
      const { rows } = await client.query<{ key: string }>(`SELECT o.key ${UNREFERENCED}`, [graceSecs, candidates.rows.map((r) => r.key)]);
      const keys = rows.map((r) => r.key);
      if (keys.length > 0) {
        await core.artifacts.store.delete(keys);
        await client.query('DELETE FROM openclaw.artifact_object WHERE key = ANY($1::text[])', [keys]);
      }
      return { locked: candidates.rows.length, deleted: keys.length };
    });
    total += deleted;
    core.metrics.artifactObjectsSwept.inc(deleted);
    if (locked < batchSize) break;
  }
  if (total > 0) core.log.info({ deleted: total, store: core.artifacts.store.location }, 'artifacts: unreferenced objects swept');
  return total;
}
